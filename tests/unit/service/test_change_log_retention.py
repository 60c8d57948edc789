"""Change-log retention on the fakes: which changes a step may remove, that the newest
always stays, that a run is recorded, and that a server compacts by itself after writes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fakes import FakeStorage
from lazyconfig.errors import ChangeLogCompacted
from lazyconfig.service import compaction
from lazyconfig.service.compaction import LogRetention

KEY = "max_concurrent_loads"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _writes(service, count):
    for n in range(count):
        service.set(KEY, 1 + n % 50, user="ann", strict=True)


def _target(service, retention, batch=1000):
    with service.storage.reading() as uow:
        return retention.target(uow, service.revision, uow.compactions.through(), NOW, batch)


def test_count_retention_keeps_the_newest_revisions(service):
    _writes(service, 30)
    assert _target(service, LogRetention(max_entries=10)) == 20
    assert _target(service, LogRetention(max_entries=10), batch=7) == 7  # one step's worth
    assert _target(service, LogRetention(max_entries=0)) == 0  # no limit, nothing to do
    assert _target(service, LogRetention(max_entries=1000)) == 0


def test_age_retention_stops_at_the_first_young_change(service, storage: FakeStorage):
    _writes(service, 10)
    storage.tables.changes = [c.__class__(**{**c.__dict__, "timestamp": NOW - timedelta(
        days=9 if c.revision <= 4 else 1)}) for c in storage.tables.changes]
    assert _target(service, LogRetention(max_age_days=3)) == 4
    assert _target(service, LogRetention(max_age_days=30)) == 0


def test_the_newest_change_is_never_compacted(service, storage: FakeStorage):
    _writes(service, 5)
    storage.tables.changes = [c.__class__(**{**c.__dict__, "timestamp": NOW - timedelta(
        days=100)}) for c in storage.tables.changes]
    assert _target(service, LogRetention(max_entries=1, max_age_days=1)) == 4
    done = service.change_log.compact(user="ops", retention=LogRetention(max_entries=1))
    assert (done.removed, done.first_kept_revision) == (4, 4)
    assert [c.revision for c in storage.tables.changes] == [5]


def test_a_run_is_recorded_and_reads_before_it_are_refused(service):
    _writes(service, 12)
    done = service.change_log.compact(user="ops", retention=LogRetention(max_entries=4),
                                      batch=3)
    assert (done.removed, done.steps, done.first_kept_revision) == (8, 3, 8)
    assert [(r["user"], r["through"]) for r in service.change_log.records()] == [
        ("ops", 8), ("ops", 6), ("ops", 3)]
    with pytest.raises(ChangeLogCompacted):
        service.get_notifications(since=7)
    with pytest.raises(ChangeLogCompacted):
        service.change_log.check_kept(7)
    service.change_log.check_kept(8)
    assert [n["revision"] for n in service.get_notifications(since=8)] == [9, 10, 11, 12]


def test_a_process_compacts_by_itself_every_so_many_revisions(service, monkeypatch):
    monkeypatch.setattr(compaction, "CHECK_EVERY_REVISIONS", 10)
    service.change_log.retention = LogRetention(max_entries=5)
    service.change_log._next_revision = None
    _writes(service, 25)
    service.change_log._running.acquire(timeout=5)  # the background run has finished
    service.change_log._running.release()
    assert service.change_log.first_kept_revision() > 0
    assert service.change_log.records()[0]["user"] == "system"
