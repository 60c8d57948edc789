"""Compare-and-set through If-Match under contention: eight clients spread over four workers
increment one integer; no increment is lost and each success is one change-log row."""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow
KEY = "lazy_loading_unloading_min_memory_savings_threshold"  # an integer from 0 up
THREADS = 8
INCREMENTS = 300


def test_concurrent_compare_and_set_increments_lose_nothing(cluster):
    clients = cluster.clients(THREADS)  # two per worker
    assert len({(c.instance.port, c.pid) for c in clients}) >= 2
    reset = clients[0].request("PUT", f"/values/{KEY}", {"value": 0})
    assert reset.status == 200
    start = reset.body["version"]

    def increment(index: int) -> tuple[int, int]:
        client = clients[index]
        successes = conflicts = in_a_row = 0
        got = client.request("GET", f"/values/{KEY}")
        value, etag = got.body["value"], got.headers["ETag"]
        while successes < INCREMENTS:
            put = client.request("PUT", f"/values/{KEY}", {"value": value + 1},
                                 headers={"If-Match": etag})
            if put.status == 200:
                successes += 1
                in_a_row = 0
                value, etag = put.body["value"], put.headers["ETag"]
            else:  # 412 says what is current: retry from there without reading again
                assert put.status == 412, put.body
                conflicts += 1
                in_a_row += 1
                # Back off with jitter, as a CAS loop under contention should.
                time.sleep(random.uniform(0, 0.005 * 2 ** min(in_a_row, 5)))
                current = put.body["errors"]["current"][KEY]
                value, etag = current["value"], put.headers["ETag"]
                assert etag == f'"{current["version"]}"'
        return successes, conflicts

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(increment, range(THREADS)))
    successes = sum(s for s, _ in results)
    final = clients[1].request("GET", f"/values/{KEY}").body
    assert final["value"] == successes == THREADS * INCREMENTS
    log = cluster.engine.get_notifications(limit=1000, since=start, key=KEY)
    rows = []
    while log:
        rows += log
        log = cluster.engine.get_notifications(limit=1000, since=rows[-1]["revision"], key=KEY)
    assert len(rows) == successes
    assert [r["new_value"] for r in rows] == list(range(1, successes + 1))
    revisions = [r["revision"] for r in rows]
    assert revisions == sorted(set(revisions))
    workers = len({(c.instance.port, c.pid) for c in clients})
    print(f"\nCAS: {THREADS} threads on {workers} workers: {successes} increments applied, "
          f"{sum(c for _, c in results)} refused with 412 and retried")
