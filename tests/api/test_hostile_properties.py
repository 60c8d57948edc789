"""Generated hostile input (issue 15): whatever a client puts in a header, a query string, a
body field, a key or a token claim, the answer is never a 5xx, a refused request changes
nothing (values, rules, snapshots, the change log), and each answer comes in bounded time.

The catalogue in test_hostile_input.py names the inputs found so far; these generate more
of each class: text with NUL, control characters, lone surrogates and look-alike letters,
values nested up to 800 deep, numbers of thousands of digits, claims of every JSON type.
Each test is derandomized (the same requests every run) and small enough that the module
runs in seconds on each database.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from datetime import timedelta
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from lazyconfig.api.notifications import schemas as notification_schemas
from lazyconfig.domain.limits import text_problem
from lazyconfig.domain.rules import KEY_PATTERN, lookalike

from .conftest import PREFIX, SECRET
from .test_hostile_input import (INTERVAL, JSON_KEY, nested, observable_state,  # noqa: F401
                                 setup)

SECONDS_PER_REQUEST = 2.0  # far above any honest request; a stall or a blow-up is not
PROPERTY = settings(max_examples=100, deadline=timedelta(seconds=10), derandomize=True,
                    database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                          HealthCheck.too_slow,
                                                          HealthCheck.data_too_large])
KEYS = [INTERVAL, JSON_KEY, "max_concurrent_loads", "lazy_loading_unloading_strategy",
        "cache_enabled", "load_timeout"]
DAY = 24 * 3600
METHOD_LABELS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}

# -- what clients send -----------------------------------------------------------------------
ODD = st.sampled_from(["\x00", "\n", "\r", "\t", "\x1b", "\x7f", "\u0085", "\u2028", "\ufeff",
                       "\u00b2", "\u0663", "\uff4c", "\u0130", "\ufb01", " ", "\\", '"'])
SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
TEXT = st.one_of(
    st.lists(st.one_of(st.characters(), ODD, SURROGATE), max_size=30).map("".join),
    st.sampled_from(["", "u" * 201, "x" * 5000, "load_timeout\n", "Load_Timeout"]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(TEXT, inner, max_size=3), max_leaves=10)


def deep_text(depth: int, kind: str) -> str:
    opening, closing = ("[", "]") if kind == "list" else ('{"a": ', "}")
    return opening * depth + "1" + closing * depth


VALUE_TEXT = st.one_of(  # the JSON text of a value, as a client may write it
    st.sampled_from(["31.0", "4", '"BALANCED"', "true", '{"a": [1, "b"]}', "null"]),
    VALUES.map(json.dumps),
    st.builds(deep_text, st.integers(1, 800), st.sampled_from(["list", "object"])),
    st.integers(1, 6000).map(lambda digits: "9" * digits),
    st.sampled_from(["NaN", "-Infinity", "1e400", '"\\ud800"', '"\\u0000"']))
# Header values: werkzeug refuses a newline in one before the app could see it.
HEADER_TEXT = st.one_of(
    st.text(st.characters(exclude_characters="\r\n"), max_size=30),
    st.text("0123456789\u00b2\u0663W/\"*, -", min_size=1, max_size=8),
    st.integers(4000, 6000).map(lambda digits: f'"{"9" * digits}"'),
    st.sampled_from(['"\u00b2"', '"1\u00b3"', '"\u0663"', f'"{2 ** 63}"', 'W/""', '""']))


def claim_values(now: int):
    return st.one_of(SCALARS, st.lists(st.integers(), max_size=2),
                     st.integers(-3600, 40 * DAY).map(lambda ahead: now + ahead),
                     st.integers(-3600, 40 * DAY).map(lambda ahead: str(now + ahead)),
                     st.sampled_from([10 ** 12, 10 ** 400, float("inf"), 1e300]))


def claims(now: int):
    """A valid editor's claims, with up to three of them replaced by anything at all (or
    left out)."""
    valid = {"sub": "alice", "role": "editor", "iat": now, "exp": now + 600}
    anything = {"sub": st.one_of(TEXT, SCALARS),
                "role": st.one_of(st.sampled_from(["viewer", "editor", "admin", "owner"]),
                                  SCALARS),
                "exp": claim_values(now), "iat": claim_values(now), "nbf": claim_values(now),
                "type": st.sampled_from(["access", "refresh"]) | SCALARS, "jti": SCALARS,
                "aud": SCALARS}
    gone = object()

    def changed(names):
        return st.fixed_dictionaries({name: st.just(gone) | anything[name] for name in names})
    return st.lists(st.sampled_from(sorted(anything)), max_size=3, unique=True).flatmap(
        changed).map(lambda new: {name: value for name, value in {**valid, **new}.items()
                                  if value is not gone})


def sign(payload: dict) -> str:
    """An HS256 token with exactly these claims (PyJWT's encoder would refuse some)."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = (part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "."
                     + part(json.dumps(payload).encode()))
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


