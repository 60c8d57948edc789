"""set/update results, the update() idiom of the spec, attribution, unset and notifications."""
from __future__ import annotations

import pytest

from lazyconfig.errors import Conflict, UnknownKey, ValidationFailed

INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"
LOADS = "max_concurrent_loads"


def test_update_result_idiom_when_all_apply(engine, tables):
    results = engine.update({INTERVAL: 15, STRATEGY: "AGGRESSIVE"}, user="alice",
                            description="tuning")
    assert all(results.values()) and results == {INTERVAL: True, STRATEGY: True}
    assert results.errors == {}
    assert engine.get(INTERVAL) == 15.0 and type(engine.get(INTERVAL)) is float
    rows = tables.changes()
    assert {(c.key, c.actor, c.description, c.action) for c in rows} == {
        (INTERVAL, "alice", "tuning", "batch"), (STRATEGY, "alice", "tuning", "batch")}
    assert rows[0].batch_id == rows[1].batch_id is not None


def test_update_result_idiom_when_one_is_refused(engine, tables):
    results = engine.update({INTERVAL: 15.0, STRATEGY: "FAST", LOADS: 0})
    assert not all(results.values()) and results == dict.fromkeys(results, False)
    assert set(results.errors) == {STRATEGY, LOADS}
    assert "must be one of" in results.errors[STRATEGY][0]
    assert results.errors[LOADS] == ["must be at least 1"]
    assert engine.get(INTERVAL) == 60.0 and tables.change_count() == 0


def test_set_attributes_and_describes_the_change(engine, tables):
    assert engine.set(INTERVAL, 30.0, user="alice", description="faster") is True
    entry = engine.get_entry(INTERVAL)
    assert (entry.value, entry.source, entry.updated_by) == (30.0, "runtime", "alice")
    row = tables.changes()[-1]
    assert entry.version == row.id == engine.revision
    assert (row.key, row.old_value, row.new_value, row.actor, row.description) == \
        (INTERVAL, 60.0, 30.0, "alice", "faster")


def test_set_without_user_is_attributed_to_the_os_user(engine, tables):
    engine.set(INTERVAL, 30.0)
    assert tables.changes()[-1].actor == engine.default_user


def test_strict_set_raises(engine):
    with pytest.raises(ValidationFailed) as refused:
        engine.set(INTERVAL, -1.0, strict=True)
    assert refused.value.errors == {INTERVAL: ["must be greater than 0"]}
    with pytest.raises(UnknownKey):
        engine.set("nope", 1, strict=True)


def test_get_of_an_unknown_key(engine):
    with pytest.raises(UnknownKey, match="nope"):
        engine.get("nope")
    assert engine.get("nope", None) is None


def test_write_values_with_a_stale_version_conflicts(engine, tables):
    engine.set(INTERVAL, 30.0)
    version = engine.get_entry(INTERVAL).version
    engine.write_values({INTERVAL: 31.0}, expected_versions={INTERVAL: version})
    count = tables.change_count()
    with pytest.raises(Conflict, match="version"):
        engine.write_values({INTERVAL: 32.0}, expected_versions={INTERVAL: version})
    assert engine.get(INTERVAL) == 31.0 and tables.change_count() == count


def test_unset_removes_one_layer(engine, tables):
    engine.set(INTERVAL, 30.0)
    engine.unset(INTERVAL, user="bob")
    assert engine.get(INTERVAL) == 60.0 and tables.values() == {}
    assert (tables.changes()[-1].action, tables.changes()[-1].new_value) == ("unset", 60.0)
    assert engine.unset(INTERVAL) == []  # nothing to remove: nothing logged


def test_notifications_since_and_by_key(engine, tables):
    engine.set(INTERVAL, 1.0)
    mark = engine.revision
    engine.set(LOADS, 2)
    engine.set(INTERVAL, 3.0)
    assert [n["new_value"] for n in engine.get_notifications(since=mark)] == [2, 3.0]
    assert [n["new_value"] for n in engine.get_notifications(key=INTERVAL)] == [1.0, 3.0]
    assert [n["new_value"] for n in engine.get_notifications(limit=1)] == [3.0]
    history, total = engine.get_history(INTERVAL)
    assert total == 2 and [h["new_value"] for h in history] == [3.0, 1.0]


