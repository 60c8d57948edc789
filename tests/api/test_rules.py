"""Declarative rules: an admin defines a custom key over HTTP, as add_validation_rule does."""
from __future__ import annotations

from .conftest import PREFIX

RULE = {"type": "int", "default": 8, "min": 1, "max": 64, "required": True,
        "description": "Worker threads of the package indexer",
        "error_message": "indexer_threads must be between 1 and 64"}


def test_a_new_rule_defines_a_key_that_can_then_be_set(client, admin, editor, viewer, engine):
    response = client.put(f"{PREFIX}/rules/indexer_threads", json=RULE, headers=admin)
    assert response.status_code == 200, response.json
    assert response.json["origin"] == "custom" and response.json["type"] == "int"
    assert response.json["min"] == 1 and response.json["max"] == 64
    assert engine.get("indexer_threads") == 8

    rules = client.get(f"{PREFIX}/rules", headers=viewer).json["rules"]
    assert "indexer_threads" in {r["key"] for r in rules}
    assert client.get(f"{PREFIX}/rules/indexer_threads", headers=viewer).json["default"] == 8

    bad = client.put(f"{PREFIX}/values/indexer_threads", json={"value": 100}, headers=editor)
    assert bad.status_code == 400
    assert bad.json["errors"]["indexer_threads"][0].startswith("indexer_threads must be")
    good = client.put(f"{PREFIX}/values/indexer_threads", json={"value": 16}, headers=editor)
    assert good.status_code == 200 and engine.get("indexer_threads") == 16


def test_rule_errors(client, admin, viewer):
    url = f"{PREFIX}/rules"
    assert client.get(f"{url}/nope", headers=viewer).status_code == 404
    assert client.put(f"{url}/x", json={**RULE, "key": "y"}, headers=admin).status_code == 409
    assert client.put(f"{url}/x", json={"type": "enum"}, headers=admin).status_code == 422
    assert client.put(f"{url}/x", json={"type": "string", "default": "a", "pattern": "("},
                      headers=admin).status_code == 422
    assert client.put(f"{url}/x", json={"type": "colour"}, headers=admin).status_code == 422
    default_breaks_rule = client.put(f"{url}/x", json={**RULE, "default": 0}, headers=admin)
    assert default_breaks_rule.status_code == 400
    builtin_type = client.put(f"{url}/load_timeout", json={"type": "string", "default": "a"},
                              headers=admin)
    assert builtin_type.status_code == 400
