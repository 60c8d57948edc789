"""A catalogue of hostile requests: each gets the documented status, an error body in our
shape that says what is wrong, and leaves the configuration and its change log untouched."""
from __future__ import annotations

import json

import pytest

from .conftest import PREFIX

MIB = 1024 * 1024
BOOL, COUNT, INTERVAL = "cache_enabled", "max_concurrent_loads", "load_timeout"
RATIO, ENUM, BYTES = "memory_pressure_threshold", "lazy_loading_unloading_strategy", \
    "cache_size_limit"
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
}


def observable_state(engine):
    """Everything a bad request must not change: values, sources, rules, snapshots, log."""
    return (engine.export(include_sensitive=True),
            engine.get_notifications(limit=1_000_000, since=0),
            engine.list_snapshots(),
            [rule.to_record() for rule in engine.list_rules()])


@pytest.fixture
def setup(engine):
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
