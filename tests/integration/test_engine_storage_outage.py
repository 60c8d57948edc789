"""When the database cannot be reached, reads keep answering from memory, and every call that
needs the database fails with StorageUnavailable and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from lazyconfig import bootstrap
from lazyconfig.db.connection import make_engine
from lazyconfig.db.unit_of_work import SqlStorage
from lazyconfig.errors import StorageUnavailable
from lazyconfig.settings import Settings

INTERVAL = "lazy_loading_unloading_check_interval"


class CuttableStorage:
    """The real storage until `cut_to(url)`; then units of work on a database that cannot
    be opened."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self._storage = SqlStorage(self.engine)

    def cut_to(self, url: str) -> None:
        self._storage = SqlStorage(create_engine(url))

    def reading(self):
        return self._storage.reading()

    def writing(self):
        return self._storage.writing()


@pytest.fixture
def cut_off(engine_env, database_url, tmp_path):
    """An engine whose units of work, once it has a value, reach no database."""
    storage = CuttableStorage(database_url)
    engine = bootstrap(Settings.from_env(engine_env), env=engine_env, storage=storage)
    engine.set(INTERVAL, 30.0)
    if engine.database.dialect.name == "postgresql":
        storage.cut_to("postgresql+psycopg://nobody@127.0.0.1:1/nowhere?connect_timeout=1")
    else:
        storage.cut_to(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    yield engine
    engine.close()


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
