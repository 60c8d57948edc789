"""Fixtures for the engine's real-database tests."""
from __future__ import annotations

import pytest

from .database import Tables


@pytest.fixture
def tables(database_url):
    found = Tables(database_url)
    yield found
    found.db.dispose()
