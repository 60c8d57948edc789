"""What must hold after a crash, as functions that raise AssertionError with the evidence:
the keys show one whole state, the change log explains the values, SQLite's file is sound.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

_ABSENT = object()


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type: 30 and 30.0 differ, so do True and 1."""
    return type(a) is type(b) and a == b


def which_state(values: Mapping[str, Any], states: Mapping[str, Mapping[str, Any]]) -> str:
    """The name of the state that `values` matches on every key; a mix of states, a value
    of neither, or a missing or extra key is an AssertionError that says how many of each."""
    for name, state in states.items():
        if set(values) == set(state) and all(same(values[k], v) for k, v in state.items()):
            return name
    keys = sorted(set().union(*states.values()))
    matching = {name: sum(same(values.get(k, _ABSENT), state[k]) for k in keys)
                for name, state in states.items()}
    neither = [k for k in keys if not any(same(values.get(k, _ABSENT), s[k]) for s in states.values())]
    extra = sorted(set(values) - set(keys))
    raise AssertionError(
        f"torn state: of {len(keys)} keys, {matching} match each state; {len(neither)} match "
        f"none (e.g. {[(k, values.get(k, 'missing')) for k in neither[:3]]}); "
        f"{len(extra)} unexpected keys {extra[:3]}")


@dataclass(frozen=True)
class LoggedChange:
    revision: int
    key: str
    old_value: Any
    new_value: Any
    action: str
    batch_id: str | None


@dataclass(frozen=True)
class Batch:
    batch_id: str
    action: str
    size: int


@dataclass
class ChangeLogReplay:
    """The change log replayed from its start. `extend` takes the rows after `head`;
    `values` is then every key's value according to the log."""

    values: dict[str, Any]  # before any row: the keys that exist without one (the built-ins)
    head: int = 0
    row_count: int = 0
    batches: list[Batch] = field(default_factory=list)

    def extend(self, rows: Iterable[LoggedChange]) -> list[Batch]:
        """Replay `rows` (the rows after `head`, in revision order); returns their batches.
        Revisions must increase, each row's old value must be the key's value so far, and
        a batch's rows must be contiguous."""
        rows = list(rows)
        positions: dict[str, list[int]] = {}
        for position, row in enumerate(rows):
            assert row.revision > self.head, (
                f"revision {row.revision} is not after {self.head}: revisions must increase")
            previous = self.values.get(row.key)
            assert _same_stored(row.old_value, previous), (
                f"revision {row.revision} says {row.key} was {row.old_value!r}, but the log "
                f"so far gives {previous!r}")
            self.values[row.key] = row.new_value
            self.head = row.revision
            if row.batch_id is not None:
                positions.setdefault(row.batch_id, []).append(position)
        self.row_count += len(rows)
        found = []
        for batch_id, where in positions.items():
            assert where == list(range(where[0], where[0] + len(where))), (
                f"batch {batch_id} is interleaved with other rows: positions {where[:5]}...")
            assert len({rows[p].key for p in where}) == len(where), (
                f"batch {batch_id} changes a key twice")
            found.append(Batch(batch_id, rows[where[0]].action, len(where)))
        self.batches += found
        return found

    def agree_with(self, values: Mapping[str, Any], revision: int) -> None:
        """The engine's `values` at `revision` are what the log says, key by key."""
        assert revision == self.head, (
            f"the engine is at revision {revision}, the log ends at {self.head}")
        unexplained = {k: (v, self.values.get(k, "no change and no default"))
                       for k, v in values.items()
                       if not _same_stored(self.values.get(k, _ABSENT), v)}
        assert not unexplained, (
            f"{len(unexplained)} keys differ from the replayed change log, e.g. (value, "
            f"log): {dict(list(unexplained.items())[:3])}")


def _same_stored(logged: Any, value: Any) -> bool:
    # JSONB may hand back a whole float as an int; the engine reads it as a float again.
    if type(logged) is int and type(value) is float:
        logged = float(logged)
    return same(logged, value)


def sqlite_integrity_problems(path: str) -> list[str]:
    """What `PRAGMA integrity_check` and `foreign_key_check` find; [] for a sound file."""
    try:
        with closing(sqlite3.connect(path)) as conn:
            found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            orphans = list(conn.execute("PRAGMA foreign_key_check"))
    except sqlite3.DatabaseError as exc:
        return [f"cannot check: {exc}"]
    return [f for f in found if f != "ok"] + [f"foreign key broken: {o}" for o in orphans]
