"""Templates over HTTP: define, read, apply with a dry run first, drift, and the refusals
(each changing nothing)."""
from __future__ import annotations

from .conftest import PREFIX

MIB = 1 << 20
SMALL = {"name": "small-host", "description": "a host with little memory",
         "params": {"memory_budget": {"type": "int", "default": 256 * MIB, "min": 16 * MIB}},
         "values": {"lazy_loading_unloading_strategy": "AGGRESSIVE"},
         "derived": {"cache_size_limit": "memory_budget // 16"}}


def test_a_template_defined_then_applied_as_its_dry_run_said(client, engine, admin, editor,
                                                            viewer):
    made = client.post(f"{PREFIX}/templates", json=SMALL, headers=admin)
    assert made.status_code == 201, made.json
    assert made.json["version"] == 1 and made.json["author"] and not made.json["builtin"]
    listed = client.get(f"{PREFIX}/templates", headers=viewer).json["templates"]
    assert [t["name"] for t in listed][-1] == "small-host"
    assert {t["name"] for t in listed if t["builtin"]} == {
        "balanced", "memory-constrained", "throughput", "diagnostics"}
    body = {"params": {"memory_budget": 512 * MIB}, "dry_run": True}
    url = f"{PREFIX}/templates/small-host/apply"
    dry = client.post(url, json=body, headers=editor)
    assert dry.status_code == 200 and dry.json["changes"] == [] and engine.revision == 0
    done = client.post(url, json={**body, "dry_run": False}, headers=editor)
    assert done.status_code == 200 and done.json["diff"] == dry.json["diff"]
    assert {c["action"] for c in done.json["changes"]} == {"template"}
    assert engine.get("cache_size_limit") == 32 * MIB
    drift = client.get(f"{PREFIX}/templates/small-host/drift",
                       query_string={"param": "memory_budget=536870912"}, headers=viewer)
    assert drift.status_code == 200 and drift.json["in_sync"] is True
    engine.set("lazy_loading_unloading_strategy", "BALANCED")
    drift = client.get(f"{PREFIX}/templates/small-host/drift",
                       query_string={"param": "memory_budget=536870912"}, headers=viewer).json
    assert [d["key"] for d in drift["drift"]] == ["lazy_loading_unloading_strategy"]


def test_refusals_change_nothing(client, engine, admin, editor):
    client.post(f"{PREFIX}/templates", json=SMALL, headers=admin)
    head = engine.revision
    cases = [
        ("POST", "/templates", {**SMALL, "name": "Not A Name"}, admin, 422),
        ("POST", "/templates", {**SMALL, "name": "x", "derived": {"cache_size_limit": "open(1)"}},
         admin, 422),
        ("POST", "/templates", {"name": "x", "values": {"no_such_key": 1}}, admin, 422),
        ("POST", "/templates", {"name": "x", "values": {"load_timeout": -1.0}}, admin, 400),
        ("POST", "/templates", SMALL, admin, 409),
        ("POST", "/templates", {**SMALL, "name": "balanced"}, admin, 409),
        ("PUT", "/templates/throughput", {"values": {"cache_enabled": False}}, admin, 409),
        ("PUT", "/templates/small-host", {"name": "other", "values": {"cache_enabled": False}},
         admin, 422),
        ("DELETE", "/templates/no-such", None, admin, 404),
        ("POST", "/templates/small-host/apply", {"params": {"memory_budget": 2 ** 60}},
         editor, 400),  # the cache limit would exceed its rule's maximum
        ("POST", "/templates/small-host/apply", {"params": {"memory_budget": 1}}, editor, 422),
        ("POST", "/templates/small-host/apply", {"expected_revision": head + 1}, editor, 412),
        ("POST", "/templates/no-such/apply", {}, editor, 404),
        ("POST", "/templates", SMALL, editor, 403),
    ]
    for method, path, body, headers, status in cases:
        answer = client.open(PREFIX + path, method=method, json=body, headers=headers)
        assert answer.status_code == status, (method, path, answer.json)
        assert answer.json["message"], (method, path)
    assert engine.revision == head and engine.get_template("small-host")["version"] == 1
    assert client.get(f"{PREFIX}/templates/small-host", headers=admin).json["version"] == 1


def test_sensitive_template_values_are_masked_for_non_admins(client, engine, admin, editor):
    engine.put_rule({"key": "api_token", "value_type": "string", "default": "",
                     "sensitive": True})
    engine.create_template({"name": "with-token", "values": {"api_token": "tok-123456"}})
    for headers, shown in ((editor, "***"), (admin, "tok-123456")):
        one = client.get(f"{PREFIX}/templates/with-token", headers=headers).json
        assert one["values"]["api_token"] == shown
        drift = client.get(f"{PREFIX}/templates/with-token/drift", headers=headers).json
        assert drift["drift"][0]["template_value"] == shown
    applied = client.post(f"{PREFIX}/templates/with-token/apply", json={}, headers=editor)
    assert "tok-123456" not in applied.get_data(as_text=True)
    assert engine.get("api_token") == "tok-123456"


def test_hostile_definitions_get_a_4xx_and_store_nothing(client, engine, admin):
    deep = "x"
    for _ in range(40):
        deep = [deep]
    hostile = [
        {"name": "a\x00b", "values": {"cache_enabled": True}},
        {"name": "ok", "description": "bad\x00text", "values": {"cache_enabled": True}},
        {"name": "ok", "description": "\ud800", "values": {"cache_enabled": True}},
        {"name": "ok", "derived": {"cache_size_limit": "1\x00"}},
        {"name": "ok", "derived": {"cache_size_limit": "-" * 199 + "1"}},
        {"name": "ok", "values": {"cache_size_limit": 10 ** 400}},
        {"name": "ok", "params": {"n": {"type": "int", "default": 10 ** 400}},
         "derived": {"cache_size_limit": "n"}},
        {"name": "ok", "params": {"n": {"type": "float", "default": 1, "min": 1e400}},
         "derived": {"cache_size_limit": "round(n)"}},
        {"name": "ok", "params": {f"p{i}": {"type": "int", "default": 1} for i in range(21)},
         "values": {"cache_enabled": True}},
        {"name": "ok", "values": {"cache_enabled": deep}},
        {"name": "x" * 65, "values": {"cache_enabled": True}},
        {"name": "ok", "values": ["cache_enabled"]},
        {"name": "ok", "params": {"n": {"type": "int", "default": 1, "extra": 1}},
         "values": {"cache_enabled": True}},
    ]
    for body in hostile:
        answer = client.post(f"{PREFIX}/templates", json=body, headers=admin)
        assert answer.status_code in (400, 422), (body, answer.status_code)
        assert answer.json["message"]
    raw = client.post(f"{PREFIX}/templates", data='{"name": "ok", "values": {"x": NaN}}',
                      content_type="application/json", headers=admin)
    assert raw.status_code in (400, 422)
    assert [t["name"] for t in engine.list_templates() if not t["builtin"]] == []
