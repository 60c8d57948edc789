"""Batch updates (the spec's body) and validation without applying."""
from __future__ import annotations

from .conftest import PREFIX

SPEC_BATCH = {
    "updates": [
        {"key": "lazy_loading_unloading_enabled", "value": True, "source": "runtime",
         "description": "Enable unloading system"},
        {"key": "lazy_loading_unloading_strategy", "value": "BALANCED", "source": "runtime",
         "description": "Set balanced unloading strategy"},
    ],
    "create_snapshot": True,
    "snapshot_description": "Batch configuration update",
}


def test_spec_batch_applies_all_and_takes_a_snapshot_first(client, editor, viewer, engine):
    response = client.post(f"{PREFIX}/values/batch", json=SPEC_BATCH, headers=editor)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["success"] is True and body["snapshot_created"] is True
    assert body["results"] == {"lazy_loading_unloading_enabled": True,
                               "lazy_loading_unloading_strategy": True}
    assert [c["description"] for c in body["changes"]] == [
        "Enable unloading system", "Set balanced unloading strategy"]
    assert body["revision"] == engine.revision
    assert engine.get_entry("lazy_loading_unloading_strategy").source == "runtime"
    snapshots = client.get(f"{PREFIX}/snapshots", headers=viewer).json["snapshots"]
    assert [s["description"] for s in snapshots] == ["Batch configuration update"]
    assert snapshots[0]["created_by"] == "editor-user"


def test_a_batch_names_the_snapshot_it_took_first(client, editor, viewer, engine):
    engine.set("lazy_loading_unloading_strategy", "AGGRESSIVE", user="setup")
    body = client.post(f"{PREFIX}/values/batch", json=SPEC_BATCH, headers=editor).json
    assert body["snapshot_id"] == body["safety_snapshot_id"] and body["snapshot_created"]
    snapshot = client.get(f"{PREFIX}/snapshots/{body['snapshot_id']}", headers=viewer)
    assert snapshot.status_code == 200 and snapshot.json["description"] == \
        "Batch configuration update"
    assert snapshot.json["values"] == {"lazy_loading_unloading_strategy": {"runtime": "AGGRESSIVE"}}
    plain = client.post(f"{PREFIX}/values/batch", json={**SPEC_BATCH, "create_snapshot": False},
                        headers=editor).json
    assert (plain["snapshot_id"], plain["safety_snapshot_id"], plain["snapshot_created"]) == (
        None, None, False)


def test_one_invalid_item_rejects_the_whole_batch(client, editor, engine):
    bad = {"updates": [
        {"key": "lazy_loading_unloading_check_interval", "value": 15.0},
        {"key": "lazy_loading_unloading_strategy", "value": "RECKLESS"},
        {"key": "max_concurrent_loads", "value": 0}]}
    response = client.post(f"{PREFIX}/values/batch", json=bad, headers=editor)
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"lazy_loading_unloading_strategy",
                                            "max_concurrent_loads"}
    assert engine.get("lazy_loading_unloading_check_interval") == 60.0
    assert engine.revision == 0


def test_batch_with_an_unknown_key_is_404_and_applies_nothing(client, editor, engine):
    body = {"updates": [{"key": "load_timeout", "value": 5.0}, {"key": "nope", "value": 1}]}
    assert client.post(f"{PREFIX}/values/batch", json=body, headers=editor).status_code == 404
    assert engine.get("load_timeout") == 30.0


def test_malformed_batches_are_422(client, editor):
    for body in ({}, {"updates": []}, {"updates": [{"value": 1}]},
                 {"updates": [{"key": "load_timeout", "value": 5.0, "source": "runtime"},
                              {"key": "cache_enabled", "value": False, "source": "service"}]}):
        response = client.post(f"{PREFIX}/values/batch", json=body, headers=editor)
        assert response.status_code == 422, body


def test_validate_reports_without_applying(client, viewer, engine):
    ok = client.post(f"{PREFIX}/validate", headers=viewer, json={
        "key": "lazy_loading_unloading_memory_pressure_threshold", "value": 0.8})
    assert ok.status_code == 200
    assert ok.json == {"key": "lazy_loading_unloading_memory_pressure_threshold",
                       "is_valid": True, "validation_errors": []}
    bad = client.post(f"{PREFIX}/validate", headers=viewer, json={
        "key": "lazy_loading_unloading_memory_pressure_threshold", "value": 1.5})
    assert bad.json["is_valid"] is False
    assert bad.json["validation_errors"] == ["must be at most 1"]
    assert engine.revision == 0
    assert client.post(f"{PREFIX}/validate", headers=viewer,
                       json={"key": "x"}).status_code == 422
    unknown = client.post(f"{PREFIX}/validate", headers=viewer, json={"key": "x", "value": 1})
    assert unknown.status_code == 404
