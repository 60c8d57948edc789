"""PostgreSQL crashes under a running gunicorn, and comes back.

The test runs a PostgreSQL cluster of its own (the shared server is never touched), serves
it with gunicorn (two workers), and stops the cluster the way a crash does
(`pg_ctl stop -m immediate`). Meanwhile:
- reads keep answering 200 from each worker's memory, flagged `X-Lazyconfig-Stale: true`;
- every request that needs the database answers 503 with the JSON error body and a
  Retry-After header, never a 500, and nothing it asked for is stored;
- an engine in this process keeps answering `get` with the last values;
- /readyz says 503, /healthz 200.
After `pg_ctl start`, without restarting gunicorn, writes succeed within seconds, each
worker's change watcher reconnects, and everything acknowledged before the crash is there.

The cluster is private, so the scenario is the same whichever database the rest of the
suite runs on; it runs in both CI runs (about 20 s each).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from coherence.servers import EventStream, serving_pid, spread_connections
from lazyconfig import create_app
from lazyconfig.api.context import CATCH_UP_PAUSE
from lazyconfig.auth import create_token
from lazyconfig.db.models import ChangeRow, ValueRow
from lazyconfig import bootstrap
from lazyconfig.errors import StorageUnavailable
from lazyconfig.coherence.read_lease import LEASE
from lazyconfig.db.connection import make_engine
from lazyconfig.db.unit_of_work import SqlStorage, SqlUnitOfWork
from lazyconfig.settings import Settings
from tests.support.servers import GunicornServer, server_env

from .private_postgres import PostgresUnavailable, PrivateCluster

pytestmark = pytest.mark.slow

SECRET = "database-outage-test-secret-of-at-least-32-bytes"
PREFIX = "/api/lazy-loading-config"
INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"
RECOVERY_SECONDS = 15.0
ADMIN = {"Authorization": f"Bearer {create_token(SECRET, 'outage-admin', 'admin', 3600)}"}


# -- the private cluster and the server on it ------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    try:
        pg = PrivateCluster()
        pg.__enter__()
    except PostgresUnavailable as exc:  # missing binaries fail the run, they do not skip it
        pytest.fail(f"cannot run a private PostgreSQL cluster: {exc}", pytrace=False)
    yield pg
    pg.destroy()


@pytest.fixture(scope="module")
def database_url(cluster) -> str:
    return cluster.create_database("lazyconfig")


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("outage")
    env = server_env(database_url, workdir / "instance", SECRET, log_level="INFO")
    with GunicornServer(env, workdir / "gunicorn.log", workers=2) as gunicorn:
        yield gunicorn


@pytest.fixture
def up_again(cluster):
    """Whatever a test did, the cluster runs when it ends."""
    yield cluster
    if not cluster.running():
        cluster.start()


@pytest.fixture
def clean_log(server):
    """Fails the test if gunicorn logged a traceback or answered a 500 while it ran."""
    start = len(server.log())
    yield
    written = server.log()[start:]
    assert "Traceback" not in written, written[-3000:]
    fives = [line for line in written.splitlines() if '"status": 500' in line]
    assert not fives, fives


# -- talking to one worker on purpose -----------------------------------------------------------
class Reply:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        data = response.read()
        self.body = json.loads(data) if data else None


class Worker:
    """One keep-alive connection, accepted by the worker `pid`."""

    def __init__(self, server: GunicornServer, conn: http.client.HTTPConnection):
        self.server = server
        self.conn = conn
        self.pid = serving_pid(server, conn.sock.getsockname()[1])

    def call(self, method: str, path: str, body: Any = None) -> Reply:
        headers = dict(ADMIN)
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=None if body is None else json.dumps(body),
                          headers=headers)
        reply = Reply(self.conn.getresponse())
        assert self.conn.sock is not None and self.pid == serving_pid(
            self.server, self.conn.sock.getsockname()[1]), "the worker closed the connection"
        return reply

    def value(self, key: str) -> Reply:
        return self.call("GET", f"{PREFIX}/values/{key}")

    def put(self, key: str, value: Any) -> Reply:
        return self.call("PUT", f"{PREFIX}/values/{key}", {"value": value})


def connections_to_both_workers(server: GunicornServer, count: int):
    """{pid: [connections]}, at least `count` in all, with both workers present (each has
    answered a health check through them, so each has booted), the busiest first."""
    spread = spread_connections(server, count)
    assert len(spread) == 2, f"could not reach both workers: {sorted(spread)}"
    return dict(sorted(spread.items(), key=lambda item: -len(item[1])))


def eventually(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(interval)


def is_unavailable(reply: Reply) -> bool:
    """503 with the JSON error body and a Retry-After header."""
    body = reply.body or {}
    return (reply.status == 503 and body.get("code") == 503 and body.get("message")
            and body.get("status") == "Service Unavailable"
            and reply.headers.get("Retry-After", "").isdigit())


def stored(database_url: str) -> tuple[dict[tuple[str, str], Any], list[tuple[str, Any]]]:
    """(config_values as {(key, source): value}, the change log as [(key, new_value)])."""
    db = create_engine(database_url, poolclass=NullPool)
    try:
        with db.connect() as conn:
            values = {(r.key, r.source): r.value for r in conn.execute(select(ValueRow.__table__))}
            log = [(r.key, r.new_value) for r in conn.execute(
                select(ChangeRow.__table__).order_by(ChangeRow.id))]
    finally:
        db.dispose()
    return values, log


def not_stale(reply: Reply) -> Reply | None:
    return None if "X-Lazyconfig-Stale" in reply.headers else reply


def stored_when_up(database_url: str):
    try:
        return stored(database_url)
    except Exception:  # still recovering
        return None


def every_database_request() -> list[tuple[str, str, Any]]:
    """A request of each kind that cannot be answered without the database."""
    return [
        ("PUT", f"{PREFIX}/values/{INTERVAL}", {"value": 999.0}),
        ("DELETE", f"{PREFIX}/values/{INTERVAL}", None),
        ("POST", f"{PREFIX}/values/batch", {"updates": [{"key": INTERVAL, "value": 998.0}]}),
        ("POST", f"{PREFIX}/values/{INTERVAL}/revert", {"revision": 0}),
        ("GET", f"{PREFIX}/values/{INTERVAL}/history", None),
        ("GET", f"{PREFIX}/notifications", None),
        ("GET", f"{PREFIX}/notifications?since=0&wait=1", None),
        ("GET", f"{PREFIX}/snapshots", None),
        ("POST", f"{PREFIX}/snapshots", {"description": "during the outage"}),
        ("POST", f"{PREFIX}/snapshots/1/rollback", {}),
        ("POST", f"{PREFIX}/reset", {}),
        ("POST", f"{PREFIX}/import", {"version": 1, "values": {INTERVAL: 997.0}}),
        ("PUT", f"{PREFIX}/rules/outage_rule", {"type": "int", "default": 1}),
    ]


# -- the scenarios ------------------------------------------------------------------------------
def test_a_crashed_database_is_survived_and_recovered_from_without_a_restart(
        cluster, database_url, server, up_again, clean_log, tmp_path):
    spread = connections_to_both_workers(server, 4)
    (pid_a, conns_a), (pid_b, conns_b) = spread.items()  # A holds two: a client and a stream
    a, b = Worker(server, conns_a[0]), Worker(server, conns_b[0])
    assert a.put(INTERVAL, 31.0).status == 200
    assert b.put(STRATEGY, "AGGRESSIVE").status == 200
    assert a.call("POST", f"{PREFIX}/snapshots", {"description": "before"}).status == 201
    before = {INTERVAL: 31.0, STRATEGY: "AGGRESSIVE"}
    stored_before, log_before = stored(database_url)

    env = {"LAZYCONFIG_DATABASE_URL": database_url,
           "LAZYCONFIG_INSTANCE_PATH": str(tmp_path / "instance")}
    loader = bootstrap(Settings.from_env(env), env=env)  # a process using the engine
    stream = EventStream(server, ADMIN["Authorization"].split()[1], conn=conns_a[1],
                         timeout=RECOVERY_SECONDS)
    try:
        assert stream.pid == pid_a and stream.status == 200
        stream.opened()
        assert all(loader.get(k) == v for k, v in before.items())

        cluster.crash()
        # A read lease taken just before the crash still proves reads current for up to
        # LEASE; after that, reads are answered from memory and flagged.
        time.sleep(LEASE + 0.2)

        for worker in (a, b):  # reads: memory, flagged stale
            for key, value in before.items():
                reply = worker.value(key)
                assert reply.status == 200 and reply.body["value"] == value, reply.body
                assert reply.headers["X-Lazyconfig-Stale"] == "true"
            listing = worker.call("GET", f"{PREFIX}/values")
            assert listing.status == 200 and listing.body["count"] == 25
            assert worker.call("GET", f"{PREFIX}/status").status == 200
            assert worker.call("GET", "/healthz").status == 200
            assert is_unavailable(worker.call("GET", "/readyz"))
            for method, path, body in every_database_request():
                reply = worker.call(method, path, body)
                assert is_unavailable(reply), (method, path, reply.status, reply.body)
        # Once more after the workers' pause between attempts to reach the database, so the
        # reads also go through a failed attempt to connect, not only a dropped connection.
        time.sleep(CATCH_UP_PAUSE + 0.2)
        for worker in (a, b):
            reply = worker.value(INTERVAL)
            assert reply.status == 200 and reply.body["value"] == before[INTERVAL]
            assert reply.headers["X-Lazyconfig-Stale"] == "true"
        assert all(loader.get(k) == v for k, v in before.items())
        for _ in range(2):  # a dropped connection, then a refused one
            with pytest.raises(StorageUnavailable):
                loader.catch_up()

        cluster.start()  # same data directory and port: crash recovery, then service

        began = time.monotonic()
        eventually(lambda: a.put(INTERVAL, 45.0).status == 200, RECOVERY_SECONDS,
                   "a write succeeds after the restart")
        recovered_after = time.monotonic() - began
        values, log = stored(database_url)
        assert log[:len(log_before)] == log_before  # nothing acknowledged before was lost
        assert log[len(log_before):] == [(INTERVAL, 45.0)]  # nothing refused appeared
        assert values == {**stored_before, (INTERVAL, "runtime"): 45.0}

        # Worker B writes; worker A's open stream and this process's engine hear of it
        # through their change watchers, which had to reconnect (LISTEN) on their own.
        assert b.put(STRATEGY, "CONSERVATIVE").status == 200
        heard = [stream.next_event().data for _ in range(2)]
        assert [(e["key"], e["new_value"]) for e in heard] == [
            (INTERVAL, 45.0), (STRATEGY, "CONSERVATIVE")]  # A's own write, then B's
        eventually(lambda: loader.get(STRATEGY) == "CONSERVATIVE", RECOVERY_SECONDS,
                   "the engine in this process sees the write made through gunicorn")
        for worker in (a, b):
            assert worker.call("GET", "/readyz").status == 200
            fresh = eventually(lambda: not_stale(worker.value(STRATEGY)), 5,
                               "reads are no longer flagged stale")
            assert fresh.body["value"] == "CONSERVATIVE"
        assert recovered_after < RECOVERY_SECONDS
    finally:
        stream.close()
        loader.close()
        for conns in spread.values():
            for conn in conns:
                conn.close()


def test_a_write_in_flight_at_the_crash_is_acknowledged_only_if_committed(
        cluster, database_url, server, up_again, clean_log):
    keys = [f"outage_counter_{n}" for n in range(6)]
    for key in keys:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("PUT", f"{PREFIX}/rules/{key}", json.dumps({"type": "int", "default": 0}),
                     {**ADMIN, "Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()

    outcomes: dict[str, list[tuple[int, int, str]]] = {key: [] for key in keys}
    failures: list[BaseException] = []
    crashed = threading.Event()

    def writer(key: str) -> None:
        try:
            count_up(key)
        except BaseException as exc:  # a broken connection to gunicorn fails the test
            failures.append(exc)

    def count_up(key: str) -> None:
        # Counts up until the database has been gone for a couple of answers.
        refused_after_crash = 0
        for n in range(1, 100_000):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                conn.request("PUT", f"{PREFIX}/values/{key}", json.dumps({"value": n}),
                             {**ADMIN, "Content-Type": "application/json"})
                reply = Reply(conn.getresponse())
            finally:
                conn.close()
            outcomes[key].append((n, reply.status, (reply.body or {}).get("message", "")))
            if reply.status != 200 and crashed.is_set():
                refused_after_crash += 1
                if refused_after_crash >= 2:
                    return

    threads = [threading.Thread(target=writer, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    eventually(lambda: all(len(o) >= 3 for o in outcomes.values()), 20, "writers are busy")
    cluster.crash()
    crashed.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures
    cluster.start()

    values, log = eventually(lambda: stored_when_up(database_url), RECOVERY_SECONDS,
                             "the database answers again")
    logged = set(log)
    for key, tried in outcomes.items():
        assert {status for _, status, _ in tried} <= {200, 503}, tried
        acknowledged = [n for n, status, _ in tried if status == 200]
        assert acknowledged, f"{key}: no write was acknowledged before the crash"
        for n in acknowledged:  # acknowledged means committed: in the log, for good
            assert (key, n) in logged, f"{key}={n} was acknowledged but is not stored"
        for n, status, message in tried:
            if status == 503 and (key, n) in logged:
                # Only a failure while committing may leave the write in place, and then
                # the answer must not have said that nothing was changed.
                assert "nothing was changed" not in message, (key, n, message)
        final = values[(key, "runtime")]
        assert final >= max(acknowledged), (key, final, acknowledged)
        assert final in {n for n, _, _ in tried}



class LosesTheAnswer(SqlUnitOfWork):
    """While armed, a write's COMMIT reaches the database and then the connection drops."""

    armed = False

    def commit(self) -> None:
        if self.armed and self.changes.appended:
            session_commit = self.session.commit

            def then_lose_the_connection():
                session_commit()
                raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
            self.session.commit = then_lose_the_connection
        super().commit()


