"""Source precedence default < service < file < environment < runtime, config files in
YAML, TOML and JSON parsed by each key's type, and invalid outside values not applied."""
from __future__ import annotations

import json

import pytest

from lazyconfig import ServiceManager

INTERVAL = "lazy_loading_unloading_check_interval"
LOADS = "max_concurrent_loads"
CACHE = "cache_enabled"
STRATEGY = "lazy_loading_unloading_strategy"
THRESHOLD = "memory_pressure_threshold"


def write_config(tmp_path, suffix: str, values: dict) -> str:
    path = tmp_path / f"lazyconfig{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(values))
    elif suffix == ".toml":
        path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    else:
        path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items()))
    return str(path)


def provide_service_value(engine, key, value) -> None:
    manager = ServiceManager()
    manager.register_service("loader", {key: value})
    engine.integrate_with_service_manager(manager)


def test_each_layer_overrides_the_ones_below(make_engine, tmp_path):
    config = write_config(tmp_path, ".yaml", {INTERVAL: 20.0})
    engine = make_engine({"LAZYCONFIG_CONFIG_FILE": config,
                          "LAZYCONFIG_LAZY_LOADING_UNLOADING_CHECK_INTERVAL": "30"})
    reader = make_engine()  # no file, no environment: sees the shared layers only
    assert (engine.get(INTERVAL), engine.get_entry(INTERVAL).source) == (30.0, "environment")
    assert (reader.get(INTERVAL), reader.get_entry(INTERVAL).source) == (60.0, "default")

    provide_service_value(engine, INTERVAL, 10.0)
    assert engine.get(INTERVAL) == 30.0  # service is below file and environment
    reader.refresh()
    assert (reader.get(INTERVAL), reader.get_entry(INTERVAL).source) == (10.0, "service")

    assert engine.set(INTERVAL, 40.0) is True
    reader.refresh()
    for e in (engine, reader):
        assert (e.get(INTERVAL), e.get_entry(INTERVAL).source) == (40.0, "runtime")
    assert engine.get_entry(INTERVAL).layers == {"default": 60.0, "service": 10.0, "file": 20.0,
                                                 "environment": 30.0, "runtime": 40.0}

    engine.reset()  # removes the runtime override only
    reader.refresh()
    assert (engine.get(INTERVAL), engine.get_entry(INTERVAL).source) == (30.0, "environment")
    assert (reader.get(INTERVAL), reader.get_entry(INTERVAL).source) == (10.0, "service")


def test_file_beats_service_and_environment_beats_file(make_engine, tmp_path):
    config = write_config(tmp_path, ".json", {LOADS: 6, CACHE: False})
    engine = make_engine({"LAZYCONFIG_CONFIG_FILE": config, "LAZYCONFIG_CACHE_ENABLED": "yes"})
    provide_service_value(engine, LOADS, 3)
    assert (engine.get(LOADS), engine.get_entry(LOADS).source) == (6, "file")
    assert (engine.get(CACHE), engine.get_entry(CACHE).source) == (True, "environment")
    summary = engine.get_configuration_summary()
    assert summary["sources"]["file"] == 1 and summary["sources"]["environment"] == 1


@pytest.mark.parametrize("suffix", [".yaml", ".toml", ".json"])
def test_config_file_values_are_parsed_by_type(make_engine, tmp_path, suffix):
    values = {INTERVAL: "45", LOADS: "7", CACHE: "off", STRATEGY: "CONSERVATIVE",
              THRESHOLD: 0.25, "load_timeout": 12}
    engine = make_engine({"LAZYCONFIG_CONFIG_FILE": write_config(tmp_path, suffix, values)})
    got = {key: engine.get(key) for key in values}
    assert got == {INTERVAL: 45.0, LOADS: 7, CACHE: False, STRATEGY: "CONSERVATIVE",
                   THRESHOLD: 0.25, "load_timeout": 12.0}
    assert type(got[INTERVAL]) is float and type(got["load_timeout"]) is float
    assert type(got[LOADS]) is int and got[CACHE] is False
    assert all(engine.get_entry(key).source == "file" for key in values)
    assert engine.validate_configuration() == {}


def test_environment_values_are_parsed_by_type(make_engine):
    engine = make_engine({"LAZYCONFIG_LOAD_TIMEOUT": " 45 ", "LAZYCONFIG_MAX_CONCURRENT_LOADS": "12",
                          "LAZYCONFIG_ANALYTICS_ENABLED": "false",
                          "LAZYCONFIG_LAZY_LOADING_UNLOADING_STRATEGY": "AGGRESSIVE"})
    assert engine.get("load_timeout") == 45.0 and type(engine.get("load_timeout")) is float
    assert engine.get(LOADS) == 12 and engine.get("analytics_enabled") is False
    assert engine.get(STRATEGY) == "AGGRESSIVE"


