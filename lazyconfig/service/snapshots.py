"""Snapshots: taking them with their retention, and the operations that restore or replace
many values at once behind a safety snapshot (rollback, reset, import)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..db.base import utcnow
from ..db.protocols import Storage, UnitOfWork
from ..domain.limits import USER_MAX, check_texts
from ..domain.model import Snapshot, SnapshotInfo
from ..domain.redaction import Redaction
from ..domain.state import State
from ..errors import SnapshotNotFound
from . import planning
from .apply import Author, apply
from .validation import Check, checked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    """Unpinned snapshots beyond the newest `max_count`, or older than `max_age_days`, go;
    the newest snapshot always stays."""

    max_count: int = 100
    max_age_days: int = 30

    def doomed(self, listing: list[tuple[int, bool, datetime]], now: datetime) -> list[int]:
        """The ids to delete, from (id, pinned, created_at) newest first."""
        if not listing:
            return []
        newest_id, newest_pinned, _ = listing[0]
        # An unpinned newest takes one of the max_count places; a pinned one takes none.
        kept = max(self.max_count if newest_pinned else self.max_count - 1, 0)
        older_than = now - timedelta(days=self.max_age_days)
        unpinned = [(sid, at) for sid, pinned, at in listing[1:] if not pinned]
        return sorted({sid for sid, at in unpinned if at < older_than}
                      | {sid for sid, _ in unpinned[kept:]})


def take_snapshot(uow: UnitOfWork, state: State, description: str | None, tags: list[str],
                  user: str, retention: Retention, pinned: bool = False) -> SnapshotInfo:
    """Capture the persisted layers of `state` and apply retention, in `uow`; refused first
    (UnstorableText) when the description or user is text the database cannot store."""
    check_texts({"description": (description, None), "user": (user, USER_MAX)})
    # `state` has caught up under the write lock, so its layers are the database's: no
    # need to read every value row again.
    now = utcnow()
    info = uow.snapshots.add(description=description, tags=tags, pinned=pinned,
                             created_at=now, created_by=user, revision=state.revision,
                             data=state.persisted.to_dict())
    doomed = retention.doomed(uow.snapshots.retention_listing(), now)
    if doomed:
        uow.snapshots.delete_many(doomed)
        log.info("snapshot retention deleted %d snapshot(s): %s", len(doomed), doomed)
    return info


def existing(uow: UnitOfWork, snapshot_id: int) -> Snapshot:
    snapshot = uow.snapshots.get(snapshot_id)
    if snapshot is None:
        raise SnapshotNotFound(snapshot_id)
    return snapshot


def delete(uow: UnitOfWork, state: State, *, snapshot_id: int, user: str) -> bool:
    if not uow.snapshots.delete_many([snapshot_id]):
        raise SnapshotNotFound(snapshot_id)
    log.info("snapshot %s deleted by %s", snapshot_id, user)
    return True


class Restoring:
    """A snapshot's data, read before the write lock (a snapshot never changes), so its
    values are checked there; the transaction still decides whether it exists."""

    def __init__(self, storage: Storage, snapshot_id: int, chosen: set[str] | None):
        self._storage, self.snapshot_id, self.chosen = storage, snapshot_id, chosen
        self.data: dict | None = None

    def precheck(self, state: State, check: Check) -> None:
        with self._storage.reading() as uow:
            self.data = existing(uow, self.snapshot_id).data
        planning.check_restorable(state, self.data, self.chosen, self.snapshot_id, check)


def rollback(uow: UnitOfWork, state: State, *, restoring: Restoring, dry_run: bool,
             author: Author, retention: Retention,
             check: Check = checked) -> tuple[list[dict[str, Any]], int | None]:
    """(diff, safety snapshot id): restore the snapshot's layers, after a safety snapshot.
    The diff masks sensitive values by the caught-up rules, so a key another process
    created as sensitive is masked too."""
    snapshot_id = restoring.snapshot_id
    data = existing(uow, snapshot_id).data if restoring.data is None else restoring.data
    if restoring.data is not None and not uow.snapshots.exists(snapshot_id):
        raise SnapshotNotFound(snapshot_id)
    writes = planning.rollback_writes(state, data, restoring.chosen, snapshot_id, check)
    diff = planning.diff(state, writes, Redaction(state.rules, reveal=False))
    if dry_run or not writes:
        return diff, None
    safety = take_snapshot(uow, state, f"Before rollback to snapshot {snapshot_id}",
                           ["auto", "rollback"], author.user, retention)
    apply(uow, state, writes, "rollback", author, f"rollback to snapshot {snapshot_id}")
    return diff, safety.id


def reset(uow: UnitOfWork, state: State, *, wanted: list[str] | None, author: Author,
          retention: Retention) -> tuple[list[str], int]:
    """(keys reset, safety snapshot id): remove runtime overrides after a safety snapshot."""
    planning.check_known(state, wanted or [])
    writes = planning.reset_writes(state, wanted)
    safety = take_snapshot(uow, state, "Before reset", ["auto", "reset"], author.user, retention)
    apply(uow, state, writes, "reset", author)
    return [w.key for w in writes], safety.id


def import_values(uow: UnitOfWork, state: State, *, values: dict[str, Any], dry_run: bool,
                  author: Author, retention: Retention,
                  check: Check = checked) -> tuple[list[dict[str, Any]], int | None]:
    """(diff, safety snapshot id): a document's values as runtime overrides, all or none,
    the diff masked by the caught-up rules."""
    writes = planning.import_writes(state, values, check)
    diff = planning.diff(state, writes, Redaction(state.rules, reveal=False))
    if dry_run or not writes:
        return diff, None
    safety = take_snapshot(uow, state, "Before import", ["auto", "import"], author.user,
                           retention)
    apply(uow, state, writes, "import", author, "import")
    return diff, safety.id


class SnapshotPins:
    """Pinning: a pinned snapshot is never deleted by retention (ConfigurationEngine mixes
    this in). A pin changes no value, so it is an audit event, not a change-log row."""

    def pin_snapshot(self, snapshot_id: int, pinned: bool = True, *, user: str | None = None,
                     request_id: str | None = None) -> dict[str, Any]:
        """Pin (or unpin) a snapshot; its metadata after. SnapshotNotFound when there is
        none. Pinning a pinned snapshot changes nothing and records nothing."""
        actor = user or self.default_user
        check_texts({"user": (actor, USER_MAX)})
        with self.storage.writing() as uow:
            found = uow.snapshots.set_pinned(snapshot_id, pinned)
            if found is None:
                raise SnapshotNotFound(snapshot_id)
            info, changed = found
            if changed:
                uow.audit.record(at=utcnow(), actor=actor,
                                 action="snapshot.pin" if pinned else "snapshot.unpin",
                                 subject=f"snapshot:{snapshot_id}", request_id=request_id)
            uow.commit()
        return info.as_dict()
