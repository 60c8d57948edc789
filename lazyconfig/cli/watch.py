"""`watch`: follow changes as they are made, one line (or JSON object) per change."""
from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from .backend import Backend
from .output import text
from .root import pass_backend, root
from .values import complete_key


def line(change: dict[str, Any]) -> str:
    """`42 load_timeout 30.0 -> 45.0 (runtime, set by alice)`"""
    return (f"{change['revision']} {change['key']} {text(change['old_value'])} -> "
            f"{text(change['new_value'])} ({change['source']}, {change['action']} by "
            f"{change['user']})")


@root.command()
@click.argument("keys", nargs=-1, shell_complete=complete_key)
@click.option("--since", type=click.IntRange(min=0), metavar="REVISION",
              help="first print every change after this revision (0: the whole log)")
@click.option("--count", type=click.IntRange(min=1), metavar="N",
              help="exit after N changes (default: follow until Ctrl-C)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@pass_backend
def watch(backend: Backend, keys: tuple[str, ...], since: int | None, count: int | None,
          as_json: bool) -> None:
    """Print each change (of KEYS, or of every key) as it is made, by any process, until
    Ctrl-C. Through a server it follows the change stream and, after a dropped connection
    or a restart, resumes where it stopped, so no change is lost or printed twice; on a
    database it follows the change log.

    \b
    Example:
      lazyconfig watch load_timeout --since 40
      lazyconfig --url http://127.0.0.1:7000 watch --json | jq .new_value
    """
    changes = backend.follow(since, list(keys))
    try:
        for printed, change in enumerate(changes, 1):
            click.echo(json.dumps(change, sort_keys=True) if as_json else line(change))
            if printed == count:
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a watch ends: not a failure
    except BrokenPipeError:
        # The reader went away (`| head`): nothing left to say, and nothing to flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        changes.close()
