"""What read-your-writes costs a request: catching up is one indexed query and no engine lock
when nothing changed, and it sees another process's write at once, without the watcher."""
from __future__ import annotations

import threading

from sqlalchemy import event

from lazyconfig.engine import ConfigurationEngine
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


def test_a_read_costs_one_query_on_the_change_log_when_nothing_changed(client, engine, as_role,
                                                                      monkeypatch):
    engine.set(KEY, 10.0)
    viewer = as_role("viewer")
    assert client.get(f"{PREFIX}/values/{KEY}", headers=viewer).status_code == 200
    probes: list[int] = []
    head = engine._head

    def counted_head() -> int:  # the real probe, counted (only this thread's requests)
        value = head()
        if threading.get_ident() == me:
            probes.append(value)
        return value
    me = threading.get_ident()
    monkeypatch.setattr(engine, "_head", counted_head)
    seen = statements(engine)
    assert client.get(f"{PREFIX}/values/{KEY}", headers=viewer).json["value"] == 10.0
    assert probes == [engine.revision]  # one probe of the change log's head, which was current
    assert seen == []  # and nothing through the session pool


def test_catching_up_takes_no_lock_when_nothing_changed(engine):
    engine.set(KEY, 10.0)
    held, release = threading.Event(), threading.Event()

    def writer_holding_the_lock():
        with engine._lock:
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
    reader, writer = (ConfigurationEngine(Settings.from_env(engine_env), env=engine_env,
                                          watch=False) for _ in range(2))
    try:
        writer.set(KEY, 12.0)
        assert reader.get(KEY) == 30.0
        assert reader.catch_up() == writer.revision and reader.get(KEY) == 12.0
    finally:
        reader.close()
        writer.close()
