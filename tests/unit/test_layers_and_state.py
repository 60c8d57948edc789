"""Outside layers (config file, environment) and the in-memory State, without a database."""
from __future__ import annotations

import pytest

from lazyconfig.domain import BUILTIN_RULES, ConfigurationValidationRule
from lazyconfig.errors import InvalidDocument
from lazyconfig.service.sources import ExternalLayers, env_name, read_config_file
from lazyconfig.domain.state import KeyMeta, build, effective

RULES = {rule.key: rule for rule in BUILTIN_RULES}
INTERVAL = "lazy_loading_unloading_check_interval"


def test_env_name():
    assert env_name(INTERVAL) == "LAZYCONFIG_LAZY_LOADING_UNLOADING_CHECK_INTERVAL"
    assert env_name("my.custom-key") == "LAZYCONFIG_MY_CUSTOM_KEY"


@pytest.mark.parametrize("name, text", [
    ("c.yaml", "a: 1\nb: [x]\n"), ("c.yml", "a: 1\nb: [x]\n"), ("c.toml", 'a = 1\nb = ["x"]\n'),
    ("c.json", '{"a": 1, "b": ["x"]}'),
])
def test_config_files_of_each_kind(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert read_config_file(str(path)) == {"a": 1, "b": ["x"]}


@pytest.mark.parametrize("name, text, message", [
    ("c.ini", "a=1", "unsupported config file type"),
    ("c.yaml", "a: [1", "cannot parse"), ("c.toml", "a = ", "cannot parse"),
    ("c.json", "{", "cannot parse"), ("c.json", "[1, 2]", "expected a mapping"),
])
def test_bad_config_files(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidDocument, match=message):
        read_config_file(str(path))


def test_empty_yaml_file_is_empty(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("")
    assert read_config_file(str(path)) == {}


def test_external_layers_skip_setting_names_and_report_a_missing_file(tmp_path):
    layers = ExternalLayers.load({"LAZYCONFIG_DATABASE_URL": "sqlite://", "LAZYCONFIG_LOAD_TIMEOUT": "5",
                                  "OTHER": "x"}, str(tmp_path / "missing.yaml"))
    assert layers.environment == {"LAZYCONFIG_LOAD_TIMEOUT": "5"}
    assert list(layers.errors) == [str(tmp_path / "missing.yaml")]


def test_values_for_parses_checks_and_reports():
    layers = ExternalLayers(file_values={INTERVAL: "20"},
                            environment={env_name(INTERVAL): "0", "LAZYCONFIG_MAX_CONCURRENT_LOADS": "x"})
    assert layers.values_for(RULES[INTERVAL]) == (
        {"file": 20.0}, ["environment value rejected: must be greater than 0"])
    found, errors = layers.values_for(RULES["max_concurrent_loads"])
    assert found == {} and "cannot parse 'x'" in errors[0]
    assert layers.unknown_keys({INTERVAL}) == {
        "LAZYCONFIG_MAX_CONCURRENT_LOADS": ["environment variable for an unknown key"]}


def test_effective_takes_the_highest_layer():
    assert effective({"default": 1, "service": 2}) == (2, "service")
    assert effective({"default": 1, "service": 2, "file": 3, "environment": 4,
                      "runtime": 5}) == (5, "runtime")
    assert effective({"runtime": 5, "default": 1}) == (5, "runtime")
    with pytest.raises(LookupError):
        effective({})


def test_build_layers_every_source_and_recomputes_only_touched_keys():
    rules = {INTERVAL: RULES[INTERVAL], "load_timeout": RULES["load_timeout"]}
    external = ExternalLayers(file_values={INTERVAL: 20.0}, environment={"LAZYCONFIG_LOAD_TIMEOUT": "-1"})
    state = build(3, rules, {INTERVAL: {"service": 10.0}}, {INTERVAL: KeyMeta(3, None, "u")}, external)
    entry = state.entries[INTERVAL]
    assert (entry.value, entry.source, entry.version, entry.updated_by) == (20.0, "file", 3, "u")
    assert entry.layers == {"default": 60.0, "service": 10.0, "file": 20.0}
    assert state.values == {INTERVAL: 20.0, "load_timeout": 30.0}
    assert state.key_errors == {"load_timeout": ["environment value rejected: must be greater than 0"]}

    persisted = {INTERVAL: {"service": 10.0, "runtime": 40.0}}
    after = build(4, rules, persisted, state.meta, external, previous=state, touched=[INTERVAL])
    assert after.values[INTERVAL] == 40.0 and after.entries["load_timeout"] is state.entries["load_timeout"]
    assert after.key_errors == state.key_errors
    assert state.values[INTERVAL] == 20.0  # the old state is untouched


def test_build_drops_a_key_whose_rule_is_gone():
    rule = ConfigurationValidationRule("extra", default_value=1)
    state = build(1, {"extra": rule}, {}, {}, ExternalLayers())
    after = build(2, {}, {}, {}, ExternalLayers(), previous=state, touched=["extra"])
    assert after.values == {} and after.entries == {}
