"""Rule patterns cannot stall a worker or the write lock (issue 15, finding 1).

`(a+)+$` against 31 'a's and a '!' took Python's `re` minutes; RE2 answers at once. Each
reproduction is bounded: the request must answer within SECONDS, where the old code never
answered. Patterns RE2 cannot run (backreferences, lookarounds) or that are not patterns at
all are refused when their rule is defined, and change nothing.
"""
from __future__ import annotations

import time

import pytest

from lazyconfig.db.base import utcnow
from lazyconfig.domain.limits import MATCHED_MAX

from .conftest import PREFIX
from .test_hostile_input import observable_state

SECONDS = 2.0
EVIL = "(a+)+$"
STALLING = "a" * 31 + "!"


def timed(call):
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"answered after {elapsed:.1f} s"
    return response


@pytest.fixture
def evil_key(client, admin):
    response = client.put(f"{PREFIX}/rules/greeting", headers=admin,
                          json={"type": "string", "default": "aaa", "pattern": EVIL})
    assert response.status_code == 200, response.json
    return "greeting"


def test_a_viewer_validating_against_a_catastrophic_pattern_is_answered_at_once(
        client, viewer, engine, evil_key):
    response = timed(lambda: client.post(f"{PREFIX}/validate", headers=viewer,
                                         json={"key": evil_key, "value": STALLING}))
    assert response.status_code == 200
    assert response.json["validation_errors"] == [f"must match the pattern {EVIL!r}"]


def test_a_write_against_a_catastrophic_pattern_is_refused_at_once_and_changes_nothing(
        client, editor, engine, evil_key):
    before = observable_state(engine)
    response = timed(lambda: client.put(f"{PREFIX}/values/{evil_key}", headers=editor,
                                        json={"value": STALLING}))
    assert response.status_code == 400 and evil_key in response.json["errors"]
    assert observable_state(engine) == before
    good = timed(lambda: client.put(f"{PREFIX}/values/{evil_key}", headers=editor,
                                    json={"value": "a" * 10_000}))
    assert good.status_code == 200 and engine.get(evil_key) == "a" * 10_000


@pytest.mark.parametrize("pattern, words", [
    (r"(a)\1", "invalid escape sequence"),
    (r"(?=a)a", "invalid perl operator"),
    (r"(?<!x)a", "invalid perl operator"),
    ("(", "missing )"),
    ("a{1001}", "invalid repetition size"),
])
def test_a_pattern_re2_cannot_run_is_refused_when_the_rule_is_defined(
        client, admin, engine, pattern, words):
    before = observable_state(engine)
    for key in ("new_key", "load_timeout"):  # a new key, and a change to an existing one
        response = client.put(f"{PREFIX}/rules/{key}", headers=admin, json={
            "type": "string" if key == "new_key" else "float", "default": "a"
            if key == "new_key" else 30.0, "pattern": pattern})
        assert response.status_code == 422, response.json
        assert words in response.json["errors"][key][0], response.json
        assert response.json["errors"][key][0].startswith("pattern is not a pattern RE2")
    assert observable_state(engine) == before


def test_a_string_too_long_to_match_is_refused_with_its_reason(client, editor, engine,
                                                                evil_key):
    response = client.put(f"{PREFIX}/values/{evil_key}", headers=editor,
                          json={"value": "a" * (MATCHED_MAX + 1)})
    assert response.status_code == 400
    assert f"at most {MATCHED_MAX} characters" in response.json["errors"][evil_key][0]
    assert engine.get(evil_key) == "aaa"


def test_a_stored_pattern_re2_refuses_refuses_every_value_until_redefined(
        client, admin, editor, engine):
    """A rule stored before patterns were RE2's keeps loading; its key takes no value."""
    record = {**engine.get_rule("load_timeout").to_record(), "key": "legacy",
              "value_type": "string", "default": "aa", "min_value": None,
              "max_value": None, "min_exclusive": False, "pattern": r"(a)\1", "unit": None,
              "origin": "custom"}
    with engine.storage.writing() as uow:
        uow.rules.put(record, utcnow(), "legacy")
        uow.commit()
    engine.replica.reload()
    refused = client.put(f"{PREFIX}/values/legacy", headers=editor, json={"value": "aa"})
    assert refused.status_code == 400
    assert "define the rule again" in refused.json["errors"]["legacy"][0]
    fixed = client.put(f"{PREFIX}/rules/legacy", headers=admin,
                       json={"type": "string", "default": "aa", "pattern": "(a)+"})
    assert fixed.status_code == 200, fixed.json
    assert client.put(f"{PREFIX}/values/legacy", headers=editor,
                      json={"value": "aaaa"}).status_code == 200
