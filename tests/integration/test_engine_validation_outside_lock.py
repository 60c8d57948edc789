"""Validation runs before the database-wide write lock (issue 15, finding 1): a slow check
delays only its own write; under the lock a write only looks its verdicts up, and a rule
that changed in between sends the write back to be checked again, outside the lock.
Also the cap on one value's size per key type (finding 5)."""
from __future__ import annotations

import threading
import time

import pytest

from lazyconfig import ConfigurationValidationRule
from lazyconfig.errors import Conflict, ValidationFailed, ValueTooLarge

SLOW = "slow_check"
BOUND = 10.0  # no wait in this module lasts longer, whatever the code does


def slow_rule(entered: threading.Event, release: threading.Event):
    def validator(value):
        if value != "a":  # the default is checked quickly, when the rule is added
            entered.set()
            release.wait(BOUND)  # a long validation, ended by the test
        return True
    return ConfigurationValidationRule(key=SLOW, validator=validator, default_value="a")


def test_a_slow_validation_blocks_no_other_writer(make_engine):
    checking, other = make_engine(), make_engine()
    entered, release = threading.Event(), threading.Event()
    checking.add_validation_rule(slow_rule(entered, release))
    slow = threading.Thread(target=checking.set, args=(SLOW, "b"), kwargs={"strict": True})
    slow.start()
    try:
        assert entered.wait(BOUND)
        started = time.monotonic()
        other.set("load_timeout", 12.0, strict=True)  # another process
        checking.set("max_concurrent_loads", 6, strict=True)  # this process, no rule check
        took = time.monotonic() - started
    finally:
        release.set()
        slow.join(BOUND)
    assert took < 2.0, f"the other writers waited {took:.1f} s for a validation"
    assert not slow.is_alive() and checking.get(SLOW) == "b"
    other.refresh()
    assert other.get(SLOW) == "b" and other.get("max_concurrent_loads") == 6


def test_a_rule_changed_during_validation_is_checked_again(make_engine):
    """The rule tightens between the check and the transaction: the value is checked again
    against the rule the database holds, and refused."""
    checking, admin = make_engine(), make_engine()
    calls = []

    def validator(value):
        calls.append(value)
        if len(calls) == 2:  # the first check of the write below, before the lock
            admin.put_rule({"key": "level", "value_type": "int", "default": 1,
                            "max_value": 5})
        return True
    checking.put_rule({"key": "level", "value_type": "int", "default": 1, "max_value": 9})
    checking.add_validation_rule(ConfigurationValidationRule(key="level", validator=validator))
    with pytest.raises(ValidationFailed) as refused:
        checking.set("level", 7, strict=True)
    assert refused.value.errors == {"level": ["must be at most 5"]}
    assert calls == [1, 7] and checking.get("level") == 1  # 7 then broke the bounds
    assert checking.get_rule("level").max_value == 5


def test_a_rule_that_keeps_changing_ends_in_a_conflict(make_engine):
    checking, admin = make_engine(), make_engine()
    bound = iter(range(100, 200))

    def validator(value):
        admin.put_rule({"key": "level", "value_type": "int", "default": 1,
                        "max_value": next(bound)})
        return True
    checking.put_rule({"key": "level", "value_type": "int", "default": 1, "max_value": 99})
    checking.add_validation_rule(ConfigurationValidationRule(key="level", validator=validator))
    revision = admin.revision
    with pytest.raises(Conflict, match="send it again"):
        checking.set("level", 7, strict=True)
    assert checking.get("level") == 1 and checking.revision > revision


@pytest.mark.parametrize("kind, default, too_long, fits", [
    ("string", "a", "x" * 4097, "x" * 4096),
    ("json", {}, {"k": "x" * 8185}, {"k": "x" * 8184}),  # {"k":"…"}: 8 characters more
])
def test_a_value_over_its_types_cap_is_refused_by_every_write(make_engine, kind, default,
                                                              too_long, fits):
    engine = make_engine(max_string_value=4096, max_json_value=8192)
    engine.put_rule({"key": "blob", "value_type": kind, "default": default})
    snapshot = engine.create_snapshot("before")
    revision = engine.revision
    with pytest.raises(ValueTooLarge, match="blob.* at most"):
        engine.write_values({"blob": too_long})
    with pytest.raises(ValueTooLarge):
        engine.import_configuration({"blob": too_long})
    with pytest.raises(ValueTooLarge):
        engine.put_rule({"key": "blob", "value_type": kind, "default": too_long})
    assert engine.revision == revision and engine.get("blob") == default
    engine.write_values({"blob": fits})
    assert engine.get("blob") == fits
    engine.rollback_to_snapshot(snapshot)
    assert engine.get("blob") == default
