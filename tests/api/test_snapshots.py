"""Snapshots: create (the spec's body), list a page at a time, read, roll back, delete."""
from __future__ import annotations

import json

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"
SPEC_SNAPSHOT = {"description": "Before major configuration changes",
                 "tags": ["backup", "major-changes"]}


def test_create_answers_201_with_the_snapshot(client, editor, engine):
    engine.set(KEY, 45.0, user="setup")
    response = client.post(f"{PREFIX}/snapshots", json=SPEC_SNAPSHOT, headers=editor)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["description"] == SPEC_SNAPSHOT["description"]
    assert body["tags"] == SPEC_SNAPSHOT["tags"]
    assert body["created_by"] == "editor-user" and body["timestamp"]
    assert body["values"] == {KEY: {"runtime": 45.0}}


def test_create_without_a_body_works(client, editor):
    response = client.post(f"{PREFIX}/snapshots", headers=editor)
    assert response.status_code == 201
    assert response.json["tags"] == []


def test_list_is_paginated_newest_first(client, editor, viewer):
    for n in range(5):
        client.post(f"{PREFIX}/snapshots", json={"description": f"s{n}"}, headers=editor)
    response = client.get(f"{PREFIX}/snapshots?page=2&page_size=2", headers=viewer)
    assert response.status_code == 200
    body = response.json
    assert [s["description"] for s in body["snapshots"]] == ["s2", "s1"]
    assert (body["total"], body["page"], body["page_size"]) == (5, 2, 2)
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 5 and pagination["total_pages"] == 3
    too_big = client.get(f"{PREFIX}/snapshots?page_size=1000", headers=viewer)
    assert too_big.status_code == 422


def test_get_one_and_unknown_ids(client, editor, viewer):
    created = client.post(f"{PREFIX}/snapshots", json=SPEC_SNAPSHOT, headers=editor).json
    response = client.get(f"{PREFIX}/snapshots/{created['id']}", headers=viewer)
    assert response.status_code == 200 and response.json["id"] == created["id"]
    assert client.get(f"{PREFIX}/snapshots/999", headers=viewer).status_code == 404


def test_rollback_restores_the_captured_values(client, editor, engine):
    engine.set(KEY, 45.0, user="setup")
    snapshot_id = client.post(f"{PREFIX}/snapshots", json=SPEC_SNAPSHOT, headers=editor).json["id"]
    client.put(f"{PREFIX}/values/{KEY}", json={"value": 5.0}, headers=editor)
    client.put(f"{PREFIX}/values/load_timeout", json={"value": 9.0}, headers=editor)

    dry = client.post(f"{PREFIX}/snapshots/{snapshot_id}/rollback", json={"dry_run": True},
                      headers=editor)
    assert dry.status_code == 200 and dry.json["dry_run"] is True
    assert {d["key"] for d in dry.json["diff"]} == {KEY, "load_timeout"}
    assert engine.get(KEY) == 5.0

    response = client.post(f"{PREFIX}/snapshots/{snapshot_id}/rollback", headers=editor)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["safety_snapshot_id"] and body["revision"] == engine.revision
    assert body["snapshot_id"] == snapshot_id  # the snapshot restored
    safety = client.get(f"{PREFIX}/snapshots/{body['safety_snapshot_id']}", headers=editor).json
    assert safety["values"] == {KEY: {"runtime": 5.0}, "load_timeout": {"runtime": 9.0}}
    assert {c["action"] for c in body["changes"]} == {"rollback"}
    assert all(c["user"] == "editor-user" for c in body["changes"])
    assert engine.get(KEY) == 45.0 and engine.get("load_timeout") == 30.0


def test_rollback_to_an_unknown_snapshot_is_404(client, editor):
    response = client.post(f"{PREFIX}/snapshots/4242/rollback", headers=editor)
    assert response.status_code == 404
    assert "4242" in response.json["message"]


def test_admin_deletes_a_snapshot(client, editor, admin, viewer):
    snapshot_id = client.post(f"{PREFIX}/snapshots", json=SPEC_SNAPSHOT, headers=editor).json["id"]
    assert client.delete(f"{PREFIX}/snapshots/{snapshot_id}", headers=editor).status_code == 403
    response = client.delete(f"{PREFIX}/snapshots/{snapshot_id}", headers=admin)
    assert response.status_code == 204 and response.data == b""
    assert client.get(f"{PREFIX}/snapshots/{snapshot_id}", headers=viewer).status_code == 404
    assert client.delete(f"{PREFIX}/snapshots/{snapshot_id}", headers=admin).status_code == 404
