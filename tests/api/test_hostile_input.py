"""A catalogue of hostile requests: each gets the documented status, an error body in our
shape that says what is wrong, and leaves the configuration and its change log untouched."""
from __future__ import annotations

import io
import json

import pytest

from .conftest import PREFIX

MIB = 1024 * 1024
BOOL, COUNT, INTERVAL = "cache_enabled", "max_concurrent_loads", "load_timeout"
RATIO, ENUM, BYTES = "memory_pressure_threshold", "lazy_loading_unloading_strategy", \
    "cache_size_limit"
JSON_KEY = "plugin_options"  # a json key the setup defines
JSON = "application/json"


def put(key, raw, role="editor"):
    """PUT /values/{key} with a raw body text."""
    return ("PUT", f"/values/{key}", raw, JSON, role)


def put_value(key, value_text):
    return put(key, '{"value": %s}' % value_text)


def post(path, raw, role="editor", content_type=JSON):
    return ("POST", path, raw, content_type, role)


def get(path, role="viewer"):
    return ("GET", path, None, None, role)


def batch(updates):
    return post("/values/batch", json.dumps({"updates": updates}))


def rule_put(key, **fields):
    return ("PUT", f"/rules/{key}", json.dumps({"type": "int", "default": 1, **fields}), JSON,
            "admin")


def nested(depth, inner=1):
    for _ in range(depth):
        inner = [inner]
    return inner


