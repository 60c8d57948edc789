"""Several engines on one database (as several processes would be): start-up together,
custom keys and rule changes, values that must keep their type, and service integrations
that end with their engine."""
from __future__ import annotations

import threading
import traceback

import pytest

from lazyconfig import ConfigurationValidationRule, ServiceManager
from lazyconfig.errors import ValidationFailed

from .database import same

LOADS = "max_concurrent_loads"


def test_engines_starting_together_on_an_empty_database(make_engine, tables):
    made, failures = [], []

    def start():
        try:
            made.append(make_engine())
        except Exception as exc:  # reported below
            failures.append("".join(traceback.format_exception(exc)))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == [], "\n".join(failures)
    assert len(made) == 4
    assert len(tables.rules()) == 25
    made[0].set(LOADS, 9)
    for engine in made[1:]:
        engine.refresh()
        assert engine.get(LOADS) == 9


def test_a_key_defined_in_one_engine_exists_in_the_others(make_engine, tables):
    first, second = make_engine(), make_engine()
    first.add_validation_rule(ConfigurationValidationRule(
        key="feature_level", default_value=1, min_value=0, max_value=3, description="level"))
    first.set("feature_level", 2)
    second.refresh()
    assert second.get("feature_level") == 2
    assert second.get_rule("feature_level").max_value == 3
    assert second.set("feature_level", 4) is False  # the declarative part is enforced there
    assert make_engine().get("feature_level") == 2


def test_a_rule_changed_in_one_engine_is_enforced_in_the_others(make_engine):
    first, second = make_engine(), make_engine()
    record = first.get_rule(LOADS).to_record()
    first.put_rule({**record, "max_value": 16})
    second.refresh()
    assert second.validate(LOADS, 17) == ["must be at most 16"]
    with pytest.raises(ValidationFailed):
        second.set(LOADS, 17, strict=True)


def test_a_custom_validator_lives_in_its_own_engine_only(make_engine):
    first, second = make_engine(), make_engine()
    first.add_validation_rule(ConfigurationValidationRule(
        key=LOADS, validator=lambda v: v % 2 == 0, error_message="must be even"))
    assert first.set(LOADS, 7) is False
    assert second.set(LOADS, 7) is True  # documented: the callable is per process
    first.refresh()
    assert first.get(LOADS) == 7
    assert first.validate_configuration() == {
        LOADS: ["current runtime value invalid: must be even"]}


@pytest.mark.parametrize("value", [1e20, 1.5e22, 123456789012345678.0])
def test_a_large_float_stays_a_float(make_engine, value):
    engine = make_engine()
    engine.add_validation_rule(ConfigurationValidationRule(key="big_number", default_value=1.5))
    assert engine.set("big_number", value) is True
    assert same(engine.get("big_number"), value)
    assert same(make_engine().get("big_number"), value)
    assert same(engine.export()["values"]["big_number"], value)


def test_integrating_twice_delivers_each_change_once(engine):
    calls = []
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 8}, on_change=calls.append)
    engine.integrate_with_service_manager(manager)
    engine.integrate_with_service_manager(manager)
    engine.set(LOADS, 3)
    assert [c.new_value for c in calls] == [3]


def test_a_closed_engine_no_longer_takes_in_service_values(make_engine, tables):
    manager = ServiceManager()
    manager.register_service("loader", {LOADS: 8})
    closed = make_engine()
    closed.integrate_with_service_manager(manager)
    closed.close()
    manager.update_service("loader", {LOADS: 9})
    assert tables.values() == {(LOADS, "service"): 8}


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(url):
    from lazyconfig import bootstrap
    from lazyconfig.settings import Settings
    with pytest.raises(ValueError, match="in-memory SQLite database is not supported"):
        bootstrap(Settings.from_env({"LAZYCONFIG_DATABASE_URL": url}), env={})
