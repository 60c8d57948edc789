"""Snapshots: retention (count and age, pinned exempt, newest kept), rollback under today's
rules, unknown ids, and reset."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from lazyconfig.db.base import utcnow
from lazyconfig.db.models import SnapshotRow
from lazyconfig.errors import SnapshotNotFound, ValidationFailed

from .database import same

INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"
THRESHOLD = "memory_pressure_threshold"
LOADS = "max_concurrent_loads"


@pytest.mark.parametrize("how", ["setting", "environment"])
def test_retention_keeps_the_newest_max_count(make_engine, tables, how):
    engine = (make_engine(snapshot_max_count=3) if how == "setting"
              else make_engine({"LAZYCONFIG_SNAPSHOT_MAX_COUNT": "3"}))
    ids = [engine.create_snapshot(f"s{i}") for i in range(6)]
    assert [s.id for s in tables.snapshots()] == ids[-3:]
    assert [s["id"] for s in engine.list_snapshots()] == list(reversed(ids[-3:]))


def test_pinned_snapshots_are_exempt_from_retention(make_engine, tables):
    engine = make_engine(snapshot_max_count=3)
    pinned = engine.create_snapshot("keep me", pinned=True)
    ids = [engine.create_snapshot(f"s{i}") for i in range(5)]
    assert [s.id for s in tables.snapshots()] == [pinned] + ids[-3:]
    assert engine.get_snapshot(pinned)["pinned"] is True


def test_a_pinned_newest_snapshot_takes_no_unpinned_place(make_engine, tables):
    engine = make_engine(snapshot_max_count=3)
    ids = [engine.create_snapshot(f"s{i}") for i in range(5)]
    pinned = engine.create_snapshot("keep me", pinned=True)
    assert [s.id for s in tables.snapshots()] == ids[-3:] + [pinned]


def test_the_newest_snapshot_is_never_deleted(make_engine, tables):
    engine = make_engine(snapshot_max_count=0, snapshot_max_age_days=0)
    for i in range(3):
        newest = engine.create_snapshot(f"s{i}")
        assert [s.id for s in tables.snapshots()] == [newest]


def test_snapshots_past_the_age_limit_are_deleted(make_engine, tables):
    engine = make_engine(snapshot_max_age_days=30)
    old, recent = engine.create_snapshot("old"), engine.create_snapshot("recent")
    old_pinned = engine.create_snapshot("old but pinned", pinned=True)
    tables.execute(update(SnapshotRow).where(SnapshotRow.id.in_([old, old_pinned]))
                   .values(created_at=utcnow() - timedelta(days=31)))
    newest = engine.create_snapshot("newest")
    assert [s.id for s in tables.snapshots()] == [recent, old_pinned, newest]


def test_snapshot_records_layers_tags_author_and_revision(engine, tables):
    engine.set(INTERVAL, 30.0)
    engine.update({STRATEGY: "AGGRESSIVE", LOADS: 8})
    snapshot_id = engine.create_snapshot("tuned", tags=["perf", "nightly"], user="alice")
    row = tables.snapshots()[-1]
    assert (row.id, row.description, row.tags, row.created_by, row.revision, row.key_count) == \
        (snapshot_id, "tuned", ["perf", "nightly"], "alice", engine.revision, 3)
    assert row.data == {INTERVAL: {"runtime": 30.0}, STRATEGY: {"runtime": "AGGRESSIVE"},
                        LOADS: {"runtime": 8}}
    info = engine.get_snapshot(snapshot_id)
    assert info["values"] == row.data and info["tags"] == ["perf", "nightly"]


def test_rollback_restores_layers_and_logs_each_changed_key(engine, tables):
    engine.set(INTERVAL, 30.0)
    snapshot_id = engine.create_snapshot("good")
    engine.update({INTERVAL: 5.0, STRATEGY: "AGGRESSIVE"})
    mark = engine.revision
    result = engine.rollback_to_snapshot(snapshot_id, user="bob")
    assert engine.get(INTERVAL) == 30.0 and engine.get(STRATEGY) == "BALANCED"
    assert tables.values() == {(INTERVAL, "runtime"): 30.0}
    log = tables.changes(since=mark)
    assert sorted((c.key, c.old_value, c.new_value, c.action, c.actor) for c in log) == [
        (INTERVAL, 5.0, 30.0, "rollback", "bob"), (STRATEGY, "AGGRESSIVE", "BALANCED", "rollback", "bob")]
    safety = tables.snapshots()[-1]
    assert result["safety_snapshot_id"] == safety.id
    assert safety.data == {INTERVAL: {"runtime": 5.0}, STRATEGY: {"runtime": "AGGRESSIVE"}}


def test_rollback_dry_run_and_chosen_keys(engine, tables):
    snapshot_id = engine.create_snapshot("defaults")
    engine.update({INTERVAL: 5.0, STRATEGY: "AGGRESSIVE"})
    count, snapshots = tables.change_count(), len(tables.snapshots())
    preview = engine.rollback_to_snapshot(snapshot_id, dry_run=True)
    assert sorted((d["key"], d["old_value"], d["new_value"]) for d in preview["diff"]) == [
        (INTERVAL, 5.0, 60.0), (STRATEGY, "AGGRESSIVE", "BALANCED")]
    assert tables.change_count() == count and len(tables.snapshots()) == snapshots
    assert engine.get(INTERVAL) == 5.0
    engine.rollback_to_snapshot(snapshot_id, keys=[STRATEGY])
    assert engine.get(STRATEGY) == "BALANCED" and engine.get(INTERVAL) == 5.0


def test_rollback_refuses_values_that_fail_a_rule_tightened_since(engine, tables):
    engine.set(THRESHOLD, 0.95)
    snapshot_id = engine.create_snapshot("loose")
    # put_rule refuses a rule the current value breaks, so move the value away first.
    with pytest.raises(ValidationFailed):
        engine.put_rule({**engine.get_rule(THRESHOLD).to_record(), "max_value": 0.9})
    engine.set(THRESHOLD, 0.5)
    engine.put_rule({**engine.get_rule(THRESHOLD).to_record(), "max_value": 0.9})
    count, stored = tables.change_count(), tables.values()
    with pytest.raises(ValidationFailed) as refused:
        engine.rollback_to_snapshot(snapshot_id)
    assert refused.value.errors == {THRESHOLD: ["runtime value: must be at most 0.9"]}
    assert "cannot be restored" in refused.value.message
    assert engine.get(THRESHOLD) == 0.5
    assert tables.change_count() == count and tables.values() == stored


def test_rollback_refuses_a_value_a_custom_validator_added_since_rejects(engine):
    from lazyconfig import ConfigurationValidationRule
    engine.set(LOADS, 7)
    snapshot_id = engine.create_snapshot("odd")
    engine.set(LOADS, 8)
    engine.add_validation_rule(ConfigurationValidationRule(
        key=LOADS, validator=lambda v: v % 2 == 0, error_message="loads must be even"))
    with pytest.raises(ValidationFailed, match="loads must be even"):
        engine.rollback_to_snapshot(snapshot_id)
    assert engine.get(LOADS) == 8


@pytest.mark.parametrize("call", ["rollback_to_snapshot", "delete_snapshot", "get_snapshot"])
def test_unknown_snapshot_id(engine, call):
    with pytest.raises(SnapshotNotFound) as missing:
        getattr(engine, call)(424242)
    assert missing.value.snapshot_id == 424242 and "424242" in missing.value.message


def test_deleted_snapshot_is_gone(engine, tables):
    keep, doomed = engine.create_snapshot("keep"), engine.create_snapshot("doomed")
    assert engine.delete_snapshot(doomed) is True
    assert [s.id for s in tables.snapshots()] == [keep]
    with pytest.raises(SnapshotNotFound):
        engine.rollback_to_snapshot(doomed)


def test_reset_removes_runtime_overrides_after_a_safety_snapshot(engine, tables):
    engine.update({INTERVAL: 5.0, STRATEGY: "AGGRESSIVE", LOADS: 8})
    result = engine.reset([INTERVAL, STRATEGY], user="admin")
    assert sorted(result["reset"]) == [INTERVAL, STRATEGY]
    assert engine.get(INTERVAL) == 60.0 and engine.get(STRATEGY) == "BALANCED"
    assert tables.values() == {(LOADS, "runtime"): 8}
    snapshot = tables.snapshots()[-1]
    assert result["snapshot_id"] == snapshot.id and snapshot.description == "Before reset"
    assert LOADS in snapshot.data and INTERVAL in snapshot.data
    assert {(c.key, c.action, c.actor) for c in tables.changes()[-2:]} == {
        (INTERVAL, "reset", "admin"), (STRATEGY, "reset", "admin")}
    engine.reset()
    assert tables.values() == {} and engine.get(LOADS) == 4
    # The safety snapshot brings everything back.
    engine.rollback_to_snapshot(snapshot.id)
    assert (engine.get(INTERVAL), engine.get(STRATEGY), engine.get(LOADS)) == (5.0, "AGGRESSIVE", 8)


def test_every_write_that_snapshots_first_names_its_snapshot(engine, tables):
    engine.update({INTERVAL: 5.0, LOADS: 8})
    batch = engine.write_values({INTERVAL: 6.0}, snapshot_description="before batch")
    reset = engine.reset([LOADS])
    imported = engine.import_configuration({STRATEGY: "AGGRESSIVE"})
    restored = engine.rollback_to_snapshot(batch.snapshot_id)
    ids = [batch.safety_snapshot_id, reset["safety_snapshot_id"],
           imported["safety_snapshot_id"], restored["safety_snapshot_id"]]
    snapshots = {row.id: row for row in tables.snapshots()}
    assert ids == sorted(snapshots) and len(set(ids)) == 4
    assert [reset["snapshot_id"], imported["snapshot_id"]] == ids[1:3]
    assert restored["snapshot_id"] == batch.snapshot_id  # the snapshot restored
    # Each holds the persisted layers as they were just before its write.
    assert [snapshots[i].data for i in ids] == [
        {INTERVAL: {"runtime": 5.0}, LOADS: {"runtime": 8}},
        {INTERVAL: {"runtime": 6.0}, LOADS: {"runtime": 8}},
        {INTERVAL: {"runtime": 6.0}},
        {INTERVAL: {"runtime": 6.0}, STRATEGY: {"runtime": "AGGRESSIVE"}}]
    assert (engine.get(INTERVAL), engine.get(LOADS), engine.get(STRATEGY)) == (
        5.0, 8, "BALANCED")


def test_a_rollback_of_many_keys_logs_each_change_as_a_single_write_would(make_engine, tables):
    """Above 50 keys a write appends its changes in bulk (COPY on PostgreSQL): every row
    must hold what a one-key write stores, JSON types and JSON null included, and another
    engine must read the same state back."""
    engine = make_engine()
    keys = [f"bulk_{i:02d}" for i in range(60)]
    for key in keys:
        engine.put_rule({"key": key, "value_type": "json", "default": None})
    kept = {key: [None, 30.0, "text", {"n": i, "on": True}][i % 4] for i, key in enumerate(keys)}
    engine.update(kept)
    snapshot_id = engine.create_snapshot("many keys")
    engine.update({key: [i] for i, key in enumerate(keys)})
    mark = engine.revision

    result = engine.rollback_to_snapshot(snapshot_id, user="bob", request_id="req-60")

    log = tables.changes(since=mark)
    assert [change.id for change in log] == list(range(mark + 1, mark + 61))
    assert [change.revision for change in result["changes"]] == [change.id for change in log]
    assert len({change.batch_id for change in log}) == 1 and log[0].batch_id
    for i, (change, key) in enumerate(zip(log, keys)):
        assert (change.key, change.source, change.action, change.actor, change.request_id) == (
            key, "runtime", "rollback", "bob", "req-60")
        assert same(change.old_value, [i]) and same(change.new_value, kept[key])
        assert change.description == f"rollback to snapshot {snapshot_id}"
        assert change.at.tzinfo is not None
    # None is the JSON value null, never SQL NULL, as a one-key write stores it.
    with tables.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM changes WHERE id > :mark AND "
                                 "(new_value IS NULL OR old_value IS NULL)"),
                            {"mark": mark}).scalar() == 0
    other = make_engine()
    assert other.revision == engine.revision
    assert {key: other.get(key) for key in keys} == kept
