"""Rule patterns cannot stall a worker or the write lock (issue 15, finding 1).

`(a+)+$` against 31 'a's and a '!' took Python's `re` minutes; RE2 answers at once. Each
reproduction is bounded: the request must answer within SECONDS, where the old code never
answered. Patterns RE2 cannot run (backreferences, lookarounds) or that are not patterns at
all are refused when their rule is defined, and change nothing.
"""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lazyconfig.db.base import utcnow
from lazyconfig.domain.limits import MATCHED_MAX
from lazyconfig.settings import DEFAULT_MAX_STRING_VALUE

from .conftest import PREFIX
from .test_hostile_input import observable_state, setup  # noqa: F401
from .test_hostile_properties import PROPERTY, exchange

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


def test_a_pattern_too_costly_to_compile_is_refused_at_once(client, admin, engine):
    """RE2 compiles within a memory budget: `(.{0,1000})` 45 times took 8 s without one."""
    before = observable_state(engine)
    response = timed(lambda: client.put(f"{PREFIX}/rules/costly", headers=admin, json={
        "type": "string", "default": None, "pattern": "(.{0,1000})" * 45}))
    assert response.status_code == 422 and "RE2" in response.json["errors"]["costly"][0]
    assert observable_state(engine) == before


def test_a_string_too_long_to_match_is_refused_with_its_reason(client, editor, engine,
                                                                evil_key):
    response = client.put(f"{PREFIX}/values/{evil_key}", headers=editor,
                          json={"value": "a" * (MATCHED_MAX + 1)})
    assert response.status_code == 400
    assert f"at most {MATCHED_MAX} characters" in response.json["errors"][evil_key][0]
    assert engine.get(evil_key) == "aaa"


def test_a_value_over_its_types_cap_is_refused_and_changes_nothing(client, editor, engine):
    engine.put_rule({"key": "notes", "value_type": "string", "default": ""})
    before = observable_state(engine)
    response = client.put(f"{PREFIX}/values/notes", headers=editor,
                          json={"value": "x" * (DEFAULT_MAX_STRING_VALUE + 1)})
    assert response.status_code == 422
    assert "at most 65536" in response.json["errors"]["notes"][0]
    assert observable_state(engine) == before
    validated = client.post(f"{PREFIX}/validate", headers=editor, json={
        "key": "notes", "value": "x" * (DEFAULT_MAX_STRING_VALUE + 1)})
    assert "at most 65536" in validated.json["validation_errors"][0]


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


# -- generated patterns and values -------------------------------------------------------------
ATOMS = st.sampled_from([
    "a", "b", ".", "\\d", "\\w", "\\p{L}", "[a-z]", "[^!]", "(a+)+", "(a|aa)*", "(.*a){12}",
    "(x+x+)+", "(a*)*", "a{1000}", "a{1001}", "\\1", "(a)\\1", "(?=a)", "(?!a)", "(?<=a)",
    "(?<!a)", "(?i)", "(?P<n>a)", "(?P=n)", "\\b", "^", "$", "(", ")", "[", "{2,}", "\\",
    "\x00", "\ud800", "é", "(.{0,1000})", ".{0,1000}"])
QUANTIFIER = st.sampled_from(["", "", "*", "+", "?", "{2,5}", "*?", "++"])
PATTERNS = st.one_of(
    st.lists(st.tuples(ATOMS, QUANTIFIER).map("".join), min_size=1, max_size=8).map("".join),
    st.text(max_size=20),
    st.integers(1, 60).map(lambda n: "(a+)+" * n))
SUBJECTS = st.one_of(
    st.tuples(st.integers(0, MATCHED_MAX + 2), st.sampled_from(["", "!", "b", "é"])).map(
        lambda parts: "a" * parts[0] + parts[1]),
    st.text(max_size=40))


@PROPERTY
@given(pattern=PATTERNS, subject=SUBJECTS)
def test_generated_patterns_and_values_are_answered_in_bounded_time(client, admin, editor,
                                                                   viewer, setup, pattern,
                                                                   subject):
    client.delete(f"{PREFIX}/values/matched", headers=editor)  # a pattern for no value yet
    status = exchange(client, setup, "PUT", "/rules/matched", admin, {200, 422},
                      json={"type": "string", "default": None, "pattern": pattern})
    if status != 200:
        return
    exchange(client, setup, "POST", "/validate", viewer, {200},
             json={"key": "matched", "value": subject})
    exchange(client, setup, "PUT", "/values/matched", editor, {200, 400, 422},
             json={"value": subject})


@settings(PROPERTY, max_examples=25)  # each example writes 64 Ki characters
@given(extra=st.integers(-2, 2), filler=st.sampled_from(["x", "é", "\u4e00", "🙂"]),
       how=st.sampled_from(["put", "batch", "import"]))
def test_generated_values_around_the_string_cap(client, admin, editor, setup, extra, filler,
                                                how):
    setup.put_rule({"key": "notes", "value_type": "string", "default": ""}, user="setup")
    value = filler * (DEFAULT_MAX_STRING_VALUE + extra)
    path, role, body = {
        "put": ("/values/notes", editor, {"value": value}),
        "batch": ("/values/batch", editor, {"updates": [{"key": "notes", "value": value}]}),
        "import": ("/import", admin, {"notes": value}),
    }[how]
    status = exchange(client, setup, "PUT" if how == "put" else "POST", path, role,
                      {200, 422}, json=body)
    assert (status == 200) == (extra <= 0)
