"""Subscribers hear each change once, in revision order, whoever made it; a callback may
itself write; unsubscribe stops delivery."""
from __future__ import annotations

import threading

INTERVAL = "lazy_loading_unloading_check_interval"
TIMEOUT = "load_timeout"
LOADS = "max_concurrent_loads"


def test_callbacks_run_in_revision_order_once_each(engine, tables):
    everything, intervals = [], []
    engine.subscribe(everything.append)
    engine.subscribe(intervals.append, keys=[INTERVAL])
    start = engine.revision
    engine.set(INTERVAL, 10.0)
    engine.update({INTERVAL: 20.0, LOADS: 8})
    engine.reset()
    ids = [c.id for c in tables.changes(since=start)]
    assert [c.revision for c in everything] == ids
    assert [c.new_value for c in intervals] == [10.0, 20.0, 60.0]


def test_a_callback_that_writes_keeps_the_order(engine, tables):
    delivered = []

    def follow(change):  # keeps load_timeout at twice the check interval
        delivered.append(("follow", change.revision))
        if change.key == INTERVAL:
            engine.set(TIMEOUT, change.new_value * 2)

    def record(change):
        delivered.append(("record", change.revision))

    engine.subscribe(follow)
    engine.subscribe(record)
    start = engine.revision
    engine.set(INTERVAL, 15.0)
    engine.set(INTERVAL, 25.0)
    assert engine.get(TIMEOUT) == 50.0
    ids = [c.id for c in tables.changes(since=start)]
    assert [(c.key, c.new_value) for c in tables.changes(since=start)] == [
        (INTERVAL, 15.0), (TIMEOUT, 30.0), (INTERVAL, 25.0), (TIMEOUT, 50.0)]
    # Each subscriber sees each revision exactly once, and the follow-up write's revision is
    # delivered only after every subscriber has had the change that caused it.
    assert delivered == [(name, rev) for rev in ids for name in ("follow", "record")]


def test_changes_made_elsewhere_arrive_once_and_in_order(make_engine, tables):
    here, elsewhere = make_engine(), make_engine()
    got = []
    here.subscribe(lambda change: got.append(change.revision))
    start = here.revision
    for i in range(5):
        elsewhere.set(INTERVAL, float(i + 1))
        here.set(LOADS, i + 1)  # catches up with the other engine's write first
    elsewhere.set(TIMEOUT, 9.0)
    here.refresh()
    assert got == [c.id for c in tables.changes(since=start)]


def test_unsubscribe_stops_delivery(engine):
    got = []
    subscription = engine.subscribe(got.append)
    engine.set(INTERVAL, 10.0)
    assert engine.unsubscribe(subscription) is True
    assert engine.unsubscribe(subscription) is False
    engine.set(INTERVAL, 20.0)
    assert [c.new_value for c in got] == [10.0]


def test_a_failing_callback_does_not_stop_the_others(engine, caplog):
    got = []

    def broken(change):
        raise RuntimeError("subscriber bug")

    engine.subscribe(broken)
    engine.subscribe(got.append)
    assert engine.set(INTERVAL, 10.0) is True
    assert [c.new_value for c in got] == [10.0]
    assert "subscriber bug" in caplog.text


def test_threads_writing_deliver_in_order(engine, tables):
    got = []
    engine.subscribe(lambda change: got.append(change.revision))
    start = engine.revision

    def writer(n):
        for i in range(20):
            engine.set(LOADS, n * 100 + i + 1 if n * 100 + i + 1 <= 1024 else 1)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert got == [c.id for c in tables.changes(since=start)] and len(got) == 80


def test_a_single_key_given_as_a_string_is_one_key(engine, tables):
    got = []
    engine.subscribe(got.append, keys=LOADS)
    engine.set(LOADS, 6)
    engine.set(TIMEOUT, 6.0)
    assert [(c.key, c.new_value) for c in got] == [(LOADS, 6)]
    engine.set(INTERVAL, 5.0)
    engine.reset(LOADS)
    assert engine.get(LOADS) == 4 and engine.get(INTERVAL) == 5.0
    snapshot_id = engine.create_snapshot("with interval 5")
    engine.update({INTERVAL: 7.0, TIMEOUT: 7.0})
    engine.rollback_to_snapshot(snapshot_id, keys=INTERVAL)
    assert engine.get(INTERVAL) == 5.0 and engine.get(TIMEOUT) == 7.0
