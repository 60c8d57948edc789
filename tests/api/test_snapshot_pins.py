"""Pinning a snapshot over HTTP: an editor pins and unpins, each change attributed in the
audit log; a pinned snapshot outlives retention, an unpinned one does not."""
from __future__ import annotations

from lazyconfig import create_app

from tests.conftest import SECRET
from .conftest import PREFIX


def _pin_events(engine):
    return [(e["action"], e["subject"], e["actor"]) for e in engine.audit_events()[0]
            if e["action"].startswith("snapshot.")]


def test_an_editor_pins_and_unpins_and_each_change_is_audited(client, editor, viewer, engine):
    made = client.post(f"{PREFIX}/snapshots", json={"description": "keep"}, headers=editor).json
    assert made["pinned"] is False
    assert client.post(f"{PREFIX}/snapshots/{made['id']}/pin", headers=viewer).status_code == 403
    pinned = client.post(f"{PREFIX}/snapshots/{made['id']}/pin", headers=editor)
    assert pinned.status_code == 200 and pinned.json["pinned"] is True
    assert client.get(f"{PREFIX}/snapshots/{made['id']}", headers=viewer).json["pinned"] is True
    client.post(f"{PREFIX}/snapshots/{made['id']}/pin", headers=editor)  # again: no event
    unpinned = client.delete(f"{PREFIX}/snapshots/{made['id']}/pin", headers=editor)
    assert unpinned.status_code == 200 and unpinned.json["pinned"] is False
    listed = client.get(f"{PREFIX}/snapshots", headers=viewer).json["snapshots"]
    assert [s["pinned"] for s in listed] == [False]
    subject = f"snapshot:{made['id']}"
    assert _pin_events(engine) == [("snapshot.unpin", subject, "editor-user"),
                                   ("snapshot.pin", subject, "editor-user")]


def test_pinning_an_unknown_snapshot_is_404_and_records_nothing(client, editor, engine):
    for method in ("POST", "DELETE"):
        response = client.open(f"{PREFIX}/snapshots/4242/pin", method=method, headers=editor)
        assert response.status_code == 404 and "4242" in response.json["message"]
    assert _pin_events(engine) == []


def test_a_pinned_snapshot_outlives_retention(make_engine, token):
    engine = make_engine(snapshot_max_count=2)
    client = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                         "TESTING": True}).test_client()
    editor = {"Authorization": f"Bearer {token('editor')}"}
    kept, dropped = (client.post(f"{PREFIX}/snapshots", json={"description": d}, headers=editor)
                     .json["id"] for d in ("kept", "dropped"))
    client.post(f"{PREFIX}/snapshots/{kept}/pin", headers=editor)
    for n in range(3):
        client.post(f"{PREFIX}/snapshots", json={"description": f"later {n}"}, headers=editor)
    assert client.get(f"{PREFIX}/snapshots/{kept}", headers=editor).status_code == 200
    assert client.get(f"{PREFIX}/snapshots/{dropped}", headers=editor).status_code == 404
