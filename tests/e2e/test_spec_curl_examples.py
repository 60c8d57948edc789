"""The spec's REST examples replayed against real gunicorn over HTTP: same paths, same
bodies, checking their effects, and that changes are attributed to the token's user."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.slow
BASE = "/api/lazy-loading-config"
KEY = "lazy_loading_unloading_check_interval"
TIMEOUT = 10


def call(server, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"{server.url}{BASE}{path}", headers=headers,
                            timeout=TIMEOUT, **kwargs)


def test_status(server):
    # curl -X GET ".../status" -H "Authorization: Bearer YOUR_TOKEN"
    response = call(server, "GET", "/status", server.token("vera", "viewer"))
    assert response.status_code == 200
    assert response.json()["total_values"] == 25


def test_update_then_every_worker_reads_it_and_notifications_name_the_user(server):
    alice = server.token("alice", "editor")
    # curl -X PUT ".../values/lazy_loading_unloading_check_interval" -d '{...}'
    response = call(server, "PUT", f"/values/{KEY}", alice, json={
        "key": KEY, "value": 30.0, "source": "runtime",
        "description": "Optimized check interval"})
    assert response.status_code == 200, response.text
    assert response.json()["updated_by"] == "alice"
    # Fresh connections land on either worker; each must see the acknowledged write.
    viewer = server.token("vera", "viewer")
    seen = {call(server, "GET", f"/values/{KEY}", viewer).json()["value"] for _ in range(12)}
    assert seen == {30.0}
    # curl -X GET ".../notifications?limit=10"
    notes = call(server, "GET", "/notifications?limit=10", viewer).json()["notifications"]
    mine = [n for n in notes if n["key"] == KEY]
    assert mine[-1]["user"] == "alice"
    assert mine[-1]["description"] == "Optimized check interval"
    assert (mine[-1]["old_value"], mine[-1]["new_value"]) == (60.0, 30.0)


def test_snapshot_batch_validate_and_rollback(server):
    bob = server.token("bob", "editor")
    # curl -X POST ".../snapshots" -d '{"description": ..., "tags": [...]}'
    snapshot = call(server, "POST", "/snapshots", bob, json={
        "description": "Before major configuration changes",
        "tags": ["backup", "major-changes"]})
    assert snapshot.status_code == 201, snapshot.text
    snapshot_id = snapshot.json()["id"]
    assert snapshot.json()["created_by"] == "bob"

    batch = call(server, "POST", "/values/batch", bob, json={
        "updates": [
            {"key": "lazy_loading_unloading_enabled", "value": True, "source": "runtime",
             "description": "Enable unloading system"},
            {"key": "lazy_loading_unloading_strategy", "value": "BALANCED", "source": "runtime",
             "description": "Set balanced unloading strategy"}],
        "create_snapshot": True, "snapshot_description": "Batch configuration update"})
    assert batch.status_code == 200, batch.text
    strategy = call(server, "GET", "/values/lazy_loading_unloading_strategy", bob).json()
    assert (strategy["value"], strategy["source"], strategy["updated_by"]) == (
        "BALANCED", "runtime", "bob")
    batch_snapshot = call(server, "GET", "/snapshots?page_size=1", bob).json()["snapshots"][0]
    assert batch_snapshot["description"] == "Batch configuration update"

    # The spec's "Validate Configuration Before Applying" (value 0.9) and its Validation body.
    for value in (0.9, 0.8):
        validation = call(server, "POST", "/validate", bob, json={
            "key": "lazy_loading_unloading_memory_pressure_threshold", "value": value})
        assert validation.json()["is_valid"] is True
        assert validation.json()["validation_errors"] == []

    rollback = call(server, "POST", f"/snapshots/{snapshot_id}/rollback", bob)
    assert rollback.status_code == 200, rollback.text
    strategy = call(server, "GET", "/values/lazy_loading_unloading_strategy", bob).json()
    assert strategy["source"] == "default"
    notes = call(server, "GET", "/notifications?key=lazy_loading_unloading_strategy", bob).json()
    assert [(n["action"], n["user"]) for n in notes["notifications"]][-2:] == [
        ("batch", "bob"), ("rollback", "bob")]


def test_admin_operations_and_roles(server):
    admin = server.token("root", "admin")
    viewer = server.token("vera", "viewer")
    assert call(server, "POST", "/reset", viewer).status_code == 403
    reset = call(server, "POST", "/reset", admin)
    assert reset.status_code == 200 and KEY in reset.json()["reset"]
    assert call(server, "GET", f"/values/{KEY}", viewer).json()["value"] == 60.0
    exported = call(server, "POST", "/export", viewer).json()
    assert call(server, "POST", "/import", admin, json=exported).status_code == 200


def test_errors_are_json_over_the_wire(server):
    editor = server.token("eve", "editor")
    missing = call(server, "GET", "/status")
    assert missing.status_code == 401 and missing.json()["code"] == 401
    invalid = call(server, "PUT", f"/values/{KEY}", editor, json={"value": -1})
    assert invalid.status_code == 400 and KEY in invalid.json()["errors"]
    assert call(server, "GET", "/values/nope", editor).json()["code"] == 404
    huge = call(server, "PUT", f"/values/{KEY}", editor,
                json={"value": 1.0, "description": "x" * (2 * 1024 * 1024)})
    assert huge.status_code == 413 and huge.json()["code"] == 413


def test_docs_and_their_assets_are_served(server):
    page = requests.get(f"{server.url}/api/docs", timeout=TIMEOUT)
    assert page.status_code == 200
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert asset in page.text
        url = f"{server.url}/api/docs/assets/{asset}"
        assert requests.get(url, timeout=TIMEOUT).status_code == 200
    assert requests.get(f"{server.url}/api/openapi.json", timeout=TIMEOUT).status_code == 200


def test_the_server_logged_no_tracebacks(server):
    assert "Traceback" not in server.log()
