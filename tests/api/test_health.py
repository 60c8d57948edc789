"""Health checks answer without a token; readiness also needs the database."""
from __future__ import annotations

from lazyconfig.db import migrate
from lazyconfig.errors import StorageUnavailable


def test_liveness_and_readiness(client, engine):
    engine.set("load_timeout", 5.0, user="setup")
    assert client.get("/api/health").json == {"status": "ok", "revision": 1}
    ready = client.get("/api/health/ready").json
    assert (ready["status"], ready["revision"], ready["schema"]) == ("ready", 1, migrate.head_revision())


def test_not_ready_without_the_database_but_still_alive(client, engine, monkeypatch, viewer):
    def down():
        raise StorageUnavailable("the configuration database is unavailable")
    monkeypatch.setattr(engine, "refresh", down)
    ready = client.get("/api/health/ready")
    assert ready.status_code == 503 and ready.json["code"] == 503
    assert client.get("/api/health").status_code == 200
    # Reads keep being served from memory.
    values = client.get("/api/lazy-loading-config/values/load_timeout", headers=viewer)
    assert values.status_code == 200 and values.json["value"] == 30.0
