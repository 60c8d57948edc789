"""The spec's Python examples, run as written (only the import path differs), against the
test database; each test then reads the tables directly to check what really happened."""
from __future__ import annotations

import pytest

from lazyconfig import ConfigurationValidationRule, get_configuration_engine
from lazyconfig.domain import BUILTIN_RULES

from .database import DEFAULTS, same

INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"
ENABLED = "lazy_loading_unloading_enabled"
THRESHOLD = "lazy_loading_unloading_memory_pressure_threshold"


@pytest.fixture(autouse=True)
def _engine_on_test_database(spec_engine):
    """get_configuration_engine() in the examples returns this engine."""
    assert get_configuration_engine() is spec_engine


def test_python_api_usage(tables, capsys):
    # --- the spec's "Python API Usage", verbatim ---
    engine = get_configuration_engine()

    success = engine.set("lazy_loading_unloading_check_interval", 30.0)
    if success:
        print("Configuration updated successfully")

    value = engine.get("lazy_loading_unloading_check_interval")
    print(f"Check interval: {value}")

    snapshot_id = engine.create_snapshot("Before performance tuning")

    updates = {
        "lazy_loading_unloading_strategy": "AGGRESSIVE",
        "lazy_loading_unloading_check_interval": 15.0
    }
    results = engine.update(updates)

    engine.rollback_to_snapshot(snapshot_id)
    # --- end of the example ---

    assert capsys.readouterr().out == ("Configuration updated successfully\n"
                                       "Check interval: 30.0\n")
    assert results == {STRATEGY: True, INTERVAL: True}
    assert same(engine.get(INTERVAL), 30.0) and engine.get(STRATEGY) == "BALANCED"
    # Only the runtime override from before the snapshot survives the rollback.
    assert tables.values() == {(INTERVAL, "runtime"): 30.0}
    log = [(c.key, c.new_value, c.action) for c in tables.changes()]
    assert log[0] == (INTERVAL, 30.0, "set")
    assert sorted(log[1:3]) == sorted([(STRATEGY, "AGGRESSIVE", "batch"), (INTERVAL, 15.0, "batch")])
    assert sorted(log[3:]) == sorted([(STRATEGY, "BALANCED", "rollback"),
                                      (INTERVAL, 30.0, "rollback")])
    snapshots = tables.snapshots()
    assert [s.description for s in snapshots] == [
        "Before performance tuning", f"Before rollback to snapshot {snapshot_id}"]
    assert snapshots[0].id == snapshot_id
    assert snapshots[0].data == {INTERVAL: {"runtime": 30.0}}
    assert snapshots[1].data == {INTERVAL: {"runtime": 15.0}, STRATEGY: {"runtime": "AGGRESSIVE"}}


def test_custom_validation(tables):
    engine = get_configuration_engine()
    # --- the spec's "Custom Validation", verbatim ---
    rule = ConfigurationValidationRule(
        key="custom_setting",
        validator=lambda x: isinstance(x, str) and len(x) > 0,
        error_message="Custom setting must be a non-empty string",
        required=True,
        default_value="default"
    )

    engine.add_validation_rule(rule)
    # --- end of the example ---

    assert engine.get("custom_setting") == "default"
    stored = tables.rules()["custom_setting"]
    assert (stored.value_type, stored.default, stored.required, stored.origin) == \
        ("string", "default", True, "custom")
    assert [(c.key, c.action, c.new_value) for c in tables.changes()] == \
        [("custom_setting", "rule", "default")]
    before = tables.change_count()
    assert engine.set("custom_setting", "") is False
    assert engine.validate("custom_setting", 5) == ["Custom setting must be a non-empty string "
                                                    "(must be a string, got int)"]
    assert tables.change_count() == before and tables.values() == {}
    assert engine.set("custom_setting", "tuned") is True
    assert tables.values() == {("custom_setting", "runtime"): "tuned"}


