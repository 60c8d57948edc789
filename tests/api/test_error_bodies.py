"""Every error answer is built in one place (api/errors.py): token failures, a full change
feed and a schema behind are in the same {code, status, message, errors} shape as the rest,
and every error lazyconfig raises belongs to its one hierarchy."""
from __future__ import annotations

from lazyconfig import errors
from lazyconfig.api.notifications import waiting
from lazyconfig.auth import SecretError
from lazyconfig.coherence.feed import FeedBusy, FeedClosed
from lazyconfig.db import migrate

from .conftest import PREFIX


def test_the_errors_of_the_feed_and_the_secret_are_in_the_hierarchy():
    assert (FeedBusy, FeedClosed, SecretError) == (errors.FeedBusy, errors.FeedClosed,
                                                   errors.SecretError)
    assert all(issubclass(kind, errors.ConfigurationError)
               for kind in (FeedBusy, FeedClosed, SecretError))
    assert issubclass(errors.StorageUnavailable, errors.Unavailable)


def test_a_missing_token_is_a_401_in_the_shape(client):
    response = client.get(f"{PREFIX}/values")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="lazyconfig"'
    assert set(response.json) == {"code", "status", "message"}
    assert response.json["message"].startswith("a Bearer token is required")


def test_a_full_feed_is_a_503_in_the_shape_with_retry_after(app, client, viewer):
    waiting.change_feed(app).max_listeners = 0
    response = client.get(f"{PREFIX}/notifications?since=0&wait=1", headers=viewer)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json == {"code": 503, "status": "Service Unavailable", "message":
                             "cannot wait for changes now: 0 listeners already wait for "
                             "changes"}


def test_a_schema_behind_is_a_503_without_retry_after(client, engine):
    migrate.run(engine.database, "downgrade", "base")
    try:
        response = client.get("/readyz")
    finally:
        migrate.run(engine.database, "upgrade", "head")
    assert response.status_code == 503 and "Retry-After" not in response.headers
    assert response.json == {"code": 503, "status": "Service Unavailable", "message":
                             f"the database schema is at nothing, not at "
                             f"{migrate.head_revision()}: run `lazyconfig db upgrade`"}
