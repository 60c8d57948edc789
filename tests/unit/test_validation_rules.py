"""ConfigurationValidationRule on its own: types, bounds, choices, patterns, validators,
parsing of outside text, and its stored record."""
from __future__ import annotations

import math

import pytest

from lazyconfig import ConfigurationValidationRule, ValueType
from lazyconfig.domain import BUILTIN_RULES
from lazyconfig.domain.limits import JSON_DEPTH_MAX, PATTERN_MAX, UNIT_MAX
from lazyconfig.domain.rules import lookalike

RULES = {rule.key: rule for rule in BUILTIN_RULES}
INTERVAL = RULES["lazy_loading_unloading_check_interval"]
LOADS = RULES["max_concurrent_loads"]
RATIO = RULES["memory_pressure_threshold"]
FLAG = RULES["cache_enabled"]
STRATEGY = RULES["lazy_loading_unloading_strategy"]
BYTES = RULES["cache_size_limit"]


@pytest.mark.parametrize("rule, value, stored", [
    (INTERVAL, 30.0, 30.0), (INTERVAL, 30, 30.0), (INTERVAL, 86_400, 86_400.0),
    (INTERVAL, 1e-9, 1e-9), (LOADS, 1, 1), (LOADS, 1024, 1024), (RATIO, 0, 0.0),
    (RATIO, 1.0, 1.0), (FLAG, False, False), (STRATEGY, "CONSERVATIVE", "CONSERVATIVE"),
    (BYTES, 0, 0), (BYTES, 2 ** 50, 2 ** 50),
])
def test_valid_values_pass_and_are_stored_in_the_keys_type(rule, value, stored):
    checked, problems = rule.check(value)
    assert problems == []
    assert checked == stored and type(checked) is type(stored)


@pytest.mark.parametrize("rule, value, message", [
    (INTERVAL, "30", "must be a number, got str"),
    (INTERVAL, True, "must be a number, got bool"),
    (INTERVAL, None, "must not be null"),
    (INTERVAL, math.nan, "must be a finite number (NaN and infinity are not allowed)"),
    (INTERVAL, -math.inf, "must be a finite number (NaN and infinity are not allowed)"),
    (INTERVAL, 10 ** 400, "is too large"),
    (INTERVAL, 0, "must be greater than 0"),
    (INTERVAL, 86_400.01, "must be at most 86400"),
    (LOADS, 2.0, "must be an integer, got float"),
    (LOADS, False, "must be an integer, got bool"),
    (LOADS, 0, "must be at least 1"),
    (RATIO, -0.01, "must be at least 0"),
    (RATIO, 1.0000001, "must be at most 1"),
    (FLAG, 0, "must be a boolean, got int"),
    (FLAG, "false", "must be a boolean, got str"),
    (STRATEGY, "balanced", "must be one of AGGRESSIVE, BALANCED, CONSERVATIVE, got 'balanced'"),
    (STRATEGY, 1, "must be a string, got int"),
    (BYTES, -1, "must be at least 0"),
])
def test_invalid_values_are_refused_with_a_message(rule, value, message):
    assert rule.check(value)[1] == [message]


def test_custom_validator_runs_after_the_declared_checks():
    rule = ConfigurationValidationRule("even", validator=lambda v: v % 2 == 0,
                                       error_message="must be even", default_value=2,
                                       min_value=0)
    assert rule.value_type is ValueType.INT
    assert rule.check(4)[1] == []
    assert rule.check(3)[1] == ["must be even"]
    # The declared check fails first; the validator (which would raise on a str) never runs.
    assert rule.check("4")[1] == ["must be even (must be an integer, got str)"]
    assert rule.check(-2)[1] == ["must be even (must be at least 0)"]


def test_a_raising_validator_is_a_failed_validation():
    rule = ConfigurationValidationRule("x", validator=lambda v: 1 / 0, default_value="a")
    assert rule.check("b")[1] == ["custom validation failed (validator raised "
                                  "ZeroDivisionError: division by zero)"]


def test_the_specs_custom_rule():
    rule = ConfigurationValidationRule(
        key="custom_setting", validator=lambda x: isinstance(x, str) and len(x) > 0,
        error_message="Custom setting must be a non-empty string", required=True,
        default_value="default")
    assert rule.value_type is ValueType.STRING
    assert rule.check("x") == ("x", [])
    assert rule.check("")[1] == ["Custom setting must be a non-empty string (must not be empty)"]
    assert rule.check(None)[1] == ["Custom setting must be a non-empty string (a value is required)"]


def test_type_is_inferred_from_the_default():
    assert ConfigurationValidationRule("a", default_value=True).value_type is ValueType.BOOL
    assert ConfigurationValidationRule("b", default_value=1).value_type is ValueType.INT
    assert ConfigurationValidationRule("c", default_value=1.5).value_type is ValueType.FLOAT
    assert ConfigurationValidationRule("d", default_value="s").value_type is ValueType.STRING
    assert ConfigurationValidationRule("e", default_value={"a": 1}).value_type is ValueType.JSON
    assert ConfigurationValidationRule("f", default_value="A",
                                       choices=["A", "B"]).value_type is ValueType.ENUM


