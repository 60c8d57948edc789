"""Reset, export and import of the whole configuration."""
from __future__ import annotations

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"


def test_reset_removes_runtime_overrides_after_a_snapshot(client, admin, engine):
    engine.update({KEY: 30.0, "load_timeout": 5.0}, user="setup")
    response = client.post(f"{PREFIX}/reset", headers=admin)
    assert response.status_code == 200, response.json
    body = response.json
    assert sorted(body["reset"]) == [KEY, "load_timeout"] and body["snapshot_id"]
    assert {c["user"] for c in body["changes"]} == {"admin-user"}
    assert engine.get(KEY) == 60.0 and engine.get("load_timeout") == 30.0


def test_reset_of_chosen_keys(client, admin, engine):
    engine.update({KEY: 30.0, "load_timeout": 5.0}, user="setup")
    response = client.post(f"{PREFIX}/reset", json={"keys": [KEY]}, headers=admin)
    assert response.json["reset"] == [KEY]
    assert engine.get("load_timeout") == 5.0
    assert client.post(f"{PREFIX}/reset", json={"keys": ["nope"]},
                       headers=admin).status_code == 404


def test_export_then_import_round_trips(client, viewer, admin, engine):
    engine.set(KEY, 30.0, user="setup")
    exported = client.post(f"{PREFIX}/export", headers=viewer)
    assert exported.status_code == 200
    document = exported.json
    assert document["version"] == 1 and document["values"][KEY] == 30.0
    assert document["sources"][KEY] == "runtime"

    engine.set(KEY, 99.0, user="setup")
    dry = client.post(f"{PREFIX}/import?dry_run=true", json=document, headers=admin)
    assert dry.status_code == 200 and dry.json["dry_run"] is True
    assert dry.json["diff"] == [{"key": KEY, "old_value": 99.0, "new_value": 30.0,
                                 "source": "runtime"}]
    assert engine.get(KEY) == 99.0

    applied = client.post(f"{PREFIX}/import", json=document, headers=admin)
    assert applied.status_code == 200, applied.json
    assert applied.json["snapshot_id"] and applied.json["changes"][0]["user"] == "admin-user"
    assert engine.get(KEY) == 30.0


def test_import_rejects_bad_documents_and_values(client, admin, engine):
    url = f"{PREFIX}/import"
    assert client.post(url, json={"values": {}}, headers=admin).status_code == 422
    assert client.post(url, json={"version": 2, "values": {}}, headers=admin).status_code == 422
    assert client.post(url, json={"version": 1, "values": {}, "extra": 1},
                       headers=admin).status_code == 422
    bad = client.post(url, json={"version": 1, "values": {KEY: -1, "load_timeout": 5.0}},
                      headers=admin)
    assert bad.status_code == 400 and KEY in bad.json["errors"]
    assert engine.get("load_timeout") == 30.0
    unknown = client.post(url, json={"version": 1, "values": {"nope": 1}}, headers=admin)
    assert unknown.status_code == 404
