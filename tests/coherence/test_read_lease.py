"""Read leases across hosts, on the real database: a read that skips the head query still
sees every write acknowledged before it, whichever host made it."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from lazyconfig.coherence import read_lease
from lazyconfig import ConfigurationEngine, bootstrap
from lazyconfig.coherence.read_lease import EXPIRY, FENCE, LEASE
from lazyconfig.settings import Settings

from .test_catch_up import wait_for_lease

KEY = "load_timeout"


@pytest.fixture
def host(engine_env, tmp_path):
    """host(name) -> an engine (no watcher) on the test database, in a host of that name:
    engines of one name share a run directory, as the processes of one machine do."""
    made: list[ConfigurationEngine] = []

    def factory(name: str) -> ConfigurationEngine:
        env = {**engine_env, "LAZYCONFIG_RUN_DIR": str(tmp_path / f"host-{name}")}
        made.append(bootstrap(Settings.from_env(env), env=env, watch=False))
        return made[-1]
    yield factory
    for engine in made:
        engine.close()


def test_a_write_by_another_process_of_the_host_is_seen_under_the_lease(host):
    reader, writer = host("a"), host("a")
    wait_for_lease(reader)
    writer.set(KEY, 12.0)
    assert writer.freshness.fence_until == 0.0  # one host: nobody else can hold a lease
    assert reader.freshness.lease.holds()
    assert reader.catch_up() == writer.revision and reader.get(KEY) == 12.0


def test_a_host_that_starts_writing_waits_out_the_other_hosts_leases(host):
    reader, writer = host("a"), host("b")
    wait_for_lease(reader)
    started = time.monotonic()
    writer.set(KEY, 12.0)
    waited = time.monotonic() - started
    # Whatever the reader's lease says now, the write is in what catching up returns.
    assert reader.catch_up() == writer.revision and reader.get(KEY) == 12.0
    assert waited >= FENCE - 0.05


def test_while_another_host_writes_reads_ask_the_database(host):
    reader, writer = host("a"), host("b")
    wait_for_lease(reader)
    writer.set(KEY, 12.0)
    deadline = time.monotonic() + LEASE + 1
    while reader.freshness.lease.holds():
        assert time.monotonic() < deadline, "the lease outlived another host's writes"
        time.sleep(0.02)
    writer.set(KEY, 13.0)  # registered already: no fence this time
    assert writer.freshness.fence_until < time.monotonic()
    assert reader.catch_up() == writer.revision and reader.get(KEY) == 13.0


def test_a_host_gone_for_longer_than_the_expiry_no_longer_counts(host):
    reader, writer = host("a"), host("b")
    writer.set(KEY, 12.0)
    writer.close()
    with reader.database.begin() as conn:  # as if its last sign of life were long ago
        conn.execute(text("UPDATE hosts SET seen_at = seen_at - :age WHERE id = :id"),
                     {"age": EXPIRY + 1, "id": writer.freshness.host.id})
    wait_for_lease(reader)
    assert reader.catch_up() == writer.revision and reader.get(KEY) == 12.0


def test_a_slow_write_transaction_waits_out_the_leases(monkeypatch, host):
    writer = host("a")
    monkeypatch.setattr(read_lease, "MARGIN", 0.0)  # every transaction counts as slow
    started = time.monotonic()
    writer.set(KEY, 12.0)
    assert time.monotonic() - started >= FENCE - 0.05


def test_without_the_database_the_lease_runs_out(host, monkeypatch):
    reader = host("a")
    wait_for_lease(reader)

    def unreachable(_host_id):
        raise OSError("database unreachable")
    monkeypatch.setattr(reader.freshness.probe, "lease_facts", unreachable)
    deadline = time.monotonic() + LEASE + 1
    while reader.freshness.lease.holds():
        assert time.monotonic() < deadline, "the lease outlived the database"
        time.sleep(0.02)


def test_a_check_lets_our_own_write_finish_instead_of_reading_it_back(host, monkeypatch):
    """The check may see the head of a write of ours that committed but is not swapped in
    yet: it waits for it rather than building a second copy of the state."""
    engine = host("a")
    committed, go_on = threading.Event(), threading.Event()
    swap, before = engine.replica.swap, engine.revision

    def slow_swap(state):  # the write has committed; hold it before the swap
        if state.revision > before:
            committed.set()
            go_on.wait(10)
        swap(state)
    monkeypatch.setattr(engine.replica, "swap", slow_swap)
    refreshes = []
    refresh = engine.replica.refresh
    monkeypatch.setattr(engine.replica, "refresh", lambda: refreshes.append(1) or refresh())
    writer = threading.Thread(target=engine.set, args=(KEY, 12.0))
    writer.start()
    assert committed.wait(10)
    head = engine.freshness.probe.lease_facts(engine.freshness.host.id)[0]
    assert head > engine.revision  # the database is ahead of memory
    checker = threading.Thread(target=engine.replica.catch_up_to, args=(head,))
    checker.start()
    time.sleep(0.1)
    go_on.set()
    writer.join(10)
    checker.join(10)
    assert engine.revision == head and engine.get(KEY) == 12.0
    assert refreshes == []