# -- what must hold for every answer -----------------------------------------------------------
def exchange(client, engine, method, path, headers, allowed, **request) -> int:
    """Send one request; it must answer in time, with an allowed status and, if refused, an
    error body in our shape and nothing changed."""
    before = observable_state(engine)
    started = time.perf_counter()
    response = client.open(PREFIX + path, method=method, headers=headers, **request)
    elapsed = time.perf_counter() - started
    body = response.get_data(as_text=True)[:300]
    event(f"answered {response.status_code}")  # --hypothesis-show-statistics tells the mix
    assert response.status_code in allowed, body
    assert elapsed < SECONDS_PER_REQUEST, f"{method} {path[:80]} took {elapsed:.2f} s"
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response.headers["X-Request-ID"])  # loggable
    if response.status_code >= 400:
        error = response.get_json()
        assert error["code"] == response.status_code and error["message"].strip()
        assert observable_state(engine) == before, body
    return response.status_code


def storable(text) -> bool:
    """Text SQLite and PostgreSQL both store as given (or no text at all)."""
    return text is None or text_problem(text) is None


@pytest.fixture
def bounded_waits(monkeypatch):
    monkeypatch.setattr(notification_schemas, "MAX_WAIT", 0.05)  # a blocking query's wait


@PROPERTY
@given(key=st.sampled_from(KEYS), value=VALUE_TEXT, description=st.none() | TEXT,
       source=st.one_of(st.just("runtime"), st.sampled_from(["service", "default"]), TEXT))
def test_generated_values_and_descriptions(client, setup, editor, key, value, description,
                                           source):
    raw = '{"value": %s, "description": %s, "source": %s}' % (
        value, json.dumps(description), json.dumps(source))
    status = exchange(client, setup, "PUT", f"/values/{key}", {**editor, "Content-Type":
                      "application/json"}, {200, 400, 422}, data=raw)
    if status == 200:  # only what both databases store alike is accepted
        assert storable(description)


@PROPERTY
@given(updates=st.lists(st.fixed_dictionaries(
    {"key": st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS), TEXT),
     "value": st.sampled_from([31.0, 4, True]) | VALUES},
    optional={"description": st.none() | TEXT, "expected_version": SCALARS}), max_size=4),
    snapshot=st.none() | TEXT)
def test_generated_batches(client, setup, editor, updates, snapshot):
    body = {"updates": updates, "create_snapshot": snapshot is not None,
            "snapshot_description": snapshot}
    status = exchange(client, setup, "POST", "/values/batch", editor,
                      {200, 400, 404, 412, 422}, json=body)
    if status == 200:
        assert storable(snapshot) and all(storable(u.get("description")) for u in updates)


@PROPERTY
@given(description=st.one_of(st.none(), TEXT, TEXT, TEXT, SCALARS),
       tags=st.one_of(st.lists(st.sampled_from(["nightly", "ok"]), max_size=2),
                      st.lists(TEXT, max_size=2), SCALARS))
def test_generated_snapshots(client, setup, editor, description, tags):
    status = exchange(client, setup, "POST", "/snapshots", editor, {201, 422},
                      json={"description": description, "tags": tags})
    if status == 201:
        assert storable(description) and all(storable(tag) for tag in tags)


@PROPERTY
@given(key=st.sampled_from(KEYS) | TEXT, value=VALUE_TEXT)
def test_generated_validations_change_nothing(client, setup, viewer, key, value):
    before = observable_state(setup)
    raw = '{"key": %s, "value": %s}' % (json.dumps(key), value)
    exchange(client, setup, "POST", "/validate", {**viewer, "Content-Type":
             "application/json"}, {200, 404, 422}, data=raw)
    assert observable_state(setup) == before


