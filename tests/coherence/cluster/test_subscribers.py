"""Python subscribers in another process: engine.subscribe() in this test process is called
for changes made through every gunicorn worker, in revision order, each change once."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow
KEYS = ["memory_cleanup_interval", "metrics_collection_interval"]


def test_a_subscriber_elsewhere_gets_every_change_in_order_once(cluster):
    engine = cluster.engine
    start = engine.catch_up()
    received, arrived = [], threading.Event()
    writes = 8 * 10

    def on_change(change):
        received.append(change.revision)
        if len(received) >= writes:
            arrived.set()

    subscription = engine.subscribe(on_change, keys=KEYS)
    try:
        clients = cluster.clients(8)

        def write(index: int) -> list[int]:
            client = clients[index]
            return [client.request("PUT", f"/values/{KEYS[index % 2]}",
                                   {"value": float(index * 100 + n + 1)}).body["version"]
                    for n in range(10)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            made = sorted(r for batch in pool.map(write, range(8)) for r in batch)
        assert arrived.wait(15), f"{len(received)} of {writes} changes arrived"
        time.sleep(0.3)  # anything extra (a duplicate) would arrive meanwhile
    finally:
        engine.unsubscribe(subscription)
    assert received == made  # every change, once each, in revision order
    assert all(r > start for r in received)
