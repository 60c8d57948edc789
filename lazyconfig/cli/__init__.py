"""The `lazyconfig` command: read and change the configuration on the database or through a
server's REST API, serve, migrate, make tokens (`lazyconfig --help` lists every command).

Importing it loads neither the engine nor Flask, SQLAlchemy, Alembic or YAML: each command
imports what it needs when it runs (tests/cli/test_fast_start.py)."""
from __future__ import annotations

import sys
from typing import Sequence

import click

from .root import root
from .server import startup_notice
# Each module registers its commands on `root` when imported.
from . import (backups, change_requests, changelog, completion, configuration,  # noqa: F401
               experiments, key_migrations, rollouts, rules, server, snapshots, targeting,
               templates, users, values, watch)

__all__ = ["main", "root", "startup_notice"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns its exit status (0 done, 1 refused, 2 bad usage)."""
    try:
        status = root.main(args=list(argv) if argv is not None else None, prog_name="lazyconfig",
                           standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("lazyconfig: aborted", err=True)
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
