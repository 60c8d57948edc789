"""The service-manager integration: registered services' values become the service layer,
their later updates flow in, and changes to their keys reach their on_change callback."""
from __future__ import annotations

from lazyconfig import ServiceManager

LOADS = "max_concurrent_loads"
TIMEOUT = "load_timeout"
CACHE = "cache_enabled"


def test_registered_values_land_as_the_service_layer(engine, tables):
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 8, TIMEOUT: 45})
    assert engine.integrate_with_service_manager(manager) == {"loader": {}}
    assert engine.get(LOADS) == 8 and engine.get_entry(LOADS).source == "service"
    assert engine.get(TIMEOUT) == 45.0 and type(engine.get(TIMEOUT)) is float
    assert tables.values() == {(LOADS, "service"): 8, (TIMEOUT, "service"): 45.0}
    changes = tables.changes()
    assert {(c.key, c.source, c.actor) for c in changes} == {
        (LOADS, "service", "service:loader"), (TIMEOUT, "service", "service:loader")}
    # A runtime override still wins over the service layer, and reset gives it back.
    engine.set(LOADS, 2)
    assert engine.get(LOADS) == 2
    engine.reset([LOADS])
    assert engine.get(LOADS) == 8


def test_update_service_flows_in_and_services_registered_later_too(engine, tables, make_engine):
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 8})
    engine.integrate_with_service_manager(manager)
    manager.update_service("loader", {LOADS: 12})
    assert engine.get(LOADS) == 12
    manager.register_service("cache", {CACHE: False})
    assert engine.get(CACHE) is False
    assert tables.values() == {(LOADS, "service"): 12, (CACHE, "service"): False}
    count = tables.change_count()
    manager.update_service("loader", {LOADS: 12})  # unchanged: nothing written
    assert tables.change_count() == count
    other = make_engine()  # the service layer is shared through the database
    assert other.get(LOADS) == 12 and other.get_entry(LOADS).source == "service"


def test_a_change_to_a_service_key_calls_its_on_change(engine):
    calls = []
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 8}, on_change=calls.append)
    engine.integrate_with_service_manager(manager)
    engine.set(LOADS, 16, user="alice")
    engine.set(TIMEOUT, 10.0)  # not the service's key
    manager.update_service("loader", {LOADS: 9})
    assert [(c.key, c.new_value, c.source, c.user) for c in calls] == [
        (LOADS, 16, "runtime", "alice"), (LOADS, 16, "service", "service:loader")]
    assert len({c.revision for c in calls}) == 2


def test_on_change_hears_about_keys_a_service_adds_later(engine):
    calls = []
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 8}, on_change=calls.append)
    engine.integrate_with_service_manager(manager)
    manager.update_service("loader", {TIMEOUT: 20.0})
    engine.set(TIMEOUT, 25.0)
    assert [(c.key, c.new_value) for c in calls] == [(TIMEOUT, 20.0), (TIMEOUT, 25.0)]


def test_invalid_service_value_is_reported_and_not_applied(engine, tables):
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 0, TIMEOUT: 20.0, "no_such_key": 1})
    refused = engine.integrate_with_service_manager(manager)
    assert set(refused["loader"]) == {LOADS, "no_such_key"}
    assert engine.get(LOADS) == 4 and engine.get(TIMEOUT) == 20.0
    assert tables.values() == {(TIMEOUT, "service"): 20.0}
    errors = engine.validate_configuration()
    assert errors[LOADS] == ["service loader value rejected: must be at least 1"]
    assert "unknown configuration key" in errors["no_such_key"][0]
    assert engine.get_configuration_summary()["validation_status"]["valid"] is False

    # Once the service sends a good value, the error is gone.
    manager.update_service("loader", {LOADS: 6})
    assert engine.get(LOADS) == 6
    assert LOADS not in engine.validate_configuration()


def test_unregistered_service_hears_no_more_and_a_new_registration_replaces_its_callback(engine):
    first, second = [], []
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 8}, on_change=first.append)
    engine.integrate_with_service_manager(manager)
    manager.register_service("loader", {LOADS: 9}, on_change=second.append)
    engine.set(LOADS, 3)
    manager.unregister_service("loader")
    engine.set(LOADS, 5)
    assert [c.new_value for c in first] == []
    assert [c.new_value for c in second] == [9, 3]
