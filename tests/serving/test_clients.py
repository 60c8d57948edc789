"""Which process has which revision (issue 17), against a real two-worker server: 50
WebSocket clients of which 5 stop acknowledging; after a write, /delivery counts 45 and
names the 5, and GET /clients gives the paused ones their lag. Also a named SSE stream, the
Python client's LiveConfig, and a plain client's report. 50 clients in one asyncio process
(the full 10,000-watcher run is bench/scenarios/fanout); about 5 s per database.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import time
from datetime import datetime, timezone

import pytest
from websockets.asyncio.client import connect

from tests.e2e.conftest import server_database
from tests.serving.test_watchers import (KEY, OTHER, PREFIX, READ_TIMEOUT, call, metrics, put,
                                         token)
from tests.support.servers import server_env, serving

from lazyconfig.client import ConfigClient, LiveConfig

pytestmark = pytest.mark.slow
SECRET = "watchers-secret-that-is-long-enough-0123456789"
CLIENTS, PAUSED = 50, 5
FLUSH_WAIT = 6.0  # each worker writes its clients' acks once a second


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url):
    workdir, url = server_database(tmp_path_factory, postgres_url, "clients")
    with serving(server_env(url, workdir / "instance", SECRET),
                 workdir / "gunicorn.log") as gunicorn:
        yield gunicorn


def until(check, timeout: float = FLUSH_WAIT):
    """`check()`'s first true answer within `timeout` seconds (else the last one)."""
    end = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > end:
            return found
        time.sleep(0.2)


def clients(server) -> dict[str, dict]:
    status, body = call(server, "GET", "/clients", role="viewer")
    assert status == 200
    return {c["id"]: c for c in body["clients"]}


async def one_client(server, number: int, paused: asyncio.Event, written: asyncio.Event,
                     done: asyncio.Event) -> None:
    """Subscribe as loader-NN, ack the catch-up, then ack each change unless paused."""
    async with connect(f"ws://127.0.0.1:{server.port}{PREFIX}/notifications/ws",
                       subprotocols=["lazyconfig.v1"],
                       additional_headers={"Authorization": f"Bearer {token()}"}) as ws:
        await ws.send(json.dumps({"type": "subscribe", "client": {
            "id": f"loader-{number:02}", "host": f"host-{number % 3}", "version": "9.9"}}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), READ_TIMEOUT))
            if message["type"] == "progress":
                await ws.send(json.dumps({"type": "ack", "revision": message["revision"]}))
                break
        written.set()  # one more subscribed
        while not done.is_set():
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                continue
            revision = (message["change"]["revision"] if message["type"] == "change"
                        else message.get("revision"))
            if revision is not None and not paused.is_set():
                await ws.send(json.dumps({"type": "ack", "revision": revision}))


async def fleet(server, check) -> None:
    """Run CLIENTS sockets (the first PAUSED of them paused once subscribed) while
    `check(before)` runs on a thread; it returns once they may all hang up."""
    ready = [asyncio.Event() for _ in range(CLIENTS)]
    paused, running, done = [asyncio.Event() for _ in range(CLIENTS)], [], asyncio.Event()
    for number in range(CLIENTS):
        running.append(asyncio.create_task(
            one_client(server, number, paused[number], ready[number], done)))
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), READ_TIMEOUT)
    for event in paused[:PAUSED]:
        event.set()
    try:
        await asyncio.to_thread(check)
    finally:
        done.set()
        await asyncio.gather(*running)


def test_delivery_names_the_paused_clients_and_their_lag(server):
    before = put(server, KEY, 30.5)

    def check():
        # Everyone acked `before` on subscribing; the paused ones stop there.
        assert until(lambda: len(clients(server)) >= CLIENTS)
        committed = datetime.now(timezone.utc)
        after = put(server, KEY, 31.5)
        delivered = until(lambda: _delivery(server, after)["delivered"] == CLIENTS - PAUSED)
        answer = _delivery(server, after)
        assert delivered, answer
        assert answer["total"] == CLIENTS and answer["revision"] == after
        assert sorted(p["id"] for p in answer["pending"]) == [
            f"loader-{n:02}" for n in range(PAUSED)]
        assert {p["acked"] for p in answer["pending"]} == {before}
        assert _delivery(server, before)["delivered"] == CLIENTS  # everyone had the earlier
        # Each of the 45 acks of `after` is one delivery lag observation, on either worker.
        assert metrics(server)["lazyconfig_delivery_lag_seconds_count"] >= CLIENTS - PAUSED
        time.sleep(0.5)
        seen = clients(server)
        waited = (datetime.now(timezone.utc) - committed).total_seconds()
        for number in range(CLIENTS):
            client = seen[f"loader-{number:02}"]
            assert (client["host"], client["version"], client["transport"]) == (
                f"host-{number % 3}", "9.9", "websocket")
            if number < PAUSED:
                assert (client["acked"], client["lag_revisions"]) == (before, after - before)
                assert 0.4 < client["lag_seconds"] <= waited + 1, client
            else:
                assert (client["acked"], client["lag_revisions"]) == (after, 0)
                assert client["lag_seconds"] == 0
    asyncio.run(fleet(server, check))


def _delivery(server, revision: int) -> dict:
    status, body = call(server, "GET", f"/notifications/{revision}/delivery", role="viewer")
    assert status == 200, body
    return body


def test_sse_streams_live_configs_and_reports_name_their_clients(server):
    client = ConfigClient(f"http://127.0.0.1:{server.port}", token("viewer"))
    before = put(server, OTHER, 6)
    stream = client.watch(last_event_id=before, client_id="sse-watcher")
    with LiveConfig(client, context={"client_id": "live-7"}, transport="websocket") as live:
        changes = iter(stream)
        revision = put(server, OTHER, 7)
        assert next(changes).revision == revision
        assert live.wait_for(revision, READ_TIMEOUT)
        status, _ = call(server, "POST", "/clients/poller-1/report",
                         {"revision": revision - 1, "host": "cron", "version": "0.1"},
                         role="viewer")
        assert status == 204
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=READ_TIMEOUT)
        conn.request("GET", f"{PREFIX}/notifications?since={revision}&wait=0.2", headers={
            "Authorization": f"Bearer {token()}",
            "X-Lazyconfig-Client": "id=poll-2; host=batch; version=2.0"})
        assert conn.getresponse().status == 200
        conn.close()
        seen = until(lambda: (found := clients(server)) and found.get("sse-watcher", {}).get(
            "acked") == revision and found.get("live-7", {}).get("acked") == revision
            and "poll-2" in found and found)
        assert seen, clients(server)
    stream.close()
    assert seen["sse-watcher"]["transport"] == "sse" and seen["sse-watcher"]["host"]
    assert seen["live-7"]["transport"] == "websocket"
    assert seen["live-7"]["version"] == seen["sse-watcher"]["version"] != ""
    poller = seen["poller-1"]
    assert (poller["host"], poller["transport"], poller["acked"]) == ("cron", "report",
                                                                      revision - 1)
    assert poller["lag_revisions"] >= 1 and poller["lag_seconds"] >= 0
    assert (seen["poll-2"]["transport"], seen["poll-2"]["acked"]) == ("wait", revision)
    status, body = call(server, "POST", "/clients/%20bad/report", {"revision": 1},
                        role="viewer")
    assert status == 422 and "%20bad" not in clients(server)
