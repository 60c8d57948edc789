"""How the command prints: aligned tables for people, JSON for machines, and progress steps
on stderr so stdout stays clean for pipes."""
from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from typing import Any, Iterable, Sequence

import click

MAX_CELL = 60


def text(value: Any) -> str:
    """A value as a person reads it: strings bare (control characters escaped, so a value
    cannot move the cursor or forge a line), everything else as JSON."""
    if isinstance(value, str):
        return "".join(_escaped(c) for c in value)
    return json.dumps(value, sort_keys=True, default=str)


def _escaped(char: str) -> str:
    if unicodedata.category(char) != "Cc":
        return char
    return json.dumps(char)[1:-1] if ord(char) < 0x80 else f"\\x{ord(char):02x}"


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=_plain))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _cell(value: Any) -> str:
    shown = "" if value is None else text(value)
    return shown if len(shown) <= MAX_CELL else shown[:MAX_CELL - 1] + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print rows under headers, each column as wide as its widest cell."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [list(headers)] + cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


class Progress:
    """Numbered steps of a long operation, printed to stderr: `[2/3] applying 40 changes`."""

    def __init__(self, steps: int):
        self.steps = steps
        self.done = 0

    def step(self, message: str) -> None:
        self.done += 1
        click.echo(f"[{self.done}/{self.steps}] {message}", err=True)


def diff_rows(diff: list[dict[str, Any]]) -> None:
    """An operation's diff (rollback, import): key, old value, new value, winning source,
    by key."""
    if not diff:
        click.echo("no changes")
        return
    table(("KEY", "OLD", "NEW", "SOURCE"),
          [(d["key"], d["old_value"], d["new_value"], d.get("source"))
           for d in sorted(diff, key=lambda d: d["key"])])
