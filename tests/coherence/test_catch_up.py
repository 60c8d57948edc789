"""What read-your-writes costs a request: nothing but two memory reads under a read lease;
without one, one indexed query and no engine lock when nothing changed; and it sees another
process's write at once, without the watcher."""
from __future__ import annotations

import threading
import time

from sqlalchemy import event

from lazyconfig import bootstrap
from lazyconfig.settings import Settings

from .conftest import PREFIX

KEY = "load_timeout"


def statements(engine):
    """Collect the SQL statements this thread sends through `engine` (a list, kept current);
    the watcher thread's own polling is not the request's cost."""
    seen: list[str] = []
    me = threading.get_ident()

    def record(_conn, _cursor, sql, *_args):
        if threading.get_ident() == me:
            seen.append(sql)
    event.listen(engine.database, "before_cursor_execute", record)
    return seen


def counted_probes(engine, monkeypatch) -> list[int]:
    """The head probes this thread's requests make (a list, kept current)."""
    probes: list[int] = []
    head = engine.freshness.head
    me = threading.get_ident()

    def counted_head() -> int:  # the real probe, counted
        value = head()
        if threading.get_ident() == me:
            probes.append(value)
        return value
    monkeypatch.setattr(engine.freshness, "head", counted_head)
    return probes


def wait_for_lease(engine) -> None:
    deadline = time.monotonic() + 5
    while not engine.freshness.lease.holds():
        assert time.monotonic() < deadline, "the read lease never held"
        time.sleep(0.01)


def test_a_read_under_a_read_lease_costs_no_query(client, engine, as_role, monkeypatch):
    engine.set(KEY, 10.0)
    viewer = as_role("viewer")
    assert client.get(f"{PREFIX}/values/{KEY}", headers=viewer).status_code == 200
    wait_for_lease(engine)
    probes = counted_probes(engine, monkeypatch)
    seen = statements(engine)
    assert client.get(f"{PREFIX}/values/{KEY}", headers=viewer).json["value"] == 10.0
    assert probes == [] and seen == []


def test_without_a_lease_a_read_costs_one_query_on_the_change_log(client, engine, as_role,
                                                                  monkeypatch):
    engine.set(KEY, 10.0)
    viewer = as_role("viewer")
    engine.freshness.lease.stop()  # as while another host writes
    assert client.get(f"{PREFIX}/values/{KEY}", headers=viewer).status_code == 200
    probes = counted_probes(engine, monkeypatch)
    seen = statements(engine)
    assert client.get(f"{PREFIX}/values/{KEY}", headers=viewer).json["value"] == 10.0
    assert probes == [engine.revision]  # one probe of the change log's head, which was current
    assert seen == []  # and nothing through the session pool


def test_catching_up_takes_no_lock_when_nothing_changed(engine):
    engine.set(KEY, 10.0)
    held, release = threading.Event(), threading.Event()

    def writer_holding_the_lock():
        with engine.replica.lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer_holding_the_lock)
    thread.start()
    held.wait(5)
    try:
        assert engine.catch_up() == 1  # returns although the lock is taken
    finally:
        release.set()
        thread.join()


def test_catching_up_sees_another_process_write_without_the_watcher(engine_env):
    reader, writer = (bootstrap(Settings.from_env(engine_env), env=engine_env, watch=False)
                      for _ in range(2))
    try:
        writer.set(KEY, 12.0)
        assert reader.get(KEY) == 30.0
        assert reader.catch_up() == writer.revision and reader.get(KEY) == 12.0
    finally:
        reader.close()
        writer.close()