def _best_practice_1(engine, perform_testing):
    # --- the spec's Best Practice 1, verbatim except that "perform testing" is a callable ---
    snapshot_id = engine.create_snapshot("Before performance optimization")

    try:
        engine.set("lazy_loading_unloading_strategy", "AGGRESSIVE")
        engine.set("lazy_loading_unloading_check_interval", 15.0)

        perform_testing()

    except Exception as e:
        engine.rollback_to_snapshot(snapshot_id)
        raise e
    # --- end of the example ---
    return snapshot_id


def test_best_practice_1_snapshot_before_major_changes_kept_when_tests_pass(tables):
    engine = get_configuration_engine()
    _best_practice_1(engine, lambda: None)
    assert engine.get(STRATEGY) == "AGGRESSIVE" and same(engine.get(INTERVAL), 15.0)
    assert tables.values() == {(STRATEGY, "runtime"): "AGGRESSIVE", (INTERVAL, "runtime"): 15.0}
    assert [s.description for s in tables.snapshots()] == ["Before performance optimization"]


def test_best_practice_1_rolls_back_when_testing_fails(tables):
    engine = get_configuration_engine()

    def failing_test():
        assert engine.get(STRATEGY) == "AGGRESSIVE"  # the changes were live while testing
        raise RuntimeError("load test failed")

    with pytest.raises(RuntimeError, match="load test failed"):
        _best_practice_1(engine, failing_test)
    assert engine.get(STRATEGY) == DEFAULTS[STRATEGY] and same(engine.get(INTERVAL), 60.0)
    assert tables.values() == {}
    assert [c.action for c in tables.changes()] == ["set", "set", "rollback", "rollback"]


def _best_practice_2(engine, updates):
    # --- the spec's Best Practice 2, verbatim except that `updates` is a parameter ---
    snapshot_id = engine.create_snapshot("Enable unloading system")
    results = engine.update(updates)

    if all(results.values()):
        print("All updates successful")
    else:
        engine.rollback_to_snapshot(snapshot_id)
    # --- end of the example ---
    return results


def test_best_practice_2_batch_update(tables, capsys):
    engine = get_configuration_engine()
    updates = {
        "lazy_loading_unloading_enabled": True,
        "lazy_loading_unloading_strategy": "BALANCED",
        "lazy_loading_unloading_check_interval": 60.0
    }
    results = _best_practice_2(engine, updates)
    assert capsys.readouterr().out == "All updates successful\n"
    assert results == dict.fromkeys(updates, True) and results.errors == {}
    assert tables.values() == {(k, "runtime"): v for k, v in updates.items()}
    changes = tables.changes()
    assert {c.key for c in changes} == set(updates)
    assert len({c.batch_id for c in changes}) == 1 and changes[0].batch_id is not None
    assert [s.description for s in tables.snapshots()] == ["Enable unloading system"]


def test_best_practice_2_refused_batch_changes_nothing(tables, capsys):
    engine = get_configuration_engine()
    results = _best_practice_2(engine, {ENABLED: False, STRATEGY: "FASTEST", INTERVAL: 60.0})
    assert capsys.readouterr().out == ""
    assert results == {ENABLED: False, STRATEGY: False, INTERVAL: False}
    assert list(results.errors) == [STRATEGY]
    assert "FASTEST" in results.errors[STRATEGY][0]
    assert tables.values() == {} and tables.changes() == []
    assert engine.get(ENABLED) is True


def _best_practice_3(engine, validation_data):
    # --- the spec's Best Practice 3; the spec posts to the HTTP validate endpoint, which
    # the API suite covers: here engine.validate(...) stands in for that one call ---
    validation_errors = engine.validate(validation_data["key"], validation_data["value"])
    response = {"is_valid": not validation_errors, "validation_errors": validation_errors}

    if response["is_valid"]:
        engine.set(validation_data["key"], validation_data["value"])
    else:
        print("Validation failed:", response["validation_errors"])
    # --- end of the example ---