# id -> (request, expected status, words the message or errors must mention)
CASES = {
    # the body is not JSON, or not a JSON object we can read
    "malformed-json": (put(INTERVAL, '{"value": 30.0'), 422, "json"),
    "truncated-json": (put(INTERVAL, '{"val'), 422, "json"),
    "single-quoted-json": (put(INTERVAL, "{'value': 30.0}"), 422, "json"),
    "trailing-garbage": (put(INTERVAL, '{"value": 30.0} xyz'), 422, "json"),
    "form-content-type": (("PUT", f"/values/{INTERVAL}", "value=30.0",
                           "application/x-www-form-urlencoded", "editor"), 422, "value"),
    "text-content-type": (("PUT", f"/values/{INTERVAL}", '{"value": 30.0}', "text/plain",
                           "editor"), 422, "value"),
    "empty-body": (put(INTERVAL, ""), 422, "value"),
    "json-array-body": (put(INTERVAL, "[30.0]"), 422, "invalid"),
    "json-string-body": (put(INTERVAL, '"30.0"'), 422, "invalid"),
    "json-null-body": (put(INTERVAL, "null"), 422, "invalid"),
    "deeply-nested-json": (put(INTERVAL, '{"value": ' + "[" * 10_000 + "]" * 10_000 + "}"),
                           422, "json"),
    "deeply-nested-objects": (put(INTERVAL, '{"value": ' + '{"a": ' * 10_000 + "1"
                                  + "}" * 10_000 + "}"), 422, "json"),
    "ten-mib-body": (put(INTERVAL, '{"value": "' + "x" * (10 * MIB) + '"}'), 413, str(MIB)),
    "invalid-utf8": (("PUT", f"/values/{INTERVAL}", b'{"value": "\xff\xfe"}', JSON, "editor"),
                     422, "json"),
    # wrong types per key family
    "bool-as-string": (put_value(BOOL, '"yes"'), 400, BOOL),
    "bool-as-int": (put_value(BOOL, "1"), 400, BOOL),
    "count-as-bool": (put_value(COUNT, "true"), 400, COUNT),
    "count-as-float": (put_value(COUNT, "4.5"), 400, COUNT),
    "count-as-string": (put_value(COUNT, '"4"'), 400, COUNT),
    "count-zero": (put_value(COUNT, "0"), 400, COUNT),
    "count-huge-int": (put_value(COUNT, str(10 ** 30)), 400, COUNT),
    "interval-as-bool": (put_value(INTERVAL, "false"), 400, INTERVAL),
    "interval-negative": (put_value(INTERVAL, "-5.0"), 400, INTERVAL),
    "interval-zero": (put_value(INTERVAL, "0"), 400, INTERVAL),
    "interval-nan-literal": (put_value(INTERVAL, "NaN"), 400, "finite"),
    "interval-infinity-literal": (put_value(INTERVAL, "Infinity"), 400, "finite"),
    "interval-minus-infinity": (put_value(INTERVAL, "-Infinity"), 400, "finite"),
    "interval-1e400": (put_value(INTERVAL, "1e400"), 400, "finite"),
    "interval-huge-int": (put_value(INTERVAL, str(10 ** 30)), 400, INTERVAL),
    "interval-as-list": (put_value(INTERVAL, "[30.0]"), 400, INTERVAL),
    "ratio-above-one": (put_value(RATIO, "1.5"), 400, RATIO),
    "ratio-below-zero": (put_value(RATIO, "-0.1"), 400, RATIO),
    "ratio-as-bool": (put_value(RATIO, "true"), 400, RATIO),
    "ratio-nan-literal": (put_value(RATIO, "NaN"), 400, "finite"),
    "enum-unknown-member": (put_value(ENUM, '"RECKLESS"'), 400, ENUM),
    "enum-lower-case": (put_value(ENUM, '"balanced"'), 400, ENUM),
    "enum-as-int": (put_value(ENUM, "1"), 400, ENUM),
    "enum-null": (put_value(ENUM, "null"), 400, ENUM),
    "bytes-negative": (put_value(BYTES, "-1"), 400, BYTES),
    "bytes-as-float": (put_value(BYTES, "1.5"), 400, BYTES),
    "bytes-above-2-pow-50": (put_value(BYTES, str(2 ** 50 + 1)), 400, BYTES),
    "bytes-1e400": (put_value(BYTES, "1e400"), 400, BYTES),
    # wrong fields and keys
    "missing-value": (put(INTERVAL, '{"description": "no value"}'), 422, "value"),
    "unknown-field": (put(INTERVAL, '{"value": 30.0, "admin": true}'), 422, "admin"),
    "body-key-differs": (put(INTERVAL, '{"key": "load_timeout_x", "value": 30.0}'), 409, "key"),
    "bad-source": (put(INTERVAL, '{"value": 30.0, "source": "default"}'), 400, "source"),
    "source-as-int": (put(INTERVAL, '{"value": 30.0, "source": 7}'), 422, "source"),
    "unknown-key": (put_value("no_such_key", "1"), 404, "no_such_key"),
    "key-dotdot-path": (put_value("../etc", "1"), 404, "not found"),
    "key-encoded-dotdot": (put_value("%2e%2e", "1"), 404, ".."),
    "key-sql": (put_value("a;DROP TABLE changes", "1"), 404, "DROP TABLE"),
    "key-very-long": (put_value("k" * 10_000, "1"), 404, "k" * 20),
    "key-nul-byte": (put_value("a%00b", "1"), 404, "a"),
    "validate-sql-key": (post("/validate", json.dumps({"key": "x' OR '1'='1", "value": 1}),
                              role="viewer"), 404, "OR"),
    "rule-sql-key": (("PUT", "/rules/a;DROP TABLE changes", json.dumps(
        {"type": "int", "default": 1}), JSON, "admin"), 422, "rule"),
    "rule-long-key": (("PUT", "/rules/" + "k" * 10_000, json.dumps(
        {"type": "int", "default": 1}), JSON, "admin"), 422, "rule"),
    "rule-unknown-type": (("PUT", "/rules/indexer_threads", json.dumps(
        {"type": "complex", "default": 1}), JSON, "admin"), 422, "type"),
    "rule-nan-bound": (("PUT", "/rules/indexer_threads",
                        '{"type": "float", "default": 1.0, "max": NaN}', JSON, "admin"),
                       422, "json"),
    # batches
    "batch-empty": (batch([]), 422, "updates"),
    "batch-not-a-list": (post("/values/batch", '{"updates": {"key": "x"}}'), 422, "updates"),
    "batch-duplicate-keys": (batch([{"key": INTERVAL, "value": 30.0},
                                    {"key": INTERVAL, "value": 40.0}]), 400, "more than once"),
    "batch-ten-thousand": (batch([{"key": INTERVAL, "value": 30.0}] * 10_000), 422, "1000"),
    "batch-one-bad-value": (batch([{"key": INTERVAL, "value": 30.0},
                                   {"key": RATIO, "value": 2.0}]), 400, RATIO),
    "batch-unknown-key": (batch([{"key": INTERVAL, "value": 30.0},
                                 {"key": "../etc", "value": 1}]), 404, "../etc"),
    "batch-mixed-sources": (batch([{"key": INTERVAL, "value": 30.0, "source": "runtime"},
                                   {"key": RATIO, "value": 0.5, "source": "service"}]),
                            422, "source"),
    "batch-expected-version-huge": (batch([{"key": INTERVAL, "value": 30.0,
                                            "expected_version": 10 ** 20}]),
                                    422, "expected_version"),
    "batch-expected-version-bool": (batch([{"key": INTERVAL, "value": 30.0,
                                            "expected_version": True}]),
                                    422, "expected_version"),
    # snapshot ids
    "snapshot-zero": (get("/snapshots/0"), 404, "0"),
    "snapshot-negative": (get("/snapshots/-1"), 404, "not found"),
    "snapshot-not-a-number": (get("/snapshots/abc"), 404, "not found"),
    "snapshot-huge": (get(f"/snapshots/{10 ** 20}"), 404, "not found"),
    "snapshot-past-bigint": (get(f"/snapshots/{2 ** 63}"), 404, "not found"),
    "rollback-huge": (post(f"/snapshots/{10 ** 20}/rollback", "{}"), 404, "not found"),
    "delete-snapshot-huge": (("DELETE", f"/snapshots/{10 ** 20}", None, None, "admin"), 404,
                             "not found"),
    "diff-against-huge": (get(f"/snapshots/1/diff?against={10 ** 20}"), 422, "against"),
    "diff-against-word": (get("/snapshots/1/diff?against=yesterday"), 422, "against"),
    "rollback-keys-not-list": (post("/snapshots/1/rollback", '{"keys": "all"}'), 422, "keys"),
    "rollback-expected-revision-huge": (post("/snapshots/1/rollback", json.dumps(
        {"expected_revision": 10 ** 20})), 422, "expected_revision"),
    "revert-revision-huge": (post(f"/values/{INTERVAL}/revert",
                                  json.dumps({"revision": 10 ** 20})), 422, "revision"),
    "revert-revision-negative": (post(f"/values/{INTERVAL}/revert", '{"revision": -1}'),
                                 422, "revision"),
    "revert-revision-string": (post(f"/values/{INTERVAL}/revert", '{"revision": "abc"}'),
                               422, "revision"),
    "history-limit-zero": (get(f"/values/{INTERVAL}/history?limit=0"), 422, "limit"),
    "history-offset-huge": (get(f"/values/{INTERVAL}/history?offset={10 ** 20}"), 422,
                            "offset"),
    # notifications
    "notifications-limit-zero": (get("/notifications?limit=0"), 422, "limit"),
    "notifications-limit-negative": (get("/notifications?limit=-1"), 422, "limit"),
    "notifications-limit-word": (get("/notifications?limit=abc"), 422, "limit"),
    "notifications-limit-huge": (get(f"/notifications?limit={10 ** 20}"), 422, "limit"),
    "notifications-since-negative": (get("/notifications?since=-1"), 422, "since"),
    "notifications-since-word": (get("/notifications?since=abc"), 422, "since"),
    "notifications-since-huge": (get(f"/notifications?since={10 ** 20}"), 422, "since"),
    "notifications-wait-negative": (get("/notifications?since=0&wait=-1"), 422, "wait"),
    "notifications-wait-nan": (get("/notifications?since=0&wait=nan"), 422, "wait"),
    "notifications-wait-infinity": (get("/notifications?since=0&wait=inf"), 422, "wait"),
    "notifications-wait-word": (get("/notifications?since=0&wait=soon"), 422, "wait"),
    "notifications-wait-without-since": (get("/notifications?wait=1"), 422, "since"),
    "stream-last-event-id-huge": (get(f"/notifications/stream?last_event_id={10 ** 20}"),
                                  422, "last_event_id"),
    "stream-last-event-id-word": (get("/notifications/stream?last_event_id=abc"), 422,
                                  "last_event_id"),
    "stream-unknown-key": (get("/notifications/stream?key=../etc"), 404, "../etc"),
    # import documents
    "import-a-list": (post("/import", "[]", role="admin"), 422, "invalid"),
    "import-no-version": (post("/import", '{"values": {}}', role="admin"), 422, "version"),
    "import-version-2": (post("/import", '{"version": 2, "values": {}}', role="admin"),
                         422, "version"),
    "import-version-string": (post("/import", '{"version": "1", "values": {}}', role="admin"),
                              422, "version"),
    "import-version-bool": (post("/import", '{"version": true, "values": {}}', role="admin"),
                            422, "version"),
    "import-values-a-list": (post("/import", '{"version": 1, "values": [1, 2]}', role="admin"),
                             422, "values"),
    "import-unknown-field": (post("/import", '{"version": 1, "values": {}, "owner": "x"}',
                                  role="admin"), 422, "owner"),
    "import-bad-value": (post("/import", json.dumps({"version": 1, "values": {RATIO: 7}}),
                              role="admin"), 400, RATIO),
    "import-unknown-key": (post("/import", json.dumps({"version": 1, "values": {"../etc": 1}}),
                                role="admin"), 404, "../etc"),
    "import-flat-bad-value": (post("/import", json.dumps({INTERVAL: 5.0, RATIO: 7}),
                                   role="admin"), 400, RATIO),
    "import-flat-unknown-key": (post("/import", json.dumps({INTERVAL: 5.0, "../etc": 1}),
                                     role="admin"), 404, "../etc"),
    "import-flat-with-an-export-field": (post("/import", json.dumps({"sources": {}, RATIO: 0.5}),
                                              role="admin"), 422, "version"),
    "import-expected-revision-huge": (post(f"/import?expected_revision={10 ** 20}",
                                           '{"version": 1, "values": {}}', role="admin"),
                                      422, "expected_revision"),
    "reset-keys-a-string": (post("/reset", '{"keys": "all"}', role="admin"), 422, "keys"),
    # issue 15, finding 7: inputs that answered 500
    "json-value-500-deep": (put_value(JSON_KEY, "[" * 500 + "]" * 500), 400, "nested"),
    "json-object-500-deep": (put_value(JSON_KEY, '{"a": ' * 500 + "1" + "}" * 500), 400,
                             "nested"),
    "batch-json-500-deep": (batch([{"key": JSON_KEY, "value": nested(500)}]), 400, "nested"),
    "int-of-5000-digits": (put_value(COUNT, "1" * 5000), 422, "json"),
    "snapshot-id-5000-digits": (get("/snapshots/" + "1" * 5000), 404, "not found"),
    "snapshot-id-arabic-digit": (get("/snapshots/\u0663"), 404, "not found"),
    "description-lone-surrogate": (put(INTERVAL, '{"value": 30.0, "description": "\\ud800"}'),
                                   422, "surrogate"),
    "description-nul": (put(INTERVAL, '{"value": 30.0, "description": "a\\u0000b"}'), 422,
                        "NUL"),
    "batch-description-surrogate": (batch([{"key": INTERVAL, "value": 30.0,
                                            "description": "\udc00"}]), 422, "surrogate"),
    "batch-snapshot-description-nul": (post("/values/batch", json.dumps({
        "updates": [{"key": INTERVAL, "value": 30.0}], "create_snapshot": True,
        "snapshot_description": "\x00"})), 422, "NUL"),
    "snapshot-description-surrogate": (post("/snapshots", json.dumps({"description": "\ud800"})),
                                       422, "surrogate"),
    "snapshot-tag-surrogate": (post("/snapshots", json.dumps({"tags": ["ok", "\udfff"]})), 422,
                               "tags"),
    "snapshot-tag-nul": (post("/snapshots", json.dumps({"tags": ["a\x00"]})), 422, "tags"),
    "revert-description-nul": (post(f"/values/{INTERVAL}/revert", json.dumps(
        {"revision": 1, "description": "\x00"})), 422, "NUL"),
    "rollback-description-surrogate": (post("/snapshots/1/rollback", json.dumps(
        {"description": "\ud800"})), 422, "surrogate"),
    "reset-description-nul": (post("/reset", json.dumps({"description": "\x00"}),
                                   role="admin"), 422, "NUL"),
    # finding 8: names that look the same as another
    "rule-key-trailing-newline": (rule_put("load_timeout%0A"), 422, "key name"),
    "rule-key-trailing-crlf": (rule_put("load_timeout%0D%0A"), 422, "key name"),
    "rule-key-trailing-space": (rule_put("load_timeout%20"), 422, "key name"),
    "rule-key-fullwidth": (rule_put("\uff4c\uff4f\uff41\uff44_timeout"), 422, "key name"),
    "rule-key-other-case": (rule_put("Load_Timeout"), 400, "reads the same"),
    "rule-key-upper-case": (rule_put("LOAD_TIMEOUT"), 400, "reads the same"),
    # finding 12: what PostgreSQL refused and SQLite kept; both refuse it first now
    "rule-unit-33-characters": (rule_put("new_key", unit="u" * 33), 422, "unit"),
    "rule-pattern-501-characters": (rule_put("new_key", pattern="a" * 501), 422, "pattern"),
    "rule-description-nul": (rule_put("new_key", description="\x00"), 422, "NUL"),
    "rule-error-message-surrogate": (rule_put("new_key", error_message="\ud800"), 422,
                                     "surrogate"),
    "rule-choices-nul": (rule_put("new_key", type="enum", default="a", choices=["a", "\x00"]),
                         422, "choices"),
    # finding 1: patterns RE2 cannot run in linear time; finding 5: a value over its cap
    "rule-pattern-backreference": (rule_put("new_key", type="string", default="aa",
                                            pattern=r"(a)\1"), 422, "RE2"),
    "rule-pattern-lookahead": (rule_put("new_key", type="string", default="a",
                                        pattern="(?=a)a"), 422, "RE2"),
    "rule-pattern-costly-to-compile": (rule_put("new_key", type="string", default=None,
                                                pattern="(.{0,1000})" * 45), 422, "too large"),
    "json-value-over-its-cap": (put_value(JSON_KEY, json.dumps(["x" * 1000] * 300)), 422,
                                "at most 262144"),
}


