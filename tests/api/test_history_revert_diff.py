"""History, revert, snapshot diffs, selective rollback and dry runs over the API: an
operator finds what changed, who changed it, and puts back what they choose."""
from __future__ import annotations

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"


def _put(client, headers, key, value, description=None, request_id=None):
    extra = {"X-Request-ID": request_id} if request_id else {}
    response = client.put(f"{PREFIX}/values/{key}", json={"value": value, "description": description},
                          headers={**headers, **extra})
    assert response.status_code == 200, response.json
    return response.json


def test_history_is_paginated_with_values_user_description_and_request_id(client, as_role, viewer):
    for n, user in enumerate(["alice", "bob", "carol"], start=1):
        _put(client, as_role("editor", user), KEY, 10.0 * n, f"step {n}", f"req-{n}")
    first = client.get(f"{PREFIX}/values/{KEY}/history?limit=2", headers=viewer).json
    assert first["total"] == 3
    assert [(h["old_value"], h["new_value"], h["user"], h["description"], h["request_id"])
            for h in first["history"]] == [(20.0, 30.0, "carol", "step 3", "req-3"),
                                           (10.0, 20.0, "bob", "step 2", "req-2")]
    rest = client.get(f"{PREFIX}/values/{KEY}/history?limit=2&offset=2", headers=viewer).json
    assert [h["user"] for h in rest["history"]] == ["alice"]
    assert client.get(f"{PREFIX}/values/nope/history", headers=viewer).status_code == 404


def test_revert_restores_the_value_at_a_revision_and_logs_it(client, editor, viewer, engine):
    at_20 = _put(client, editor, KEY, 20.0)["version"]
    _put(client, editor, KEY, 5.0)
    response = client.post(f"{PREFIX}/values/{KEY}/revert", headers=editor,
                           json={"revision": at_20, "description": "5 was too eager"})
    assert response.status_code == 200, response.json
    assert response.json["value"] == 20.0 and engine.get(KEY) == 20.0
    assert response.headers["ETag"] == f'"{engine.revision}"'
    newest = client.get(f"{PREFIX}/values/{KEY}/history?limit=1", headers=viewer).json["history"][0]
    assert (newest["action"], newest["old_value"], newest["new_value"], newest["description"]) == \
        ("revert", 5.0, 20.0, "5 was too eager")
    # Before its first change the key had its default: revision 0 brings that back.
    assert client.post(f"{PREFIX}/values/{KEY}/revert", json={"revision": 0},
                       headers=editor).json["value"] == 60.0


def test_revert_is_refused_when_the_revision_is_unknown_or_the_value_invalid(client, editor, engine):
    _put(client, editor, KEY, 20.0)
    future = client.post(f"{PREFIX}/values/{KEY}/revert", json={"revision": 99}, headers=editor)
    assert future.status_code == 400 and "revision 99 does not exist" in future.json["message"]
    untouched = client.post(f"{PREFIX}/values/load_timeout/revert", json={"revision": 1},
                            headers=editor)
    assert untouched.status_code == 200 and untouched.json["value"] == 30.0
    # Today's rule forbids what the key once held: nothing changes.
    at_40 = _put(client, editor, KEY, 40.0)["version"]
    _put(client, editor, KEY, 25.0)
    engine.put_rule({**engine.get_rule(KEY).to_record(), "max_value": 30.0, "default": 30.0})
    before = engine.revision
    too_big = client.post(f"{PREFIX}/values/{KEY}/revert", json={"revision": at_40},
                          headers=editor)
    assert too_big.status_code == 400 and KEY in too_big.json["errors"]
    assert (engine.revision, engine.get(KEY)) == (before, 25.0)
    stale = client.post(f"{PREFIX}/values/{KEY}/revert", json={"revision": 1},
                        headers={**editor, "If-Match": '"1"'})
    assert stale.status_code == 412


def test_snapshot_diff_against_another_snapshot_or_current(client, editor, viewer, admin):
    _put(client, editor, STRATEGY, "CONSERVATIVE")
    _put(client, editor, "load_timeout", 10.0)
    first = client.post(f"{PREFIX}/snapshots", json={"description": "a"}, headers=editor).json["id"]
    _put(client, editor, STRATEGY, "AGGRESSIVE")
    client.delete(f"{PREFIX}/values/load_timeout", headers=editor)
    _put(client, editor, "max_concurrent_loads", 16)
    second = client.post(f"{PREFIX}/snapshots", json={"description": "b"}, headers=editor).json["id"]

    diff = client.get(f"{PREFIX}/snapshots/{first}/diff?against={second}", headers=viewer).json
    assert (diff["from"], diff["to"]) == (first, second)
    assert [(d["key"], d["new_value"]) for d in diff["added"]] == [("max_concurrent_loads", 16)]
    assert [(d["key"], d["old_value"]) for d in diff["removed"]] == [("load_timeout", 10.0)]
    assert [(d["key"], d["old_layers"], d["new_layers"]) for d in diff["changed"]] == \
        [(STRATEGY, {"runtime": "CONSERVATIVE"}, {"runtime": "AGGRESSIVE"})]

    _put(client, editor, "max_concurrent_loads", 16)  # same value again: no difference
    current = client.get(f"{PREFIX}/snapshots/{second}/diff", headers=viewer).json
    assert current["to"] == "current"
    assert current["added"] == current["removed"] == current["changed"] == []
    assert client.get(f"{PREFIX}/snapshots/{first}/diff?against=404",
                      headers=viewer).status_code == 404
    assert client.get(f"{PREFIX}/snapshots/{first}/diff?against=latest",
                      headers=viewer).status_code == 422


def test_rollback_of_chosen_keys_with_a_dry_run_that_matches(client, editor, engine):
    _put(client, editor, STRATEGY, "CONSERVATIVE")
    _put(client, editor, KEY, 20.0)
    snapshot = client.post(f"{PREFIX}/snapshots", headers=editor).json["id"]
    _put(client, editor, STRATEGY, "AGGRESSIVE")
    _put(client, editor, KEY, 5.0)
    _put(client, editor, "load_timeout", 3.0)
    url = f"{PREFIX}/snapshots/{snapshot}/rollback"
    body = {"keys": [STRATEGY, "load_timeout"]}

    before = engine.revision
    dry = client.post(url, json={**body, "dry_run": True}, headers=editor).json
    assert engine.revision == before and engine.get(STRATEGY) == "AGGRESSIVE"
    applied = client.post(url, json=body, headers=editor).json
    assert applied["diff"] == dry["diff"]
    assert {d["key"] for d in applied["diff"]} == {STRATEGY, "load_timeout"}
    assert (engine.get(STRATEGY), engine.get("load_timeout"), engine.get(KEY)) == \
        ("CONSERVATIVE", 30.0, 5.0)
    unknown = client.post(url, json={"keys": ["nope"]}, headers=editor)
    assert unknown.status_code == 404


def test_import_dry_run_in_the_body_returns_the_diff_the_import_applies(client, admin, engine):
    document = {"version": 1, "values": {KEY: 15.0, "cache_enabled": False, "load_timeout": 30.0}}
    before = engine.revision
    dry = client.post(f"{PREFIX}/import", json={**document, "dry_run": True}, headers=admin)
    assert dry.status_code == 200, dry.json
    assert dry.json["dry_run"] is True and engine.revision == before
    applied = client.post(f"{PREFIX}/import", json=document, headers=admin).json
    assert applied["diff"] == dry.json["diff"]
    assert {d["key"] for d in applied["diff"]} == {KEY, "cache_enabled"}
    assert engine.get("cache_enabled") is False