@PROPERTY
@given(data=st.data(), method=st.sampled_from(["PUT", "DELETE"]))
def test_generated_if_match_headers(client, setup, editor, data, method):
    version = setup.get_entry(INTERVAL).version
    if_match = data.draw(st.one_of(HEADER_TEXT, st.sampled_from(
        ["*", f'"{version}"', f'W/"{version}"', f'"{version}", "0"', f'"{version} "'])))
    request_id = data.draw(HEADER_TEXT | st.sampled_from(["trace-1", "a" * 65, "id\t"]))
    status = exchange(client, setup, method, f"/values/{INTERVAL}",
                      {**editor, "If-Match": if_match, "X-Request-ID": request_id},
                      {200, 412}, json={"value": 31.0} if method == "PUT" else None)
    named = if_match.split(",")[0].strip().removeprefix("W/").strip('"')
    if status == 200:  # only `*` or the key's version lets a write through
        assert if_match.strip() == "*" or named == str(version)


@PROPERTY
@given(data=st.data())
def test_generated_token_claims(client, setup, data):
    now = int(time.time())
    payload = data.draw(claims(now))
    status = exchange(client, setup, "PUT", f"/values/{INTERVAL}",
                      {"Authorization": f"Bearer {sign(payload)}"}, {200, 401, 403},
                      json={"value": 32.0})
    if status == 200:  # and the write is attributed to a subject we can show and store
        subject = payload["sub"]
        assert isinstance(subject, str) and subject.strip() and subject.isprintable()
        assert len(subject) <= 200 and payload["exp"] - payload.get("iat", now) <= 30 * DAY
        assert setup.get_history(INTERVAL)[0][0]["user"] == subject


@PROPERTY
@given(authorization=HEADER_TEXT, scheme=st.sampled_from(["Bearer ", "bearer ", "", "Basic "]))
def test_generated_authorization_headers(client, setup, authorization, scheme):
    exchange(client, setup, "PUT", f"/values/{INTERVAL}",
             {"Authorization": scheme + authorization}, {401}, json={"value": 33.0})


QUERIES = {"/notifications": ["limit", "since", "wait", "key"],
           f"/values/{INTERVAL}/history": ["limit", "offset"],
           "/snapshots": ["page", "page_size"], "/snapshots/1/diff": ["against"]}


@PROPERTY
@given(path=st.sampled_from(sorted(QUERIES)), data=st.data())
def test_generated_query_strings(client, setup, viewer, bounded_waits, path, data):
    names = QUERIES[path] + ["unknown"]
    raw = data.draw(st.dictionaries(st.sampled_from(names), st.one_of(
        st.binary(max_size=20), st.integers().map(lambda n: str(n).encode()),
        st.integers(10 ** 18, 10 ** 40).map(lambda n: str(n).encode()),
        st.sampled_from([b"\xb2", "\u0663".encode(), b"9" * 5000, b"nan", b"-1"]))))
    query = "&".join(f"{name}={quote_from_bytes(value)}" for name, value in raw.items())
    exchange(client, setup, "GET", path, viewer, {200, 404, 422}, query_string=query)


def key_variants(keys):
    """Keys a client might define: look-alikes of existing ones, and anything at all."""
    def changed(key: str, how: str) -> str:
        return {"upper": key.upper(), "title": key.title(), "newline": key + "\n",
                "space": key + " ", "fullwidth": "".join(chr(ord(c) + 0xFEE0) if c.isalpha()
                                                         else c for c in key),
                "suffix": key + "_2"}[how]
    looks = st.builds(changed, st.sampled_from(keys), st.sampled_from(
        ["upper", "title", "newline", "space", "fullwidth", "suffix", "suffix"]))
    return st.one_of(looks, looks, TEXT.filter(bool))


@PROPERTY
@given(key=key_variants(KEYS))
def test_generated_rule_keys(client, setup, admin, key):
    existing = {rule.key for rule in setup.list_rules()}
    path = "/rules/" + quote(key.encode("utf-8", "surrogatepass"), safe="")
    status = exchange(client, setup, "PUT", path, admin, {200, 400, 404, 422},
                      json={"type": "int", "default": 1})
    if status == 200:  # a new key has a full name, unlike any other
        assert KEY_PATTERN.fullmatch(key) and lookalike(key, existing) is None


@PROPERTY
@given(method=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_-", min_size=1, max_size=12),
       path=st.sampled_from(["/nothing", f"{PREFIX}/values/{INTERVAL}", "/metrics", "/healthz"]))
def test_generated_methods_add_no_metric_series(app, client, method, path):
    client.open(path, method=method)
    routes = {rule.rule for rule in app.url_map.iter_rules()} | {"unmatched"}
    scraped = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(scraped):
        for sample in family.samples:
            if "method" in sample.labels:
                assert sample.labels["method"] in METHOD_LABELS
                assert sample.labels["route"] in routes
