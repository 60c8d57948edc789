"""Change analytics (GET /analytics/changes) and the refusal log that feeds its refusal
counts. Every figure is an aggregate the database computes (db/repositories/analytics.py);
nothing here reads change rows one by one (docs/console.md, "Change analytics")."""
from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from typing import Any

from ..db.base import utcnow
from ..db.protocols import Storage
from ..domain.limits import KEY_MAX, NAME_MAX
from ..errors import InvalidParameter

log = logging.getLogger(__name__)
GROUPS = ("key", "user", "day", "action")
UNDO_ACTIONS = ("revert", "rollback")  # changes that take back an earlier one
DEFAULT_SPAN = timedelta(days=29)  # with today: 30 days
FLUSH_SECONDS = 1.0  # a refusal reaches the database within about this long
FLUSH_ROWS = 500  # or as soon as this many wait
CHECK = "validate"  # a check is not a refused write: the console checks as the user types
QUEUE_MAX = 10_000  # beyond this (a flood), refusals are only counted: RefusalLog.dropped


class ChangeAnalytics:
    """The engine's analytics operations (a mixin of ConfigurationEngine)."""

    storage: Storage
    observers: Any
    refusal_log: "RefusalLog | None" = None  # set by bootstrap on a database

    def recording_refusals(self, refusals: "RefusalLog"):
        """This engine, recording the values its rules refuse with `refusals` (whose close
        the caller runs before the database goes)."""
        self.refusal_log = refusals
        self.observers.add(refusals)
        return self

    def change_analytics(self, first: date | None = None, last: date | None = None,
                         group_by: str = "day", limit: int = 50) -> dict[str, Any]:
        """Changes from UTC day `first` to `last`, inclusive (default: the last 30 days to
        today) grouped by key, user, day or action; rollbacks and reverts as a share of
        changes; the median seconds from a change to its revert or rollback; refusals by
        key."""
        last = last or utcnow().date()
        first = first or _before(last, DEFAULT_SPAN)
        if group_by not in GROUPS:
            raise InvalidParameter(f"group_by must be one of {', '.join(GROUPS)}")
        if first > last:
            raise InvalidParameter("`from` must not be after `to`")
        if self.refusal_log is not None:
            self.refusal_log.flush()  # this process's own refusals count at once
        with self.storage.reading() as uow:
            actions = uow.analytics.by_action(first, last)
            groups = uow.analytics.counts_by(group_by, first, last, limit)
            median = uow.analytics.median_undo_seconds(first, last)
            refusals = uow.analytics.refusals_by_key(first, last, limit)
        return _report(first, last, group_by, actions, groups, median, refusals)


def _before(day: date, span: timedelta) -> date:
    try:
        return day - span
    except OverflowError:  # `to` within `span` of year 1
        return date.min


def _report(first, last, group_by, actions, groups, median, refusals) -> dict[str, Any]:
    total = sum(actions.values())
    undone = {action: actions.get(action, 0) for action in UNDO_ACTIONS}
    return {"from": first, "to": last, "group_by": group_by, "total_changes": total,
            "groups": [{"group": group, "changes": count} for group, count in groups],
            "by_action": dict(sorted(actions.items())),
            "rollbacks": undone["rollback"], "reverts": undone["revert"],
            "undo_share": sum(undone.values()) / total if total else 0.0,
            "median_seconds_to_undo": median,
            "refusals": [{"key": key, "refusals": count} for key, count in refusals]}


class RefusalLog:
    """A WriteObserver that records values refused by writes (not by checks), in batches: a refusal is queued in
    memory and written with others by a timer within FLUSH_SECONDS (or at FLUSH_ROWS), so a
    flood of bad writes costs one small transaction a second, not one each."""

    def __init__(self, storage: Storage):
        self._storage = storage
        self._queue: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.dropped = 0

    def on_write(self, action: str, keys: list[str], revision: int) -> None:
        pass

    def on_refused(self, action: str, keys: list[str]) -> None:
        if action == CHECK:
            return
        at = utcnow()
        with self._lock:
            room = QUEUE_MAX - len(self._queue)
            self.dropped += max(0, len(keys) - room)
            self._queue += [{"at": at, "key": key[:KEY_MAX], "action": action[:NAME_MAX]}
                            for key in keys[:max(0, room)]]
            full = len(self._queue) >= FLUSH_ROWS
            if not full and self._timer is None:
                self._timer = threading.Timer(FLUSH_SECONDS, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if full:
            self.flush()

    def flush(self) -> None:
        """Write what is queued now (a failure is logged; those refusals are lost)."""
        with self._lock:
            rows, self._queue = self._queue, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if not rows:
            return
        try:
            with self._storage.writing() as uow:
                uow.refusals.add_many(rows)
                uow.commit()
        except Exception as exc:  # an outage: a warning, as a count lost, not a traceback
            log.warning("could not record %d validation refusals: %s", len(rows), exc)

    def close(self) -> None:
        self.flush()
