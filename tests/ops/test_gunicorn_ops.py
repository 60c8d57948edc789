"""Operations on a real gunicorn with two workers: /metrics sums every worker's counts, the
probes answer, and each request leaves one JSON log line with its request id."""
from __future__ import annotations

import threading

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from lazyconfig.auth import create_token
from lazyconfig.client import ConfigClient

from .live_server import eventually, live_server

pytestmark = pytest.mark.slow
PREFIX = "/api/lazy-loading-config"
VALUE_ROUTE = f"{PREFIX}/values/<string:key>"
TIMEOUT = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url):
    yield from live_server(tmp_path_factory, postgres_url)


def get(server, path, token, request_id):
    # requests.get opens a fresh connection each time, so the workers share the traffic.
    return requests.get(f"{server.url}{PREFIX}{path}", timeout=TIMEOUT, headers={
        "Authorization": f"Bearer {token}", "X-Request-ID": request_id})


def samples(server) -> dict[tuple, float]:
    text = requests.get(f"{server.url}/metrics", timeout=TIMEOUT).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_add_up_every_workers_requests(server):
    viewer, editor = server.token("vera", "viewer"), server.token("ed", "editor")
    sent, pids = 0, set()
    while len(pids) < 2 and sent < 200:  # until both workers have answered some
        for _ in range(10):
            assert get(server, "/values/load_timeout", viewer, f"count-{sent}").status_code == 200
            sent += 1
        pids = {line["pid"] for line in server.json_lines()
                if str(line.get("request_id", "")).startswith("count-")}
    assert len(pids) == 2, "the traffic never reached the second worker"
    for value in (5.0, 6.0, -1):
        requests.put(f"{server.url}{PREFIX}/values/load_timeout", json={"value": value},
                     headers={"Authorization": f"Bearer {editor}"}, timeout=TIMEOUT)

    counts = samples(server)

    def count(name, **labels):
        return counts.get((name, tuple(sorted(labels.items()))), 0.0)
    assert count("lazyconfig_http_requests_total", route=VALUE_ROUTE, method="GET",
                 status="200") == sent
    assert count("lazyconfig_http_request_duration_seconds_count", route=VALUE_ROUTE,
                 method="GET", status="200") == sent
    assert count("lazyconfig_writes_total", operation="set") == 2
    assert count("lazyconfig_validation_failures_total", operation="set") == 1
    head = requests.get(f"{server.url}/readyz", timeout=TIMEOUT).json()["revision"]
    assert count("lazyconfig_revision") == head == 2


def test_probes_and_one_json_line_per_request(server):
    assert requests.get(f"{server.url}/healthz", timeout=TIMEOUT).status_code == 200
    ready = requests.get(f"{server.url}/readyz", timeout=TIMEOUT)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"

    response = get(server, "/values/max_concurrent_loads", server.token("tess", "viewer"),
                   "one-line-please")
    assert response.headers["X-Request-ID"] == "one-line-please"
    lines = [line for line in server.json_lines() if line.get("request_id") == "one-line-please"]
    assert len(lines) == 1
    assert {k: lines[0][k] for k in ("event", "method", "path", "status", "user")} == {
        "event": "request", "method": "GET", "path": f"{PREFIX}/values/max_concurrent_loads",
        "status": 200, "user": "tess"}
    assert lines[0]["duration_ms"] > 0


def test_stream_clients_are_counted_across_workers_while_connected(server):
    def connected() -> float:
        return samples(server).get(("lazyconfig_stream_clients", ()), -1.0)

    # A stream ends when its token expires; short tokens make the server end these soon
    # (it learns of a client's own disconnect only at its next heartbeat).
    client = ConfigClient(server.url, create_token(server.secret, "sse", "viewer", 4))
    assert connected() == 0
    streams = [client.watch() for _ in range(3)]
    readers = [threading.Thread(target=lambda s=s: list(s), daemon=True) for s in streams]
    for reader in readers:
        reader.start()
    try:
        assert eventually(lambda: all(s.connected.is_set() for s in streams))
        assert eventually(lambda: connected() == 3)
    finally:
        for stream in streams:
            stream.close()
    for reader in readers:
        reader.join(timeout=5)
    assert eventually(lambda: connected() == 0, timeout=10)


def test_a_chunked_body_meets_the_same_limit_as_a_sized_one(server):
    """gunicorn ends a chunked body itself; werkzeug used to read it only up to the limit
    and parse what it had, so a body over the limit was "not valid JSON" (422)."""
    editor = {"Authorization": f"Bearer {server.token('ed', 'editor')}",
              "Content-Type": "application/json"}
    limit = 1024 * 1024

    def chunked(text: str):
        data = text.encode()
        return (data[i:i + 65536] for i in range(0, len(data), 65536))

    url = f"{server.url}{PREFIX}/values/load_timeout"
    over = '{"value": 7.0, "description": "' + "x" * limit + '"}'
    response = requests.put(url, data=chunked(over), headers=editor, timeout=TIMEOUT)
    assert response.status_code == 413 and response.json()["code"] == 413
    within = '{"value": 7.0, "description": "' + "x" * (limit - 100) + '"}'
    response = requests.put(url, data=chunked(within), headers=editor, timeout=TIMEOUT)
    assert response.status_code == 200 and response.json()["value"] == 7.0