def test_best_practice_3_validate_before_applying(tables, capsys):
    engine = get_configuration_engine()
    _best_practice_3(engine, {"key": "lazy_loading_unloading_memory_pressure_threshold",
                              "value": 0.9})
    assert capsys.readouterr().out == ""
    assert tables.values() == {(THRESHOLD, "runtime"): 0.9}
    assert engine.get(THRESHOLD) == 0.9


def test_best_practice_3_invalid_value_is_reported_not_applied(tables, capsys):
    engine = get_configuration_engine()
    _best_practice_3(engine, {"key": THRESHOLD, "value": 1.5})
    assert capsys.readouterr().out == "Validation failed: ['must be at most 1']\n"
    assert tables.values() == {} and tables.change_count() == 0


def test_best_practice_4_monitor_changes(tables, capsys):
    engine = get_configuration_engine()
    for interval in range(1, 26):
        engine.set(INTERVAL, float(interval), user="ops")
    # --- the spec's Best Practice 4; the spec GETs the HTTP notifications endpoint, which
    # the API suite covers: here engine.get_notifications(limit=20) stands in for it ---
    notifications = engine.get_notifications(limit=20)
    for notification in notifications:
        print(f"{notification['timestamp']}: {notification['key']} = {notification['new_value']}")
    # --- end of the example ---
    newest = tables.changes()[-20:]
    assert capsys.readouterr().out.splitlines() == [
        f"{c.at.isoformat()}: {c.key} = {c.new_value}" for c in newest]
    assert [n["revision"] for n in notifications] == [c.id for c in newest]
    assert all(n["user"] == "ops" for n in notifications)


def test_monitoring_and_debugging(tables, capsys):
    engine = get_configuration_engine()
    engine.set(INTERVAL, 45.0)
    first = engine.create_snapshot("first", tags=["a"])
    second = engine.create_snapshot("second")
    capsys.readouterr()

    # --- the spec's "Monitoring and Debugging", verbatim ---
    summary = engine.get_configuration_summary()
    print(f"Total values: {summary['total_values']}")
    print(f"Sources: {summary['sources']}")
    print(f"Validation status: {summary['validation_status']}")

    errors = engine.validate_configuration()
    if errors:
        print("Configuration validation errors:")
        for key, error_list in errors.items():
            print(f"  {key}: {error_list}")

    snapshots = engine.list_snapshots()
    for snapshot in snapshots:
        print(f"{snapshot['id']}: {snapshot['description']} ({snapshot['timestamp']})")
    # --- end of the example ---

    out = capsys.readouterr().out.splitlines()
    assert len(tables.rules()) == len(BUILTIN_RULES) == 25
    assert out[0] == "Total values: 25"
    assert summary["sources"] == {"default": 24, "service": 0, "file": 0, "environment": 0,
                                  "runtime": 1}
    assert summary["validation_status"]["valid"] is True and errors == {}
    rows = tables.snapshots()
    assert [s["id"] for s in snapshots] == [second, first] == [r.id for r in reversed(rows)]
    assert out[3:] == [f"{r.id}: {r.description} ({r.created_at.isoformat()})"
                       for r in reversed(rows)]


@pytest.fixture
def own_service_manager():
    """A process-wide service manager of this test's own, not the one other tests share."""
    from lazyconfig.service import service_manager
    manager = service_manager.ServiceManager()
    previous = service_manager.set_service_manager(manager)
    yield manager
    service_manager.set_service_manager(previous)


def test_integrate_with_service_manager_default(own_service_manager, tables):
    manager = own_service_manager
    manager.register_service("loader", {"max_concurrent_loads": 8})
    engine = get_configuration_engine()
    # --- the spec's "Integration with Service Management", verbatim ---
    engine.integrate_with_service_manager()
    # --- end of the example ---
    assert engine.get("max_concurrent_loads") == 8
    assert engine.get_entry("max_concurrent_loads").source == "service"
    assert tables.values() == {("max_concurrent_loads", "service"): 8}
    manager.update_service("loader", {"max_concurrent_loads": 9})
    assert tables.values() == {("max_concurrent_loads", "service"): 9}