def test_a_connection_lost_while_committing_is_a_503_that_does_not_claim_nothing_changed(
        database_url, tmp_path):
    """The rare case the crash above can hit: COMMIT reaches the database, the answer does
    not come back. The write is in; the caller must not be told that nothing changed."""
    env = {"LAZYCONFIG_DATABASE_URL": database_url,
           "LAZYCONFIG_INSTANCE_PATH": str(tmp_path / "instance")}
    settings = Settings.from_env(env)
    storage = SqlStorage(make_engine(settings.database_url), unit_of_work=LosesTheAnswer)
    engine = bootstrap(settings, env=env, watch=False, storage=storage)
    app = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET})
    try:
        LosesTheAnswer.armed = True
        reply = app.test_client().put(f"{PREFIX}/values/{INTERVAL}", json={"value": 12.5},
                                      headers=ADMIN)
        assert reply.status_code == 503 and reply.headers["Retry-After"].isdigit()
        assert "may or may not have been applied" in reply.json["message"]
        LosesTheAnswer.armed = False
        engine.catch_up()
        assert engine.get(INTERVAL) == 12.5  # it was applied: reading it back says so
    finally:
        engine.close()


def test_a_worker_restarted_during_the_outage_does_not_stop_the_server(
        cluster, database_url, up_again, tmp_path):
    env = server_env(database_url, tmp_path / "instance", SECRET)
    with GunicornServer(env, tmp_path / "gunicorn.log", workers=2) as gunicorn:
        spread = connections_to_both_workers(gunicorn, 2)
        for conns in spread.values():
            for conn in conns:
                conn.close()
        victim = min(spread)
        cluster.crash()
        os.kill(victim, signal.SIGKILL)  # as the OOM killer or a worker timeout would
        time.sleep(3)
        assert gunicorn.process.poll() is None, f"gunicorn stopped:\n{gunicorn.log()[-1500:]}"
        assert victim not in gunicorn.worker_pids()  # its replacement waits for the database
        cluster.start()
        # Both workers answer again: the replacement booted once the database was back.
        eventually(lambda: _both_workers_answer(gunicorn), 40, "the new worker serves")
    assert "Traceback" not in gunicorn.log(), gunicorn.log()[-1500:]


def _both_workers_answer(gunicorn: GunicornServer) -> bool:
    spread = spread_connections(gunicorn, 2)  # a worker still waiting for the database is absent
    for conns in spread.values():
        for conn in conns:
            conn.close()
    return len(spread) == 2
