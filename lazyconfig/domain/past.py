"""The configuration at a past revision, as the change log recorded it: effective values
only, since the log never held layers (docs/point-in-time.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from .rules import ConfigurationValidationRule, ValueType


@dataclass(frozen=True)
class KeyTrail:
    """What the log holds of one key around a revision: its last change up to the revision
    (or the checkpoint's, when that change was compacted), else its first change after."""

    key: str
    version: int | None = None  # the last change up to the revision; None: no change by then
    value: Any = None  # the effective value after that change
    updated_at: datetime | None = None
    updated_by: str | None = None
    source: str | None = None  # the layer that change wrote (None from the checkpoint)
    changed_later: bool = False  # a change after the revision, whose old value is `before`
    before: Any = None


@dataclass(frozen=True)
class PastEntry:
    """A key's effective value at a past revision and its last change by then."""

    key: str
    value: Any
    version: int
    updated_at: datetime | None
    updated_by: str | None
    source: str | None


def past_entries(trails: Mapping[str, KeyTrail], rules: Mapping[str, ConfigurationValidationRule],
                 current: Mapping[str, Any]) -> dict[str, PastEntry]:
    """Each key's entry at the revision the trails were read at. A key changed by then has
    its change's value; a built-in key never changed by then had the old value of its next
    change, or today's value if it never changed since; a custom key with no change by then
    was not yet defined (defining one logs a change), so it has no entry."""
    entries = {}
    for key, trail in trails.items():
        rule = rules.get(key)
        if rule is None:
            continue
        if trail.version is not None:
            entries[key] = PastEntry(key, _typed(rule, trail.value), trail.version,
                                     trail.updated_at, trail.updated_by, trail.source)
        elif rule.origin == "builtin" and key in current:
            value = _typed(rule, trail.before) if trail.changed_later else current[key]
            entries[key] = PastEntry(key, value, 0, None, None, None)
    return entries


def _typed(rule: ConfigurationValidationRule, value: Any) -> Any:
    # PostgreSQL's JSONB gives a large float back as an int (as domain/state.py notes).
    return float(value) if rule.value_type is ValueType.FLOAT and type(value) is int else value
