"""When the database cannot be reached, reads keep answering from memory, and every call that
needs the database fails with StorageUnavailable and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from lazyconfig.errors import StorageUnavailable

INTERVAL = "lazy_loading_unloading_check_interval"


@pytest.fixture
def cut_off(engine, tmp_path, monkeypatch):
    """The engine, with its sessions pointed at a database that cannot be opened."""
    engine.set(INTERVAL, 30.0)
    if engine.database.dialect.name == "postgresql":
        url = "postgresql+psycopg://nobody@127.0.0.1:1/nowhere?connect_timeout=1"
    else:
        url = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"
    broken = create_engine(url)
    monkeypatch.setattr(engine, "_reader", sessionmaker(broken))
    monkeypatch.setattr(engine, "_writer", sessionmaker(broken))
    yield engine
    broken.dispose()


def test_reads_are_served_from_memory(cut_off):
    assert cut_off.get(INTERVAL) == 30.0
    assert cut_off.get_entry(INTERVAL).source == "runtime"
    assert cut_off.export()["values"][INTERVAL] == 30.0
    assert cut_off.get_configuration_summary()["total_values"] == 25


@pytest.mark.parametrize("call", [
    lambda e: e.set(INTERVAL, 10.0),
    lambda e: e.update({INTERVAL: 10.0}),
    lambda e: e.create_snapshot("x"),
    lambda e: e.reset(),
    lambda e: e.get_notifications(),
    lambda e: e.list_snapshots(),
    lambda e: e.get_history(INTERVAL),
    lambda e: e.refresh(),
], ids=["set", "update", "create_snapshot", "reset", "get_notifications", "list_snapshots",
        "get_history", "refresh"])
def test_database_calls_fail_with_storage_unavailable(cut_off, call, tables):
    before, count = cut_off.export(), tables.change_count()
    with pytest.raises(StorageUnavailable, match="unavailable"):
        call(cut_off)
    assert cut_off.export() == before and cut_off.get(INTERVAL) == 30.0
    assert tables.change_count() == count