def observable_state(engine):
    """Everything a bad request must not change: values, sources, rules, snapshots, log."""
    return (engine.export(include_sensitive=True),
            engine.get_notifications(limit=1_000_000, since=0),
            engine.list_snapshots(),
            [rule.to_record() for rule in engine.list_rules()])


@pytest.fixture
def setup(engine):
    engine.put_rule({"key": JSON_KEY, "value_type": "json", "default": {}}, user="setup")
    engine.set(INTERVAL, 45.0, user="setup")  # a change-log entry and a runtime layer
    engine.create_snapshot("fixture", user="setup")  # snapshot 1
    return engine


@pytest.mark.parametrize("request_, expected, mention", CASES.values(), ids=CASES.keys())
def test_hostile_request_is_refused_and_changes_nothing(client, setup, as_role, request_,
                                                        expected, mention):
    method, path, raw, content_type, role = request_
    before = observable_state(setup)
    headers = as_role(role)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.open(PREFIX + path, method=method, data=raw, headers=headers,
                           buffered=False)
    if response.mimetype == "text/event-stream":  # accepted: reading it would never end
        response.close()
        pytest.fail(f"{path} was accepted and started streaming")
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data(as_text=True)[:500]
    assert body["code"] == expected and isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"].strip()
    said = json.dumps({"message": body["message"], "errors": body.get("errors")})
    assert mention.lower() in said.lower(), said[:500]
    assert observable_state(setup) == before


