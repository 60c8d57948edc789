"""Bad input is refused with a message that names the problem, and changes nothing: the
export taken before equals the one taken after, and the change log has not grown."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from lazyconfig import ConfigurationValidationRule
from lazyconfig.errors import (ConfigurationError, InvalidDocument, InvalidSource,
                               SnapshotNotFound, UnknownKey, ValidationFailed)

INTERVAL = "lazy_loading_unloading_check_interval"
LOADS = "max_concurrent_loads"
THRESHOLD = "memory_pressure_threshold"
STRATEGY = "lazy_loading_unloading_strategy"


@dataclass
class Case:
    attempt: Callable[[Any], str]  # makes the refused call; returns the refusal's message
    expected: tuple[str, ...]      # fragments the message must contain
    setup: Callable[[Any], None] | None = None


def refused_set(key: str, value: Any) -> Callable[[Any], str]:
    """set() answers False, and its strict form raises with the reason."""
    def attempt(engine) -> str:
        assert engine.set(key, value) is False
        with pytest.raises((ValidationFailed, UnknownKey)) as raised:
            engine.set(key, value, strict=True)
        return raised.value.message
    return attempt


def refused_update(updates: dict[str, Any]) -> Callable[[Any], str]:
    def attempt(engine) -> str:
        results = engine.update(updates)
        assert results == dict.fromkeys(updates, False)
        assert not all(results.values())
        return str(results.errors)
    return attempt


def raises(error: type[ConfigurationError], call: Callable[[Any], object]) -> Callable[[Any], str]:
    def attempt(engine) -> str:
        with pytest.raises(error) as raised:
            call(engine)
        return raised.value.message
    return attempt


def _raising_validator(value):
    if value == "boom":
        raise ZeroDivisionError("validator blew up")
    return True


def add_raising_validator(engine) -> None:
    engine.add_validation_rule(ConfigurationValidationRule(
        key="fragile", validator=_raising_validator, error_message="fragile check failed",
        default_value="ok"))
    engine.set("fragile", "ok")


def snapshot_then_tighten(engine) -> None:
    """A snapshot holding 0.95, then a rule change that makes 0.95 invalid today (put_rule
    refuses a rule the current value breaks, so the value moves away first)."""
    engine.set(THRESHOLD, 0.95)
    engine.create_snapshot("holds 0.95")
    engine.set(THRESHOLD, 0.5)
    rule = engine.get_rule(THRESHOLD).to_record()
    engine.put_rule({**rule, "max_value": 0.9})


def add_text_key(engine) -> None:
    engine.add_validation_rule(ConfigurationValidationRule(key="banner", default_value="hello"))


def rollback_latest(engine):
    return engine.rollback_to_snapshot(engine.list_snapshots()[0]["id"])


GOOD_MANY = {INTERVAL: 20.0, LOADS: 8, STRATEGY: "AGGRESSIVE", "cache_enabled": False}

CASES = {
    "string for a float": Case(refused_set(INTERVAL, "fast"), ("must be a number", "str")),
    "numeric string for a float": Case(refused_set(INTERVAL, "30"), ("must be a number", "str")),
    "string for an int": Case(refused_set(LOADS, "8"), ("must be an integer", "str")),
    "float for an int": Case(refused_set(LOADS, 8.0), ("must be an integer", "float")),
    "bool for an int": Case(refused_set(LOADS, True), ("must be an integer", "bool")),
    "bool for a float": Case(refused_set(INTERVAL, False), ("must be a number", "bool")),
    "int for a bool": Case(refused_set("cache_enabled", 1), ("must be a boolean", "int")),
    "string for a bool": Case(refused_set("cache_enabled", "true"), ("must be a boolean",)),
    "null": Case(refused_set(LOADS, None), ("must not be null",)),
    "list for an int": Case(refused_set(LOADS, [4]), ("must be an integer", "list")),
    "NaN": Case(refused_set(INTERVAL, math.nan), ("finite",)),
    "+inf": Case(refused_set(INTERVAL, math.inf), ("finite",)),
    "-inf": Case(refused_set(THRESHOLD, -math.inf), ("finite",)),
    "int too large for a float": Case(refused_set(INTERVAL, 10 ** 400), ("too large",)),
    "zero interval": Case(refused_set(INTERVAL, 0.0), ("greater than 0",)),
    "negative interval": Case(refused_set(INTERVAL, -5.0), ("greater than 0",)),
    "interval over a day": Case(refused_set(INTERVAL, 86_400.5), ("at most 86400",)),
    "ratio above 1": Case(refused_set(THRESHOLD, 1.01), ("at most 1",)),
    "count below 1": Case(refused_set(LOADS, 0), ("at least 1",)),
    "count above its cap": Case(refused_set(LOADS, 1025), ("at most 1024",)),
    "bytes beyond 2**50": Case(refused_set("cache_size_limit", 2 ** 50 + 1), ("at most",)),
    "unknown key": Case(refused_set("no_such_key", 1), ("unknown configuration key", "no_such_key")),
    "unknown enum member": Case(refused_set(STRATEGY, "FASTEST"), ("must be one of", "FASTEST")),
    "enum member in the wrong case": Case(refused_set(STRATEGY, "aggressive"), ("must be one of",)),
    "raising validator": Case(refused_set("fragile", "boom"),
                              ("fragile check failed", "ZeroDivisionError", "validator blew up"),
                              setup=add_raising_validator),
    "NUL character in a string": Case(refused_set("banner", "a\x00b"), ("NUL",),
                                      setup=add_text_key),
    "lone surrogate in a string": Case(refused_set("banner", "a\ud800b"), ("surrogate",),
                                       setup=add_text_key),
    "update with one bad value among many": Case(
        refused_update({**GOOD_MANY, THRESHOLD: 2.0}), (THRESHOLD, "at most 1")),
    "update with an unknown key among many": Case(
        refused_update({**GOOD_MANY, "nope": 1}), ("unknown configuration key", "nope")),
    "duplicate keys in one write": Case(
        raises(ValidationFailed, lambda e: e.write_values(
            [(INTERVAL, 10.0, None), (LOADS, 2, None), (INTERVAL, 20.0, None)])),
        (INTERVAL, "more than once")),
    "wrong source: default": Case(raises(InvalidSource, lambda e: e.set(INTERVAL, 5.0, source="default")),
                                  ("'default'", "cannot be written")),
    "wrong source: environment": Case(
        raises(InvalidSource, lambda e: e.update({INTERVAL: 5.0}, source="environment")),
        ("'environment'", "cannot be written")),
    "wrong source: made up": Case(raises(InvalidSource, lambda e: e.set(INTERVAL, 5.0, source="cli")),
                                  ("'cli'",)),
    "wrong source for unset": Case(
        raises(InvalidSource, lambda e: e.unset(INTERVAL, source="environment")),
        ("'environment'", "cannot be written")),
    "import with one bad key among many": Case(
        raises(ValidationFailed, lambda e: e.import_configuration(
            {"version": 1, "values": {**GOOD_MANY, THRESHOLD: "high"}})),
        (THRESHOLD, "must be a number")),
    "import with one unknown key among many": Case(
        raises(UnknownKey, lambda e: e.import_configuration(
            {"version": 1, "values": {**GOOD_MANY, "nope": 1}})), ("nope",)),
    "import of a document without version": Case(
        raises(InvalidDocument, lambda e: e.import_configuration({"values": GOOD_MANY})),
        ("version",)),
    "import of something not a document": Case(
        raises(InvalidDocument, lambda e: e.import_configuration([GOOD_MANY])), ("object",)),
    "rollback to a snapshot today's rules refuse": Case(
        raises(ValidationFailed, rollback_latest), ("cannot be restored", THRESHOLD, "at most 0.9"),
        setup=snapshot_then_tighten),
    "rollback to an unknown snapshot": Case(
        raises(SnapshotNotFound, lambda e: e.rollback_to_snapshot(987654)), ("987654",)),
    "delete of an unknown snapshot": Case(
        raises(SnapshotNotFound, lambda e: e.delete_snapshot(987654)), ("987654",)),
    "reset of an unknown key": Case(raises(UnknownKey, lambda e: e.reset(["nope"])), ("nope",)),
    "rule that today's value breaks": Case(
        raises(ValidationFailed, lambda e: e.put_rule({**e.get_rule(INTERVAL).to_record(),
                                                       "max_value": 10.0})),
        (INTERVAL, "current runtime value", "at most 10"),
        setup=lambda e: e.set(INTERVAL, 30.0)),
    "rule changing a built-in key's type": Case(
        raises(ValidationFailed, lambda e: e.put_rule({**e.get_rule(LOADS).to_record(),
                                                       "value_type": "string", "default": "4"})),
        ("keeps its type",)),
    "custom rule whose validator refuses its own default": Case(
        raises(ValidationFailed, lambda e: e.add_validation_rule(ConfigurationValidationRule(
            key="picky", validator=lambda v: v != "x", error_message="not x", default_value="x"))),
        ("picky", "default value", "not x")),
    "snapshot tags that are not strings": Case(
        raises(ValidationFailed, lambda e: e.create_snapshot("x", tags=[1, 2])), ("tags",)),
    "snapshot tags given as one string": Case(
        raises(ValidationFailed, lambda e: e.create_snapshot("x", tags="nightly")), ("tags",)),
    "a new key in another case than an existing one": Case(
        raises(ValidationFailed, lambda e: e.add_validation_rule(ConfigurationValidationRule(
            key="Load_Timeout", default_value=1.0))), ("reads the same", "'load_timeout'")),
    "a new key read in full names a custom one": Case(
        raises(ValidationFailed, lambda e: e.put_rule({"key": "BANNER", "default": "x"})),
        ("reads the same", "'banner'"), setup=add_text_key),
}


@pytest.mark.parametrize("key", ["load_timeout\n", "load_timeout ", "Load_Timeout\n"])
def test_a_key_name_is_matched_in_full(engine, key):
    before = set(engine.entries())
    with pytest.raises(ValueError, match="invalid key name"):
        engine.add_validation_rule(ConfigurationValidationRule(key=key, default_value=1.0))
    with pytest.raises(ValueError, match="invalid key name"):
        engine.put_rule({"key": key, "default": 1.0})
    assert set(engine.entries()) == before


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_refused_and_changes_nothing(make_engine, tables, case):
    engine = make_engine()
    engine.set(INTERVAL, 42.0)
    if case.setup:
        case.setup(engine)
    exported, count = engine.export(include_sensitive=True), tables.change_count()
    stored, snapshots, rules = tables.values(), len(tables.snapshots()), set(tables.rules())

    message = case.attempt(engine)

    for fragment in case.expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert engine.export(include_sensitive=True) == exported
    assert tables.change_count() == count
    assert tables.values() == stored
    assert len(tables.snapshots()) == snapshots
    assert set(tables.rules()) == rules
