"""Reads: from the change log and snapshots in the database, and the checks and summaries
computed from the in-memory State. Every value is shown through a Redaction."""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..db.protocols import Storage
from ..domain import SOURCES
from ..domain.documents import layer_diff
from ..domain.redaction import Redaction
from ..domain.state import State
from ..errors import ChangeLogCompacted
from .snapshots import existing
from .validation import ValueCaps

MAX_ROWS = 2 ** 63 - 1


def check(state: State, key: str, value: Any, caps: ValueCaps) -> list[str]:
    """The messages `value` would be refused with for `key` by today's rule and its type's
    size cap; [] when valid."""
    rule = state.rules.get(key)
    if rule is None:
        return [f"unknown configuration key: {key!r}"]
    stored, problems = rule.check(value)
    too_large = None if problems else caps.problem(rule, stored)
    return [too_large] if too_large else problems


def notifications(storage: Storage, shown: Redaction, limit: int, since: int | None,
                  key: str | None) -> list[dict[str, Any]]:
    with storage.reading() as uow:
        if since is not None and since < (first := uow.compactions.through()):
            raise ChangeLogCompacted(since, first)  # what came between was compacted
        return [shown.change(c) for c in uow.changes.latest(limit, since=since, key=key)]


def history(storage: Storage, shown: Redaction, key: str, limit: int,
            offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of `key`'s changes, newest first, read from the database page by itself (no
    more rows than it shows, whatever the offset), and how many there are in all."""
    with storage.reading() as uow:
        changes = uow.changes.newest_first(limit, offset, key=key)
        total = uow.changes.count(key)
    return [shown.change(c) for c in changes], total


def snapshot_page(storage: Storage, limit: int, offset: int) -> tuple[list[dict], int]:
    # The database takes LIMIT and OFFSET as 64-bit integers (SQLite: OverflowError, a 500;
    # PostgreSQL: an error read as an outage, a 503). Past the last row every offset reads
    # the same empty page, so a larger one (page 10^20) is cut to that, not sent.
    limit, offset = min(limit, MAX_ROWS), min(offset, MAX_ROWS)
    with storage.reading() as uow:
        infos, total = uow.snapshots.page(limit, offset)
    return [info.as_dict() for info in infos], total


def snapshot(storage: Storage, shown: Redaction, snapshot_id: int) -> dict[str, Any]:
    with storage.reading() as uow:
        found = existing(uow, snapshot_id)
    return {**found.info.as_dict(),
            "values": {key: shown.layers(key, layers) for key, layers in found.data.items()}}


def snapshot_diff(storage: Storage, shown: Redaction, snapshot_id: int,
                  against: int | None) -> dict[str, Any]:
    with storage.reading() as uow:
        old = existing(uow, snapshot_id).data
        new = uow.values.layers() if against is None else existing(uow, against).data
    return {"from": snapshot_id, "to": "current" if against is None else against,
            **layer_diff(old, new, shown.value)}


def problems(state: State, service_errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every current problem: rejected file, environment and service values, unknown names
    in those layers, and current values that break today's rules."""
    errors = {k: list(v) for k, v in state.key_errors.items()}
    for source in (state.external_errors, service_errors):
        for key, messages in source.items():
            errors.setdefault(key, []).extend(messages)
    for key, entry in state.entries.items():
        for message in state.rules[key].check(entry.value)[1]:
            errors.setdefault(key, []).append(f"current {entry.source} value invalid: {message}")
    return errors


def summary(state: State, errors: dict[str, list[str]]) -> dict[str, Any]:
    """Counts, sources and validation status; sensitive values masked."""
    counts = Counter(entry.source for entry in state.entries.values())
    shown = Redaction(state.rules, reveal=False)
    return {
        "total_values": len(state.entries),
        "revision": state.revision,
        "sources": {source: counts.get(source, 0) for source in SOURCES},
        "validation_status": {"valid": not errors,
                              "error_count": sum(len(m) for m in errors.values()),
                              "errors": errors},
        "custom_keys": sum(1 for r in state.rules.values() if r.origin == "custom"),
        "values": {key: shown.value(key, value) for key, value in state.values.items()},
    }