BAD_ENVIRONMENT = {
    "LAZYCONFIG_MAX_CONCURRENT_LOADS": ("4.5", LOADS, "environment value rejected"),
    "LAZYCONFIG_CACHE_ENABLED": ("maybe", CACHE, "boolean"),
    "LAZYCONFIG_LOAD_TIMEOUT": ("nan", "load_timeout", "finite"),
    "LAZYCONFIG_LAZY_LOADING_UNLOADING_CHECK_INTERVAL": ("-1", INTERVAL, "greater than 0"),
    "LAZYCONFIG_LAZY_LOADING_UNLOADING_STRATEGY": ("FAST", STRATEGY, "must be one of"),
}


def test_invalid_environment_value_leaves_the_next_layer_standing(make_engine, tmp_path):
    config = write_config(tmp_path, ".toml", {INTERVAL: 25.0})
    env = {name: raw for name, (raw, _, _) in BAD_ENVIRONMENT.items()}
    engine = make_engine({**env, "LAZYCONFIG_CONFIG_FILE": config})
    assert (engine.get(INTERVAL), engine.get_entry(INTERVAL).source) == (25.0, "file")
    for key in (LOADS, CACHE, "load_timeout", STRATEGY):
        assert engine.get_entry(key).source == "default", key
    errors = engine.validate_configuration()
    for raw, key, fragment in BAD_ENVIRONMENT.values():
        assert any(fragment in m for m in errors[key]), (key, errors[key])
        assert all(m.startswith("environment value rejected") for m in errors[key])
    status = engine.get_configuration_summary()["validation_status"]
    assert status["valid"] is False and status["errors"] == errors
    assert status["error_count"] == len(BAD_ENVIRONMENT)


def test_invalid_file_value_is_not_applied(make_engine, tmp_path):
    config = write_config(tmp_path, ".yaml", {THRESHOLD: 1.5, LOADS: True, "load_timeout": 15})
    engine = make_engine({"LAZYCONFIG_CONFIG_FILE": config})
    provide_service_value(engine, THRESHOLD, 0.6)
    assert (engine.get(THRESHOLD), engine.get_entry(THRESHOLD).source) == (0.6, "service")
    assert (engine.get(LOADS), engine.get_entry(LOADS).source) == (4, "default")
    assert engine.get("load_timeout") == 15.0
    errors = engine.validate_configuration()
    assert set(errors) == {THRESHOLD, LOADS}
    assert "file value rejected: must be at most 1" in errors[THRESHOLD]
    assert "file value rejected: must be an integer, got bool" in errors[LOADS]
    assert engine.get_configuration_summary()["validation_status"]["valid"] is False


def test_unreadable_file_and_unknown_names_are_reported(make_engine, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("key: [unclosed\n")
    engine = make_engine({"LAZYCONFIG_CONFIG_FILE": str(broken), "LAZYCONFIG_NO_SUCH_KEY": "1"})
    errors = engine.validate_configuration()
    assert any("cannot parse" in m for m in errors[str(broken)])
    assert errors["LAZYCONFIG_NO_SUCH_KEY"] == ["environment variable for an unknown key"]
    assert engine.get(INTERVAL) == 60.0  # everything else works

    listed = write_config(tmp_path, ".json", {"mystery": 1})
    other = make_engine({"LAZYCONFIG_CONFIG_FILE": listed})
    assert other.validate_configuration() == {"mystery": ["file value for an unknown key"]}


def test_setting_names_are_never_configuration_overrides(make_engine, engine_env):
    engine = make_engine({"LAZYCONFIG_SNAPSHOT_MAX_COUNT": "3"})
    assert engine.validate_configuration() == {}
    assert engine.settings.snapshot_max_count == 3


def test_a_rejected_sensitive_value_is_not_shown_in_reports(make_engine):
    first = make_engine()
    first.put_rule({"key": "service_credentials", "value_type": "json", "default": None,
                    "sensitive": True})
    first.put_rule({"key": "vault_pin", "value_type": "int", "default": 0, "sensitive": True})
    first.put_rule({"key": "secret_mode", "value_type": "enum", "default": "a",
                    "choices": ["a", "b"], "sensitive": True})
    engine = make_engine({"LAZYCONFIG_SERVICE_CREDENTIALS": '{"password": "hunter2"',
                          "LAZYCONFIG_VAULT_PIN": "hunter2", "LAZYCONFIG_SECRET_MODE": "hunter2"})
    errors = engine.validate_configuration()
    assert set(errors) == {"service_credentials", "vault_pin", "secret_mode"}
    summary = engine.get_configuration_summary()
    assert "hunter2" not in repr(errors) and "hunter2" not in repr(summary)
    assert "hunter2" not in repr(engine.validate("secret_mode", "hunter2"))
