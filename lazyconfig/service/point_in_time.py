"""Point-in-time reads and restore: the configuration as the change log says it was at a
past revision (or time), and a validated, attributed write that makes it current again,
like a rollback to a snapshot that was never taken (docs/point-in-time.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any, Iterable

from ..db.protocols import Storage, UnitOfWork
from ..domain import Change
from ..domain.model import same
from ..domain.past import PastEntry, past_entries
from ..domain.redaction import Redaction
from ..domain.state import State, effective
from ..errors import InvalidParameter, UnknownKey, ValidationFailed
from . import planning
from .apply import Author, apply
from .planning import REMOVE, LayerWrite
from .results import _Fields
from .snapshots import Retention, take_snapshot
from .validation import Check, checked


@dataclass(frozen=True)
class PastConfiguration:
    """The effective values at `revision`, one PastEntry per key defined then."""

    revision: int
    entries: dict[str, PastEntry]


@dataclass(frozen=True, eq=False)
class RestoreResult(_Fields):
    restored_revision: int  # the past revision made current
    dry_run: bool
    diff: list[dict[str, Any]]
    safety_snapshot_id: int | None  # taken first; None on a dry run or when nothing changed
    changes: list[Change]
    revision: int  # the revision the configuration is at afterwards


def _revision(uow: UnitOfWork, state: State, revision: int | None,
              at: datetime | None) -> int:
    """The revision asked for, by number or by time, checked against the log's head."""
    if (revision is None) == (at is None):
        raise InvalidParameter("give exactly one of at_revision and at")
    if at is not None:
        if at.tzinfo is None:
            raise InvalidParameter("`at` must name its time zone (e.g. 2026-12-05T01:00:00Z)")
        try:
            at = at.astimezone(timezone.utc)
        except OverflowError:  # before year 1 or after 9999 in UTC: the first or last moment
            at = (datetime.min if at.year == 1 else datetime.max).replace(tzinfo=timezone.utc)
        return uow.changes.revision_at(at)
    head = max(uow.changes.head(), state.revision)
    if not 0 <= revision <= head:
        raise ValidationFailed({"at_revision": [
            f"revision {revision} does not exist; the configuration is at revision {head}"]})
    return revision


def read_past(uow: UnitOfWork, state: State, revision: int | None,
              at: datetime | None) -> PastConfiguration:
    """The configuration at a revision (or the newest one committed by `at`), from `uow`."""
    wanted = _revision(uow, state, revision, at)
    trails = uow.changes.trails_at(wanted)
    return PastConfiguration(wanted, past_entries(trails, state.rules, state.values))


class PastReading:
    """The past values to restore, read before the write lock and checked there (what the
    log says of a revision it holds never changes); the transaction reads them itself when
    the precheck could not."""

    def __init__(self, storage: Storage, revision: int | None, at: datetime | None,
                 chosen: set[str] | None):
        self._storage, self._revision, self._at, self.chosen = storage, revision, at, chosen
        self.past: PastConfiguration | None = None

    def precheck(self, state: State, check: Check) -> None:
        with self._storage.reading() as uow:
            self.past = read_past(uow, state, self._revision, self._at)
        restore_writes(state, self.past, self.chosen, check)

    def read(self, uow: UnitOfWork, state: State) -> PastConfiguration:
        if self.past is None:
            self.past = read_past(uow, state, self._revision, self._at)
        return self.past


def restore_writes(state: State, past: PastConfiguration, chosen: set[str] | None,
                   check: Check = checked) -> list[LayerWrite]:
    """Runtime writes that give each key (of `chosen`, or all) its effective value at the
    past revision: nothing where it already has it, removing the runtime override where
    the layers below give it today, else a runtime override. Keys defined since are left
    alone. Refused whole when a past value breaks today's rule."""
    unknown = sorted((chosen or set()) - set(state.rules))
    if unknown:
        raise UnknownKey(unknown[0])
    writes, errors = [], {}
    for key in sorted(past.entries if chosen is None else chosen & set(past.entries)):
        value, problems = check(state.rules[key], past.entries[key].value)
        if problems:
            errors[key] = problems
        elif not same(value, state.values[key]):
            writes.append(_restoring(key, dict(state.entries[key].layers), value))
    if errors:
        detail = "; ".join(f"{k}: {', '.join(errors[k])}" for k in sorted(errors))
        raise ValidationFailed(errors, f"revision {past.revision} cannot be restored under "
                                       f"today's rules: {detail}")
    return writes


def _restoring(key: str, layers: dict[str, Any], value: Any) -> LayerWrite:
    below = {source: v for source, v in layers.items() if source != "runtime"}
    if "runtime" in layers and same(effective(below)[0], value):
        return LayerWrite(key, "runtime", REMOVE)
    return LayerWrite(key, "runtime", value)


def restore(uow: UnitOfWork, state: State, *, reading: PastReading, dry_run: bool,
            author: Author, retention: Retention,
            check: Check = checked) -> tuple[int, list[dict[str, Any]], int | None]:
    """(revision restored, diff, safety snapshot id): the past values made current after a
    safety snapshot, logged with action `restore`; the diff masked by the caught-up rules."""
    past = reading.read(uow, state)
    writes = restore_writes(state, past, reading.chosen, check)
    diff = planning.diff(state, writes, Redaction(state.rules, reveal=False))
    if dry_run or not writes:
        return past.revision, diff, None
    safety = take_snapshot(uow, state, f"Before restore to revision {past.revision}",
                           ["auto", "restore"], author.user, retention)
    apply(uow, state, writes, "restore", author, f"restore to revision {past.revision}")
    return past.revision, diff, safety.id


class PointInTime:
    """ConfigurationEngine's point-in-time operations (a mixin: uses the engine's storage,
    replica, pipeline, retention and _author)."""

    def values_at(self, revision: int | None = None, *,
                  at: datetime | None = None) -> PastConfiguration:
        """The effective values at `revision` (or at the newest revision committed at or
        before `at`): ValidationFailed past the head, ChangeLogCompacted before the log's
        first kept revision."""
        with self.storage.reading() as uow:
            return read_past(uow, self.replica.state, revision, at)

    def restore(self, at_revision: int | None = None, *, at: datetime | None = None,
                keys: Iterable[str] | None = None, dry_run: bool = False,
                user: str | None = None, expected_revision: int | None = None,
                description: str | None = None, request_id: str | None = None
                ) -> RestoreResult:
        """Make the values of a past revision current (of `keys`, or all), in one atomic,
        validated write after a safety snapshot; dry_run only reports the diff."""
        chosen = None if keys is None else set(planning.key_list(keys))
        reading = PastReading(self.storage, at_revision, at, chosen)
        done = self.pipeline.run(partial(
            restore, reading=reading, dry_run=dry_run, retention=self._retention,
            author=self._author(user, description, request_id)), expected_revision,
            "restore", reading.precheck)
        restored, diff, safety = done.result
        return RestoreResult(restored, dry_run, diff, safety, done.changes, done.revision)
