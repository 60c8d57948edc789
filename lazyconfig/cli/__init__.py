"""The `lazyconfig` command: serve, migrate, make tokens, and read and change the configured
database through the engine (`lazyconfig --help` lists every command)."""
from __future__ import annotations

import sys
from typing import Sequence

import click

from .root import root
from .server import startup_notice
from . import server, snapshots, values  # noqa: F401  (they register their commands)

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