def test_pattern_and_text_checks():
    rule = ConfigurationValidationRule("host", default_value="a.example", pattern=r"[a-z.]+")
    assert rule.check("b.example")[1] == []
    assert rule.check("B!")[1] == ["must match the pattern '[a-z.]+'"]
    assert rule.check("a\x00b")[1] == ["must not contain NUL characters"]
    assert "lone surrogate" in rule.check("a\udc00")[1][0]


def test_json_values():
    rule = ConfigurationValidationRule("extra", default_value={"a": [1, 2]})
    assert rule.check({"b": None})[1] == [] and rule.check(None)[1] == []
    assert "JSON-serialisable" in rule.check({"a": math.nan})[1][0]
    assert "JSON-serialisable" in rule.check({1, 2})[1][0]
    assert rule.check({"k": ["ok", "bad\x00"]})[1] == ["must not contain NUL characters"]
    assert rule.check({"bad\x00key": 1})[1] == ["must not contain NUL characters"]


@pytest.mark.parametrize("name", ["", "1abc", "a b", "a/b", "x" * 129, None, "load_timeout\n",
                                  "load_timeout\r\n", " load_timeout", "ｌｏａｄ"])
def test_invalid_key_names_are_refused(name):
    with pytest.raises(ValueError):
        ConfigurationValidationRule(name, default_value=1)


@pytest.mark.parametrize("key, twin", [
    ("Load_Timeout", "load_timeout"), ("LOAD_TIMEOUT", "load_timeout"),
    ("load_timeout ", "load_timeout"), ("ｌｏａｄ_timeout", "load_timeout"),
    ("load_timeout", None), ("load-timeout", None), ("load_timeouts", None),
])
def test_a_name_that_reads_like_an_existing_one_is_found(key, twin):
    assert lookalike(key, ["load_timeout", "cache_enabled"]) == twin


def test_values_nested_too_deeply_are_refused_at_any_depth():
    rule = ConfigurationValidationRule("extra", value_type="json")
    for depth in (JSON_DEPTH_MAX + 1, 500, 50_000):
        nested: object = 1
        for _ in range(depth):
            nested = [nested]
        assert rule.check(nested)[1] == [
            f"must not be nested more than {JSON_DEPTH_MAX} levels deep"]
    deepest: object = "ok"
    for _ in range(JSON_DEPTH_MAX):
        deepest = {"k": deepest}
    assert rule.check(deepest)[1] == []


def test_texts_a_database_cannot_store_are_named_when_a_rule_is_defined():
    rule = ConfigurationValidationRule(
        "k", default_value="a", unit="u" * (UNIT_MAX + 1), description="a\x00b",
        error_message="\ud800", choices=["a", "b\x00"], pattern="x" * (PATTERN_MAX + 1),
        origin="mine")
    assert rule.storage_problems() == [
        "description must not contain NUL characters",
        f"unit must be at most {UNIT_MAX} characters",
        f"pattern must be at most {PATTERN_MAX} characters",
        "error_message must be valid Unicode text (it holds a lone surrogate)",
        "choices must not contain NUL characters", "origin must be one of builtin, custom"]
    assert all(r.storage_problems() == [] for r in BUILTIN_RULES)


def test_an_enum_needs_choices():
    with pytest.raises(ValueError, match="choices"):
        ConfigurationValidationRule("mode", value_type=ValueType.ENUM, default_value="a")


@pytest.mark.parametrize("rule, raw, parsed", [
    (INTERVAL, "30", 30.0), (INTERVAL, " 2.5 ", 2.5), (LOADS, "12", 12),
    (FLAG, "yes", True), (FLAG, "OFF", False), (FLAG, "1", True), (FLAG, "0", False),
    (STRATEGY, "AGGRESSIVE", "AGGRESSIVE"), (LOADS, 12, 12), (FLAG, True, True),
    (ConfigurationValidationRule("j", default_value={}), '{"a": [1]}', {"a": [1]}),
])
def test_outside_text_is_parsed_by_type(rule, raw, parsed):
    value = rule.parse(raw)
    assert value == parsed and type(value) is type(parsed)


@pytest.mark.parametrize("rule, raw", [(LOADS, "4.5"), (LOADS, "four"), (FLAG, "maybe"),
                                       (INTERVAL, "fast")])
def test_unparseable_text_raises_value_error(rule, raw):
    with pytest.raises(ValueError):
        rule.parse(raw)


def test_record_round_trip_keeps_the_declarative_part():
    rule = ConfigurationValidationRule(
        "mode", default_value="a", choices=["a", "b"], sensitive=True, description="d",
        error_message="bad mode", required=True)
    again = ConfigurationValidationRule.from_record(rule.to_record())
    assert again == rule and again.validator is None
    assert rule.to_record()["choices"] == ["a", "b"] and rule.to_record()["value_type"] == "enum"
    assert rule.masked("b") == "***" and rule.masked(None) is None
    assert INTERVAL.masked(1.0) == 1.0


def test_every_builtin_default_passes_its_own_rule():
    for rule in BUILTIN_RULES:
        assert rule.check(rule.default_value)[1] == [], rule.key
        assert rule.origin == "builtin"
