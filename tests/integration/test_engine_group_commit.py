"""Group commit on the real database: writes that queue while another holds the engine lock
share one transaction; one invalid write among them fails alone; and each writer is answered
with the state its own write left."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event

from lazyconfig.errors import Conflict

KEYS = ["max_concurrent_loads", "cache_size_limit", "lazy_loading_unloading_check_interval",
        "memory_pressure_threshold", "load_timeout", "metrics_collection_interval"]
VALUES = [3, 2048, 45.0, 0.6, 20.0, 90.0]


class Commits:
    """Counts the transactions committed on an engine's database that appended to the change
    log (not, say, a host registering itself as a writer: lazyconfig/read_lease.py)."""

    def __init__(self, engine):
        self.count = 0
        self._db = engine.database

        def noted(conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("INSERT INTO CHANGES"):
                conn.info["appended"] = True

        def counted(conn):
            self.count += conn.info.pop("appended", False)

        def forgotten(conn):
            conn.info.pop("appended", None)
        self._listeners = [("before_cursor_execute", noted), ("commit", counted),
                           ("rollback", forgotten)]
        for name, listener in self._listeners:
            event.listen(self._db, name, listener)

    def close(self):
        for name, listener in self._listeners:
            event.remove(self._db, name, listener)


def _queued_together(engine, calls):
    """Run each call in its own thread, all queued behind the engine lock before any runs;
    returns their results in order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        with engine.replica.lock:
            futures = [pool.submit(call) for call in calls]
            deadline = time.monotonic() + 10
            while engine.pipeline.queue.waiting() < len(calls):
                assert time.monotonic() < deadline, "the writes did not queue"
                time.sleep(0.005)
        return [f.result(timeout=30) for f in futures]


def test_queued_writes_share_one_transaction(engine, tables):
    before = engine.revision
    commits = Commits(engine)
    try:
        results = _queued_together(engine, [
            lambda k=k, v=v: engine.set(k, v, user="grouped") for k, v in zip(KEYS, VALUES)])
    finally:
        commits.close()
    assert results == [True] * len(KEYS)
    assert commits.count == 1
    assert engine.revision == before + len(KEYS)
    logged = tables.changes(since=before)
    assert sorted(row.key for row in logged) == sorted(KEYS)
    assert [row.id for row in logged] == list(range(before + 1, before + len(KEYS) + 1))
    assert {k: engine.get(k) for k in KEYS} == dict(zip(KEYS, VALUES))
    assert {key: value for (key, source), value in tables.values().items()
            if source == "runtime"} == dict(zip(KEYS, VALUES))


def test_an_invalid_write_fails_alone_and_the_others_land(engine, tables):
    before = engine.revision
    values = list(VALUES)
    values[2] = -1.0  # below the check interval's minimum
    commits = Commits(engine)
    try:
        results = _queued_together(engine, [
            lambda k=k, v=v: engine.set(k, v) for k, v in zip(KEYS, values)])
    finally:
        commits.close()
    assert results == [True, True, False, True, True, True]
    # The shared transaction rolled back; each write then ran alone.
    assert commits.count == len(KEYS) - 1
    landed = {k: v for k, v in zip(KEYS, values) if v != -1.0}
    logged = tables.changes(since=before)
    assert sorted(row.key for row in logged) == sorted(landed)
    # (On PostgreSQL the rolled-back attempt used up sequence numbers: revisions skip them.)
    assert engine.revision == logged[-1].id
    assert engine.get(KEYS[2]) != -1.0
    assert all(engine.get(k) == v for k, v in landed.items())


def test_each_writer_is_answered_with_the_state_its_own_write_left(engine):
    key = "max_concurrent_loads"
    answers: dict[int, tuple] = {}

    def write(value: int):
        changes = engine.write_values({key: value})
        entry = changes.entries[key]
        answers[value] = (changes[0].revision, entry.version, entry.value)

    _queued_together(engine, [lambda v=v: write(v) for v in (5, 6, 7, 9)])
    for value, (revision, version, seen) in answers.items():
        assert (version, seen) == (revision, value)
    assert len({revision for revision, _, _ in answers.values()}) == 4
    # The answers describe their own writes; a read now gives the newest.
    assert engine.get_entry(key).version == engine.revision


def test_a_conflict_in_a_group_fails_only_that_write(engine):
    start = engine.revision
    outcomes: list = [None, None]

    def stale():
        try:
            engine.import_configuration({"version": 1, "values": {KEYS[0]: 4}},
                                        expected_revision=start - 1)
        except Conflict as exc:
            outcomes[0] = exc

    def fine():
        outcomes[1] = engine.set(KEYS[1], 4096)

    _queued_together(engine, [stale, fine])
    assert isinstance(outcomes[0], Conflict) and outcomes[1] is True
    assert engine.get(KEYS[1]) == 4096 and engine.revision == start + 1
