"""One cluster for every scenario here, started once: on SQLite a gunicorn with four workers
on one database file; on PostgreSQL two gunicorn instances (two workers each) sharing the
database, as two machines would. The test process has its own engine on the same database."""
from __future__ import annotations

import http.client
import itertools

import pytest
from lazyconfig import ConfigurationEngine, bootstrap
from lazyconfig.settings import Settings
from tests.e2e.conftest import server_database

from ..servers import EventStream, Instance, WorkerClient, spread_connections, start, token


class Cluster:
    def __init__(self, instances: list[Instance], engine: ConfigurationEngine):
        self.instances = instances
        self.engine = engine
        self.opened: list = []  # clients and streams, closed after each test

    def close_clients(self) -> None:
        while self.opened:
            self.opened.pop().close()

    def connections(self, count: int) -> list[tuple[Instance, http.client.HTTPConnection]]:
        """`count` keep-alive connections spread over the workers, round robin, so that
        neighbours in the list are on different workers (and, when there are several, on
        different instances)."""
        share = -(-count // len(self.instances))
        by_instance = [[[(instance, conn) for conn in conns]
                        for conns in spread_connections(instance, share).values()]
                       for instance in self.instances]
        workers = [g for layer in itertools.zip_longest(*by_instance) for g in layer if g]
        order = [c for layer in itertools.zip_longest(*workers) for c in layer if c]
        chosen, spare = order[:count], order[count:]
        for _, conn in spare:
            conn.close()
        assert len(chosen) == count, f"only {len(chosen)} connections"
        return chosen

    def clients(self, count: int, user: str = "tester", role: str = "editor") -> list[WorkerClient]:
        made = [WorkerClient(instance, conn, token(user, role))
                for instance, conn in self.connections(count)]
        self.opened += made
        return made

    def stream(self, via: WorkerClient | None = None, **options) -> EventStream:
        """An event stream on `via`'s worker (taking over its connection), or on whichever
        worker accepts a new connection."""
        if via is None:
            instance = self.instances[len(self.opened) % len(self.instances)]
            stream = EventStream(instance, token("watcher", "viewer"), **options)
        else:
            stream = EventStream(via.instance, token("watcher", "viewer"),
                                 conn=via.hand_over_connection(), **options)
        self.opened.append(stream)
        return stream


@pytest.fixture(scope="package")
def cluster(tmp_path_factory, postgres_url):
    workdir, url = server_database(tmp_path_factory, postgres_url, "coherence")
    env = {"LAZYCONFIG_DATABASE_URL": url, "LAZYCONFIG_INSTANCE_PATH": str(workdir / "local"),
           "LAZYCONFIG_POLL_INTERVAL": "0.05"}
    engine = bootstrap(Settings.from_env(env), env=env)  # migrates the schema first
    shape = [("a", 2), ("b", 2)] if postgres_url else [("a", 4)]
    instances: list[Instance] = []
    try:
        for name, workers in shape:
            instances.append(start(url, workdir, workers, name))
        yield Cluster(instances, engine)
    finally:
        for instance in instances:
            instance.stop()
        engine.close()
    for instance in instances:
        assert "Traceback" not in instance.log(), instance.log()


@pytest.fixture(autouse=True)
def _close_clients(cluster):
    yield
    cluster.close_clients()