# Text each database must refuse alike, before either sees it: PostgreSQL enforces column
# sizes and refuses NUL and unpaired surrogates, where SQLite kept them all.
UNSTORABLE = {
    "user longer than 200": ("set", {"user": "u" * 201}, "user"),
    "NUL in a description": ("set", {"description": "a\x00b"}, "description"),
    "surrogate in a description": ("set", {"description": "a\ud800"}, "description"),
    "surrogate in a batch item's description": ("batch", {"description": "\udfff"}, INTERVAL),
    "NUL in a snapshot description": ("snapshot", {"description": "\x00"}, "description"),
    "surrogate in a snapshot tag": ("snapshot", {"tags": ["ok", "\ud800"]}, "tags"),
    "NUL in a snapshot tag": ("snapshot", {"tags": ["a\x00"]}, "tags"),
    "user of 201 on a snapshot": ("snapshot", {"user": "u" * 201}, "user"),
    "request id over 64": ("set", {"request_id": "r" * 65}, "request_id"),
    "unit of 33 characters": ("rule", {"unit": "u" * 33}, "new_key"),
    "NUL in a rule description": ("rule", {"description": "\x00"}, "new_key"),
    "surrogate in a rule's choices": ("rule", {"value_type": "enum", "default": "a",
                                              "choices": ["a", "\ud800"]}, "new_key"),
    "pattern of 501 characters": ("rule", {"pattern": "a|" * 250 + "a"}, "new_key"),
}


def _attempt(engine, kind: str, extra: dict):
    if kind == "set":
        return engine.write_values({INTERVAL: 10.0}, action="set", **extra)
    if kind == "batch":
        return engine.write_values([(INTERVAL, 10.0, extra["description"])])
    if kind == "snapshot":
        return engine.create_snapshot(**extra)
    return engine.put_rule({"key": "new_key", "value_type": "string", "default": "a", **extra})


@pytest.mark.parametrize("kind, extra, field", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_text_a_database_cannot_store_is_refused_alike_on_both(engine, tables, kind, extra,
                                                               field):
    before = (engine.export(), tables.change_count(), tables.snapshots(), tables.rules())
    with pytest.raises(ValidationFailed) as refused:
        _attempt(engine, kind, extra)
    assert field in refused.value.errors
    assert (engine.export(), tables.change_count(), tables.snapshots(), tables.rules()) == before


def test_text_at_the_limits_is_stored_alike_on_both(engine, tables):
    engine.write_values({INTERVAL: 10.0}, user="u" * 200, description="é\n" * 1000,
                        request_id="r" * 64)
    engine.create_snapshot("ok", tags=["t" * 300], user="u" * 200)
    engine.put_rule({"key": "k" * 128, "value_type": "string", "default": "a",
                     "unit": "u" * 32, "pattern": "a|" * 249 + "aa"})
    assert tables.changes()[0].actor == "u" * 200
    assert tables.rules()["k" * 128].unit == "u" * 32


def test_reads_do_not_touch_the_database(make_engine):
    from sqlalchemy import event
    # Any statement by this engine on any thread counts, the watcher's polls included, so
    # it has no watcher.
    engine = make_engine(watch=False)
    engine.set(INTERVAL, 30.0)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(engine.database, "before_cursor_execute", count)
    try:
        for _ in range(1000):
            assert engine.get(INTERVAL) == 30.0
            engine.get_entry(STRATEGY)
        engine.export()
        engine.get_configuration_summary()
        engine.validate(LOADS, 3)
    finally:
        event.remove(engine.database, "before_cursor_execute", count)
    assert statements == []


def test_batch_with_a_snapshot_first_is_all_or_nothing(engine, tables):
    engine.set(INTERVAL, 30.0)
    changes = engine.write_values({INTERVAL: 10.0, LOADS: 8}, snapshot_description="before batch",
                                  user="ops")
    assert [c.key for c in changes] == [INTERVAL, LOADS]
    (snapshot,) = tables.snapshots()
    assert (snapshot.description, snapshot.tags, snapshot.data) == (
        "before batch", ["auto", "batch"], {INTERVAL: {"runtime": 30.0}})
    assert changes.snapshot_id == changes.safety_snapshot_id == snapshot.id
    assert engine.get_snapshot(changes.snapshot_id)["values"] == {INTERVAL: {"runtime": 30.0}}
    assert engine.write_values({INTERVAL: 10.0}).snapshot_id is None  # no snapshot asked
    count = tables.change_count()
    with pytest.raises(ValidationFailed):
        engine.write_values({INTERVAL: 5.0, LOADS: -1}, snapshot_description="refused batch")
    assert len(tables.snapshots()) == 1 and tables.change_count() == count
    assert engine.get(INTERVAL) == 10.0
