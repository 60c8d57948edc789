"""The service over in-memory fakes (tests/fakes.py): no database, milliseconds a test."""
from __future__ import annotations

import pytest

from fakes import FakeStorage
from lazyconfig import bootstrap
from lazyconfig.settings import Settings


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def service(storage, tmp_path):
    settings = Settings.from_env({"LAZYCONFIG_INSTANCE_PATH": str(tmp_path)},
                                 snapshot_max_count=3)
    engine = bootstrap(settings, env={}, storage=storage)
    yield engine
    engine.close()
