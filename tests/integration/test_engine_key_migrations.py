"""Config migrations on SQLite and PostgreSQL: a release that renamed a key and changed its
unit (seconds to milliseconds), renamed an enum member and retired a key carries values,
snapshots and templates across; a rollback to a snapshot taken before restores the renamed
key; each step runs once; an invalid result changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lazyconfig.db.models import KeyMigrationRow
from lazyconfig.domain.key_migrations import Merge, Rename, Retire, Transform
from lazyconfig.errors import UnknownKey, ValidationFailed

OLD, NEW = "upload_timeout", "upload_timeout_ms"
RELEASE = (
    Rename("2027.1-upload-timeout-rename", old=OLD, new=NEW),
    Transform("2027.1-upload-timeout-ms", key=NEW, converter="scale",
              args={"factor": 1000, "round": "int"}),
    Transform("2027.1-mode-members", key="upload_mode", converter="map_members",
              args={"mapping": {"FAST": "EAGER"}}),
    Merge("2027.1-retries-merge", keys=("upload_retries",), into="upload_attempts"),
    Retire("2027.1-legacy-flag", key="upload_legacy"),
)


def _old_catalog(engine):
    for rule in ({"key": OLD, "value_type": "float", "default": 30.0, "min_value": 0.1,
                  "max_value": 600.0, "unit": "seconds"},
                 {"key": "upload_mode", "value_type": "enum", "default": "SAFE",
                  "choices": ["SAFE", "FAST"]},
                 {"key": "upload_retries", "value_type": "int", "default": 3},
                 {"key": "upload_legacy", "value_type": "bool", "default": False}):
        engine.put_rule(rule)


def _new_catalog(engine):
    """The rules of the keys the release adds; its enum grows the new member name."""
    engine.put_rule({"key": NEW, "value_type": "int", "default": 30_000, "min_value": 100,
                     "max_value": 600_000, "unit": "milliseconds"})
    engine.put_rule({"key": "upload_mode", "value_type": "enum", "default": "SAFE",
                     "choices": ["SAFE", "FAST", "EAGER"]})
    engine.put_rule({"key": "upload_attempts", "value_type": "int", "default": 1})


def _populated(engine):
    _old_catalog(engine)
    engine.set(OLD, 2.5, user="ops")
    engine.set(OLD, 4.0, source="service", user="svc")
    engine.update({"upload_mode": "FAST", "upload_retries": 5, "upload_legacy": True})
    before = engine.create_snapshot("before the release", user="ops")
    engine.create_template({"name": "uploads", "params": {"seconds": {"type": "float",
                                                                      "default": 9.0}},
                            "values": {"upload_mode": "FAST", "upload_legacy": False},
                            "derived": {OLD: "seconds * 2"}}, user="ops")
    _new_catalog(engine)
    return before


def test_a_release_migrates_values_snapshots_and_templates_once(engine, tables):
    before = _populated(engine)
    planned = engine.migrate_configuration(RELEASE, dry_run=True, user="release")
    assert planned.steps == [s.id for s in RELEASE] and planned.changes == []
    assert engine.get(OLD) == 2.5 and tables.snapshots()[0].data[OLD] == {"runtime": 2.5,
                                                                             "service": 4.0}
    done = engine.migrate_configuration(RELEASE, user="release")
    assert (done.diff, done.snapshots, done.templates) == (
        planned.diff, planned.snapshots, planned.templates) and done.templates == ["uploads"]
    assert engine.get(NEW) == 2500 and engine.get_entry(NEW).layers["service"] == 4000
    assert (engine.get("upload_mode"), engine.get("upload_attempts")) == ("EAGER", 5)
    for gone in (OLD, "upload_retries", "upload_legacy"):
        with pytest.raises(UnknownKey):
            engine.get(gone)
        assert gone not in tables.rules()
    assert {c.action for c in done.changes} == {"migrate"}
    assert {c.key for c in done.changes} >= {OLD, NEW, "upload_mode", "upload_attempts"}
    snapshot = {s.id: s.data for s in tables.snapshots()}[before]
    assert snapshot[NEW] == {"runtime": 2500, "service": 4000} and OLD not in snapshot
    assert snapshot["upload_mode"] == {"runtime": "EAGER"} and "upload_legacy" not in snapshot
    template = engine.get_template("uploads")
    assert template["version"] == 2 and template["derived"] == {NEW: "round((seconds * 2) * 1000)"}
    assert template["values"] == {"upload_mode": "EAGER"}
    engine.apply_template("uploads")
    assert engine.get(NEW) == 18_000

    recorded = tables._rows(select(KeyMigrationRow.__table__))
    assert sorted((r.id, r.applied_by, r.revision) for r in recorded) == sorted(
        (s.id, "release", done.revision) for s in RELEASE)

    # Runs once: a second run, or a new engine started with auto-migrate, changes nothing.
    head, count = engine.revision, tables.change_count()
    again = engine.migrate_configuration(RELEASE)
    assert again.steps == [] and again.changes == [] and tables.change_count() == count

    # A rollback to the snapshot taken before the release restores the renamed key.
    engine.set(NEW, 700, user="ops")
    rolled = engine.rollback_to_snapshot(before, user="ops")
    assert rolled.diff and engine.get(NEW) == 2500 and engine.get("upload_mode") == "EAGER"
    assert engine.revision > head


def test_auto_migrate_at_start_applies_the_steps_once(make_engine, tables):
    engine = make_engine()
    _populated(engine)
    first = make_engine(key_migrations=RELEASE)
    assert first.get(NEW) == 2500
    applied = tables.change_count()
    second = make_engine(key_migrations=RELEASE)
    assert second.get(NEW) == 2500 and tables.change_count() == applied
    engine.refresh()  # a process that was running sees the old key go
    assert engine.get(NEW) == 2500 and OLD not in engine.entries()
    off = make_engine({"LAZYCONFIG_AUTO_MIGRATE": "0"},
                      key_migrations=[Retire("later-retire", key="upload_mode")])
    assert off.get("upload_mode") == "EAGER"


def test_an_invalid_result_aborts_the_whole_migration(engine, tables):
    before_snapshot = _populated(engine)
    state = (engine.entries(), tables.values(), tables.change_count(),
             [(s.id, s.data) for s in tables.snapshots()], engine.get_template("uploads"))
    too_big = (RELEASE[0], Transform("2027.1-oops", key=NEW, converter="scale",
                                     args={"factor": 10_000_000}))
    with pytest.raises(ValidationFailed) as refused:
        engine.migrate_configuration(too_big)
    assert NEW in refused.value.errors
    for undefined in (Rename("2027.1-undefined", old=OLD, new="never_defined"),
                      Merge("2027.1-undefined", keys=("upload_legacy",), into="nowhere"),
                      Transform("2027.1-undefined", key="nothing", args={"factor": 2})):
        with pytest.raises(ValidationFailed) as refused:
            engine.migrate_configuration([undefined])
        assert list(refused.value.errors) == sorted(undefined.needs())
    assert (engine.entries(), tables.values(), tables.change_count(),
            [(s.id, s.data) for s in tables.snapshots()],
            engine.get_template("uploads")) == state
    assert engine.migrate_configuration(RELEASE).steps  # none of them was recorded
    assert before_snapshot in {s.id for s in tables.snapshots()}
