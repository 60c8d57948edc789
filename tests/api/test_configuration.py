"""Reset, export and import of the whole configuration."""
from __future__ import annotations

import pytest

from lazyconfig.service.formats import parse_document

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


# -- flat documents, in the formats a config file comes in ---------------------------------
FLAT_TEXT = {
    "json": '{"%s": 30.0, "load_timeout": 5.0, "feature.routes": {"eu": ["a", "b"]}}' % KEY,
    "yaml": f"{KEY}: 30.0\nload_timeout: 5.0\nfeature.routes:\n  eu: [a, b]\n",
    "toml": f'{KEY} = 30.0\nload_timeout = 5.0\n"feature.routes" = {{ eu = ["a", "b"] }}\n',
}


def observable(engine):
    """What a refused or dry-run import must leave as it was: values and the change log."""
    return engine.export(include_sensitive=True), engine.get_notifications(limit=1000, since=0)


@pytest.mark.parametrize("kind", sorted(FLAT_TEXT))
def test_a_flat_document_imports_all_or_nothing_and_once(client, admin, viewer, engine, kind):
    engine.put_rule({"key": "feature.routes", "value_type": "json", "default": None})
    engine.set("load_timeout", 9.0, user="setup")
    document = parse_document(FLAT_TEXT[kind], kind)
    url = f"{PREFIX}/import"

    before = observable(engine)
    bad = client.post(url, json={**document, "load_timeout": -1}, headers=admin)
    assert bad.status_code == 400 and set(bad.json["errors"]) == {"load_timeout"}
    unknown = client.post(url, json={**document, "nope": 1}, headers=admin)
    assert unknown.status_code == 404 and "nope" in unknown.json["message"]
    dry = client.post(url, json={**document, "dry_run": True}, headers=admin)
    assert dry.status_code == 200 and dry.json["safety_snapshot_id"] is None
    assert {d["key"] for d in dry.json["diff"]} == {KEY, "load_timeout", "feature.routes"}
    assert observable(engine) == before

    applied = client.post(url, json=document, headers=admin)
    assert applied.status_code == 200, applied.json
    assert (engine.get(KEY), engine.get("load_timeout"), engine.get("feature.routes")) == (
        30.0, 5.0, {"eu": ["a", "b"]})
    assert {c["action"] for c in applied.json["changes"]} == {"import"}
    assert applied.json["snapshot_id"] == applied.json["safety_snapshot_id"]
    safety = client.get(f"{PREFIX}/snapshots/{applied.json['safety_snapshot_id']}",
                        headers=viewer).json
    assert safety["values"] == {"load_timeout": {"runtime": 9.0}}

    after = observable(engine)
    again = client.post(f"{url}?dry_run=false", json=document, headers=admin)
    assert again.status_code == 200 and again.json["changes"] == []
    assert again.json["safety_snapshot_id"] is None and observable(engine) == after


def test_the_export_format_still_round_trips_beside_flat_documents(client, viewer, admin,
                                                                   engine):
    engine.update({KEY: 30.0, "load_timeout": 5.0}, user="setup")
    exported = client.post(f"{PREFIX}/export", headers=viewer).json
    engine.reset()
    assert client.post(f"{PREFIX}/import", json=exported, headers=admin).status_code == 200
    assert client.post(f"{PREFIX}/export", headers=viewer).json["values"] == exported["values"]
    # A key named like an export field makes the body an export document: a whole one, or 422.
    half = client.post(f"{PREFIX}/import", json={"revision": 3, KEY: 1.0}, headers=admin)
    assert half.status_code == 422 and "version" in half.json["message"]


def test_reset_and_import_name_their_safety_snapshot(client, admin, viewer, engine):
    engine.set(KEY, 30.0, user="setup")
    reset = client.post(f"{PREFIX}/reset", headers=admin).json
    assert reset["safety_snapshot_id"] == reset["snapshot_id"]
    held = client.get(f"{PREFIX}/snapshots/{reset['safety_snapshot_id']}", headers=viewer).json
    assert held["description"] == "Before reset" and held["values"] == {KEY: {"runtime": 30.0}}
    imported = client.post(f"{PREFIX}/import", json={KEY: 45.0}, headers=admin).json
    assert imported["safety_snapshot_id"] == imported["snapshot_id"] > reset["snapshot_id"]
