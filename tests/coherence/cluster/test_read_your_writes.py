"""Read-your-writes across workers and instances: once one worker acknowledges a write, a
read through any other worker (on PostgreSQL: any other instance) returns it."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow
KEY = "lazy_loading_unloading_check_interval"
ROUNDS = 200


def test_every_other_worker_reads_an_acknowledged_write_at_once(cluster):
    clients = cluster.clients(4)
    workers = {(c.instance.port, c.pid) for c in clients}
    assert len(workers) >= 2 and len({c.instance.port for c in clients}) == len(cluster.instances)
    stale, same_worker = [], 0
    for n in range(ROUNDS):
        writer = clients[n % len(clients)]
        value = float(n + 1)
        put = writer.request("PUT", f"/values/{KEY}", {"value": value})
        assert put.status == 200, put.body
        # The next worker in the list is another worker, and on PostgreSQL another instance.
        for offset in range(1, len(clients)):
            reader = clients[(n + offset) % len(clients)]
            got = reader.request("GET", f"/values/{KEY}")
            same_worker += (reader.instance, reader.pid) == (writer.instance, writer.pid)
            assert got.status == 200, got.body
            if (got.body["value"], got.headers["ETag"]) != (value, put.headers["ETag"]):
                stale.append((n, writer.pid, reader.pid, got.body["value"], value))
    assert stale == []
    # Every round had its next reader on another worker (on PostgreSQL, another instance).
    for n in range(len(clients)):
        writer, reader = clients[n], clients[(n + 1) % len(clients)]
        assert (writer.instance.port, writer.pid) != (reader.instance.port, reader.pid)
        assert len(cluster.instances) == 1 or writer.instance is not reader.instance
    print(f"\nread-your-writes: {ROUNDS} rounds over {len(workers)} workers, "
          f"{ROUNDS * (len(clients) - 1) - same_worker} cross-worker reads, 0 stale")
