"""One real gunicorn (two workers) for all the client tests, always stopped."""
from __future__ import annotations

import pytest

from lazyconfig.client import ConfigClient
from tests.ops.live_server import live_server


@pytest.fixture(scope="package")
def server(tmp_path_factory, postgres_url):
    yield from live_server(tmp_path_factory, postgres_url)


@pytest.fixture
def client_as(server):
    """client_as(role, user=None) -> a ConfigClient with that role's token."""
    def make(role: str, user: str | None = None) -> ConfigClient:
        return ConfigClient(server.url, server.token(user or f"{role}-user", role), timeout=10)
    return make