def test_the_catalogue_is_large_and_covers_every_documented_refusal():
    assert len(CASES) >= 40
    assert {status for _, status, _ in CASES.values()} == {400, 404, 409, 413, 422}


@pytest.mark.parametrize("page", [10 ** 20, 2 ** 63, 10 ** 40])
def test_a_page_past_any_row_is_empty(client, setup, viewer, page):
    """flask-smorest bounds page_size, not page: (page - 1) * page_size reached the
    database as an offset past 64 bits (a 500 on SQLite, a 503 on PostgreSQL)."""
    response = client.get(f"{PREFIX}/snapshots?page={page}&page_size=100", headers=viewer)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.json["snapshots"] == [] and response.json["total"] == 1


# -- headers: an If-Match that names no version is a failed precondition, whatever it holds
IF_MATCH = {
    "superscript-digit": '"\u00b2"',
    "arabic-indic-digits": '"\u0661\u0662"',
    "five-thousand-digits": '"' + "9" * 5000 + '"',
    "past-a-64-bit-id": f'"{2 ** 63}"',
    "negative": '"-1"',
    "weak-and-empty": 'W/""',
    "latin-1-letters": '"\u00e9\u00e8"',
}


@pytest.mark.parametrize("method, path, body", [
    ("PUT", f"/values/{INTERVAL}", {"value": 31.0}),
    ("DELETE", f"/values/{INTERVAL}", None),
    ("POST", f"/values/{INTERVAL}/revert", {"revision": 0}),
], ids=["put", "delete", "revert"])
@pytest.mark.parametrize("if_match", IF_MATCH.values(), ids=IF_MATCH.keys())
def test_an_if_match_naming_no_version_is_412_and_changes_nothing(client, setup, editor,
                                                                  method, path, body,
                                                                  if_match):
    before = observable_state(setup)
    response = client.open(PREFIX + path, method=method, json=body,
                           headers={**editor, "If-Match": if_match})
    assert response.status_code == 412, response.get_data(as_text=True)[:300]
    current = response.json["errors"]["current"][INTERVAL]["version"]
    assert current == setup.get_entry(INTERVAL).version
    assert observable_state(setup) == before


