"""Change-log retention: a long history compacted in steps, then everything a user can ask
of a revision inside the kept window answers as the whole log did (values, versions,
snapshots, rollbacks, diffs, history, notifications, reverts, a new process's state), and
everything before it is refused with ChangeLogCompacted, never answered wrongly."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from lazyconfig.db.base import utcnow
from lazyconfig.db.models import ChangeRow
from lazyconfig.errors import ChangeLogCompacted
from lazyconfig.service.compaction import LogRetention

KEYS = ["lazy_loading_unloading_check_interval", "max_concurrent_loads",
        "memory_pressure_threshold", "load_timeout"]
VALUES = {"lazy_loading_unloading_check_interval": lambda n: 10 + n,
          "max_concurrent_loads": lambda n: 1 + n % 50,
          "memory_pressure_threshold": lambda n: round(0.5 + (n % 40) / 100, 2),
          "load_timeout": lambda n: 5.0 + n}


def _history(engine, writes: int, snapshot_every: int = 40) -> list[int]:
    """`writes` writes over KEYS (one key left alone after the first quarter, so all its
    changes get compacted), with a snapshot every `snapshot_every`; the snapshot ids."""
    snapshots = []
    for n in range(writes):
        key = KEYS[n % 3] if n > writes // 4 else KEYS[n % 4]
        engine.set(key, VALUES[key](n), user=f"user{n % 5}", strict=True)
        if n % snapshot_every == 0:
            snapshots.append(engine.create_snapshot(f"at {n}"))
    return snapshots


def _value_at(engine, key, revision):
    with engine.storage.reading() as uow:
        return uow.changes.value_at(key, revision)


def _seen(engine, revisions):
    """Everything a caller can read of the log, as of now."""
    return {
        "entries": {k: (e.value, e.source, e.version) for k, e in engine.entries().items()},
        "at": {(k, r): _value_at(engine, k, r) for k in KEYS for r in revisions},
        "since": {r: engine.get_notifications(1000, since=r) for r in revisions},
        "history": {k: engine.get_history(k, limit=1000)[0] for k in KEYS},
        "export": engine.export(include_sensitive=True),
    }


def _kept(seen, first):
    """What of `seen` lies inside a window that begins at revision `first`."""
    return {**seen, "at": {kr: v for kr, v in seen["at"].items() if kr[1] >= first},
            "since": {r: v for r, v in seen["since"].items() if r >= first},
            "history": {k: [c for c in v if c["revision"] > first]
                        for k, v in seen["history"].items()}}


def test_a_compacted_history_answers_exactly_inside_the_window(make_engine):
    engine = make_engine()
    snapshots = _history(engine, 240)
    head = engine.revision
    before = _seen(engine, range(0, head + 1))
    done = engine.change_log.compact(user="ops", retention=LogRetention(max_entries=60),
                                     batch=37)
    first = head - 60
    assert (done.first_kept_revision, done.removed) == (first, first) and done.steps > 1
    assert engine.change_log.first_kept_revision() == first
    assert _seen(engine, range(first, head + 1)) == _kept(before, first)
    # A new process loads the same state, versions included, from the checkpoint.
    assert make_engine().entries() == engine.entries()
    # Before the window: a clear refusal, never a value.
    for revision in (0, first - 1):
        with pytest.raises(ChangeLogCompacted) as refused:
            _value_at(engine, KEYS[0], revision)
        assert refused.value.first_kept_revision == first
        with pytest.raises(ChangeLogCompacted):
            engine.get_notifications(10, since=revision)
        with pytest.raises(ChangeLogCompacted):
            engine.revert(KEYS[0], revision)
    records = engine.change_log.records()
    assert records[0]["through"] == first and {r["user"] for r in records} == {"ops"}
    assert sum(r["removed"] for r in records) == first


def test_snapshots_rollback_diff_and_revert_survive_compaction(make_engine):
    engine = make_engine()
    snapshots = _history(engine, 200)
    oldest = engine.get_snapshot(snapshots[0])
    diff = engine.diff_snapshots(snapshots[0], snapshots[-1])
    engine.change_log.compact(retention=LogRetention(max_entries=20))
    assert engine.get_snapshot(snapshots[0]) == oldest
    assert engine.diff_snapshots(snapshots[0], snapshots[-1]) == diff
    engine.rollback_to_snapshot(snapshots[0])
    assert {k: engine.get(k) for k in oldest["values"]} == {
        k: layers["runtime"] for k, layers in oldest["values"].items()}
    inside = engine.revision - 5
    wanted = _value_at(engine, KEYS[1], inside)[1]
    engine.revert(KEYS[1], inside)
    assert engine.get(KEYS[1]) == wanted


def test_a_key_whose_changes_were_all_compacted_keeps_its_version_and_past_value(make_engine):
    engine = make_engine()
    engine.set(KEYS[3], 42.0, strict=True)
    version = engine.get_entry(KEYS[3]).version
    for n in range(30):
        engine.set(KEYS[0], 10 + n, strict=True)
    engine.change_log.compact(retention=LogRetention(max_entries=5))
    assert engine.change_log.first_kept_revision() > version
    assert make_engine().get_entry(KEYS[3]).version == version
    assert _value_at(engine, KEYS[3], engine.revision) == (True, 42.0)
    engine.write_values({KEYS[3]: 43.0}, expected_versions={KEYS[3]: version})
    assert engine.get(KEYS[3]) == 43.0


def test_age_retention_removes_only_changes_older_than_the_limit(make_engine, tables):
    engine = make_engine()
    _history(engine, 50)
    middle = engine.revision - 20
    tables.execute(update(ChangeRow).where(ChangeRow.id <= middle)
                   .values(at=utcnow() - timedelta(days=10)))
    done = engine.change_log.compact(retention=LogRetention(max_age_days=7))
    assert done.first_kept_revision == middle
    assert min(c.id for c in tables.changes()) == middle + 1
    # Nothing older than the limit left: a second run finds nothing to do.
    assert engine.change_log.compact(retention=LogRetention(max_age_days=7)).removed == 0


def test_the_newest_change_always_stays(make_engine, tables):
    engine = make_engine()
    _history(engine, 10)
    head = engine.revision
    engine.change_log.compact(retention=LogRetention(max_age_days=1, max_entries=1))
    tables.execute(update(ChangeRow).values(at=utcnow() - timedelta(days=5)))
    engine.change_log.compact(retention=LogRetention(max_age_days=1))
    assert [c.id for c in tables.changes()] == [head]
    assert make_engine().revision == head


def test_a_process_behind_the_window_loads_the_whole_state(make_engine):
    writer, behind = make_engine(), make_engine(watch=False)
    _history(writer, 120)
    writer.change_log.compact(retention=LogRetention(max_entries=10))
    heard = []
    behind.subscribe(heard.append)
    assert behind.refresh() == writer.revision
    assert behind.entries() == writer.entries()
    assert [c.revision for c in heard] == list(range(writer.revision - 9, writer.revision + 1))
    behind.set(KEYS[0], 999, strict=True)  # and it writes on that state
    assert writer.refresh() == behind.revision and writer.get(KEYS[0]) == 999


def test_compaction_under_concurrent_writers_loses_nothing(make_engine):
    compactor, writers = make_engine(), [make_engine(), make_engine()]
    _history(compactor, 300)
    stop, errors = threading.Event(), []

    def write(engine, tag):
        n = 0
        while not stop.is_set():
            try:
                engine.set(KEYS[n % 3], VALUES[KEYS[n % 3]](n + tag), strict=True)
            except Exception as exc:  # pragma: no cover - shown by the assert below
                errors.append(exc)
            n += 1
            stop.wait(0.002)

    threads = [threading.Thread(target=write, args=(e, i * 1000)) for i, e in enumerate(writers)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2):
            compactor.change_log.compact(retention=LogRetention(max_entries=25), batch=50)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    fresh = make_engine()
    for engine in [compactor, *writers]:
        engine.refresh()
        assert engine.entries() == fresh.entries()
    first = fresh.change_log.first_kept_revision()
    assert [c["revision"] for c in fresh.get_notifications(1000, since=first)] == sorted(
        {c["revision"] for c in fresh.get_notifications(1000, since=first)})


def test_export_and_import_are_unaffected(make_engine):
    engine = make_engine()
    _history(engine, 60)
    exported = engine.export(include_sensitive=True)
    engine.change_log.compact(retention=LogRetention(max_entries=3))
    assert {k: v for k, v in engine.export(include_sensitive=True).items()
            if k != "revision"} == {k: v for k, v in exported.items() if k != "revision"}
    engine.set(KEYS[0], 1, strict=True)
    engine.import_configuration(exported)
    assert engine.get(KEYS[0]) == exported["values"][KEYS[0]]
