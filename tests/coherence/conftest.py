"""Fixtures for the coherence tests: an in-process app for the HTTP contract of waiting and
preconditions, and (in servers.py) real gunicorn servers for the cross-worker scenarios."""
from __future__ import annotations

import pytest

from lazyconfig import create_app
from lazyconfig.auth import create_token

SECRET = "coherence-tests-secret-of-at-least-32-bytes"
PREFIX = "/api/lazy-loading-config"


@pytest.fixture
def app(engine):
    return create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                       "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_role():
    """as_role(role, user=None, expires_in=600) -> headers with that role's Bearer token."""
    def headers(role: str, user: str | None = None, expires_in: int = 600) -> dict[str, str]:
        token = create_token(SECRET, user or f"{role}-user", role, expires_in)
        return {"Authorization": f"Bearer {token}"}
    return headers
