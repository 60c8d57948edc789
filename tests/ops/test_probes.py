"""Probes for load balancers and orchestrators: /healthz says the process is up, /readyz
also that the database answers with its schema at the newest migration."""
from __future__ import annotations

import pytest

from lazyconfig.db import migrate


@pytest.mark.fresh_database  # an engine started on an empty file migrates it
def test_healthz_and_readyz_answer_without_a_token(client, engine):
    engine.set("load_timeout", 5.0, user="setup")
    assert client.get("/healthz").json == {"status": "ok", "revision": 1}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "revision": 1, "schema": migrate.head_revision()}


def test_not_ready_while_the_schema_is_behind_head(client, engine):
    migrate.run(engine.database, "downgrade", "base")
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert "lazyconfig db upgrade" in behind.json["message"]
    assert client.get("/api/health/ready").status_code == 503
    assert client.get("/healthz").status_code == 200  # alive, just not ready
    migrate.run(engine.database, "upgrade", "head")
    assert client.get("/readyz").status_code == 200
