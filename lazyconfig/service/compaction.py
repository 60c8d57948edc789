"""Change-log retention: how far a compaction step may go, the steps (each one transaction
under the write lock, removing a bounded batch), and when a process runs them by itself.
What users see is in docs/operations.md ("Change-log retention"); how the checkpoint keeps
every kept revision exact, in docs/architecture.md."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from ..db.base import utcnow
from ..db.protocols import Storage, UnitOfWork
from ..domain.state import State
from ..errors import ChangeLogCompacted
from ..settings import Settings
from .pipeline import WritePipeline

log = logging.getLogger("lazyconfig.changes")
BATCH = 1_000  # changes per step: the write lock is held for one step, not a whole run
CHECK_EVERY_REVISIONS = 1_000  # after writes, a process looks again this often...
CLOSE_WAIT = 10.0  # seconds close() waits for a background step to end
CHECK_EVERY_SECONDS = 600.0  # ...or this long after it last looked, whichever comes first
# After each step a run rests as long as the step took (at most MAX_REST seconds), so that
# writers have the write lock and the disk at least half the time (bench/HISTORY.md, 7).
MAX_REST = 0.5


@dataclass(frozen=True)
class LogRetention:
    """Changes outside the newest `max_entries` revisions, or older than `max_age_days`,
    may go (0: no limit of that kind). The newest change always stays, so the head, the
    revision every process follows, never moves back."""

    max_entries: int = 0
    max_age_days: int = 0

    def target(self, uow: UnitOfWork, head: int, through: int, now: datetime,
               batch: int) -> int:
        """The revision one step may compact through; `through` or less: nothing to do."""
        end = min(uow.compactions.nth_after(through, batch) or head, head - 1)
        bound = through
        if self.max_entries:
            bound = max(bound, head - self.max_entries)
        if self.max_age_days:
            cutoff = now - timedelta(days=self.max_age_days)
            young = uow.compactions.first_at_or_after(through, end, cutoff)
            bound = max(bound, end if young is None else young - 1)
        return min(bound, end)


@dataclass(frozen=True)
class Compacted:
    """A compaction run: changes removed, steps taken, and where the log now begins."""

    removed: int
    steps: int
    first_kept_revision: int


def step(uow: UnitOfWork, state: State, *, retention: LogRetention, batch: int,
         user: str, ceiling: int | None = None) -> tuple[int, int]:
    """One step on the state caught up under the write lock: (removed, through after).
    With a `ceiling`, the log is taken as it was at that head, so a run ends with what was
    due when it began however fast writers add to it."""
    through, now = uow.compactions.through(), utcnow()
    head = state.revision if ceiling is None else min(state.revision, ceiling)
    target = retention.target(uow, head, through, now, batch)
    if target <= through:
        return 0, through
    return uow.compactions.compact(target, now, user), target


def rest_after(worked: float) -> None:
    """The pause between two steps of a run, after a step that took `worked` seconds."""
    time.sleep(min(worked, MAX_REST))


class ChangeLogCompaction:
    """The engine's change-log retention (`engine.change_log`). As a WriteObserver it
    starts a run in the background every CHECK_EVERY_REVISIONS revisions or
    CHECK_EVERY_SECONDS, one at a time per process; any process may run one, since every
    step decides again under the write lock."""

    def __init__(self, pipeline: WritePipeline, storage: Storage, retention: LogRetention,
                 default_user: str):
        self._pipeline, self._storage = pipeline, storage
        self.retention, self._default_user = retention, default_user
        self._running = threading.Lock()
        self._background_run: threading.Thread | None = None
        self._closed = False
        # The first check comes after a process's first CHECK_EVERY_REVISIONS revisions.
        self._next_revision: int | None = None
        self._next_time = time.monotonic() + CHECK_EVERY_SECONDS

    @classmethod
    def from_settings(cls, pipeline: WritePipeline, storage: Storage, settings: Settings,
                      default_user: str) -> "ChangeLogCompaction":
        return cls(pipeline, storage, LogRetention(
            settings.changelog_max_entries, settings.changelog_max_age_days), default_user)

    def compact(self, *, user: str | None = None, retention: LogRetention | None = None,
                batch: int = BATCH) -> Compacted:
        """Compact by `retention` (the configured one by default) in steps of at most
        `batch` changes, until nothing more may go. Each step is atomic and recorded."""
        with self._storage.reading() as uow:
            through, ceiling = uow.compactions.through(), uow.changes.head()
        operation = partial(step, retention=retention or self.retention, batch=batch,
                            user=user or self._default_user, ceiling=ceiling)
        removed = steps = 0
        while True:
            began = time.monotonic()
            gone, reached = self._pipeline.run(operation, action="compact").result
            if reached <= through:
                return Compacted(removed, steps, through)
            removed, steps, through = removed + gone, steps + 1, reached
            log.info("change log compacted through revision %s: %d change(s) removed",
                     reached, gone, extra={"fields": {"event": "compaction",
                                                      "through": reached, "removed": gone}})
            if self._closed:
                return Compacted(removed, steps, through)
            rest_after(time.monotonic() - began)

    def first_kept_revision(self) -> int:
        """The oldest revision a request may name: every change after it is kept."""
        with self._storage.reading() as uow:
            return uow.compactions.through()

    def check_kept(self, revision: int) -> None:
        """ChangeLogCompacted when `revision` is older than the log keeps."""
        first = self.first_kept_revision()
        if revision < first:
            raise ChangeLogCompacted(revision, first)

    def records(self, limit: int = 20) -> list[dict]:
        """The newest compactions: when, by whom, through which revision, how many."""
        with self._storage.reading() as uow:
            return uow.compactions.records(limit)

    def on_write(self, action: str, keys: list[str], revision: int) -> None:
        if self._next_revision is None:
            self._next_revision = revision + CHECK_EVERY_REVISIONS
        if revision < self._next_revision and time.monotonic() < self._next_time:
            return
        if self._closed or not (self.retention.max_entries or self.retention.max_age_days):
            return
        if self._running.acquire(blocking=False):
            self._next_revision = revision + CHECK_EVERY_REVISIONS
            self._next_time = time.monotonic() + CHECK_EVERY_SECONDS
            self._background_run = threading.Thread(
                target=self._background, name="lazyconfig-compaction", daemon=True)
            self._background_run.start()

    def on_refused(self, action: str, keys: list[str]) -> None:
        pass

    def close(self) -> None:
        """Before the engine closes its database: no new background run, and the one under
        way (if any) ends after its current step, so none holds a connection past close."""
        self._closed = True
        if self._background_run is not None:
            self._background_run.join(timeout=CLOSE_WAIT)

    def _background(self) -> None:
        try:
            self.compact(user="system")
        except Exception as exc:  # the next check tries again; writes never wait for it
            log.warning("change-log compaction failed: %s", exc)
        finally:
            self._running.release()
