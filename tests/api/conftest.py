"""Fixtures for contract tests: an app on the test database and tokens for each role."""
from __future__ import annotations

import pytest

from lazyconfig import create_app
from lazyconfig.auth import create_token

SECRET = "contract-tests-secret-of-at-least-32-bytes"
PREFIX = "/api/lazy-loading-config"


@pytest.fixture
def app(engine):
    return create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                       "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token():
    """token(role, user=None) -> a valid Bearer token; the user defaults to the role name."""
    def make(role: str, user: str | None = None, expires_in: int = 600) -> str:
        return create_token(SECRET, user or f"{role}-user", role, expires_in)
    return make


@pytest.fixture
def as_role(token):
    """as_role(role, user=None) -> request headers carrying that role's token."""
    def headers(role: str, user: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(role, user)}"}
    return headers


@pytest.fixture
def viewer(as_role):
    return as_role("viewer")


@pytest.fixture
def editor(as_role):
    return as_role("editor")


@pytest.fixture
def admin(as_role):
    return as_role("admin")