def test_a_viewer_validating_a_deeply_nested_value_is_told_why(client, setup, viewer):
    response = client.post(f"{PREFIX}/validate", headers=viewer,
                           json={"key": JSON_KEY, "value": nested(500)})
    assert response.status_code == 200
    assert response.json["is_valid"] is False
    assert "nested more than" in response.json["validation_errors"][0]


# -- a body without a Content-Length (chunked) meets the same limit as one with it
# As gunicorn hands on a chunked body: no length, and a stream it ends itself.
GUNICORN_STREAM = {"wsgi.input_terminated": True, "CONTENT_LENGTH": None}


@pytest.mark.parametrize("extra", [1, MIB], ids=["one-byte-over", "twice-the-limit"])
def test_a_chunked_body_over_the_limit_is_413(client, setup, editor, extra):
    before = observable_state(setup)
    body = ('{"value": 30.0, "description": "' + "x" * (MIB + extra) + '"}').encode()
    response = client.put(f"{PREFIX}/values/{INTERVAL}", input_stream=io.BytesIO(body),
                          headers={**editor, "Content-Type": JSON,
                                   "Transfer-Encoding": "chunked"},
                          environ_overrides=GUNICORN_STREAM)
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert response.json["code"] == 413 and str(MIB) in response.json["message"]
    assert observable_state(setup) == before


def test_a_chunked_body_within_the_limit_is_read_whole(client, setup, editor):
    description = "x" * (MIB - 100)
    body = json.dumps({"value": 31.0, "description": description}).encode()
    response = client.put(f"{PREFIX}/values/{INTERVAL}", input_stream=io.BytesIO(body),
                          headers={**editor, "Content-Type": JSON,
                                   "Transfer-Encoding": "chunked"},
                          environ_overrides=GUNICORN_STREAM)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert setup.get_history(INTERVAL)[0][0]["description"] == description
