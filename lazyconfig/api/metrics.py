"""GET /metrics in the Prometheus text format: requests and latency by route and status,
the configuration revision, writes, validation failures, rollbacks and stream clients.

Writes, rollbacks and validation failures are what the engine reports (a WriteObserver, see
service/observers.py): every write this process makes counts, over HTTP or in Python, and
a write counts when it changed something.

Under gunicorn (PROMETHEUS_MULTIPROC_DIR set, see lazyconfig.multiprocess_metrics) every
worker writes its counts to shared files and a scrape of any worker sums them all; without
it (tests, a single process) the app's own registry is served.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge,
                               Histogram, generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from ..domain import Change
from ..errors import StorageUnavailable
from ..service.engine import ConfigurationEngine
from .context import engine

EXTENSION = "lazyconfig.metrics"
blp = Blueprint("metrics", __name__)
REVISION, REVISION_HELP = "lazyconfig_revision", "Current configuration revision"


class RevisionCollector:
    """The revision the serving worker has caught up to: the database's head."""

    def __init__(self, app: Flask):
        self.app = app

    def describe(self):
        # Without this, registering would call collect() before the app has its engine.
        return [GaugeMetricFamily(REVISION, REVISION_HELP)]

    def collect(self):
        with self.app.app_context():
            try:
                revision = engine().refresh()
            except StorageUnavailable:
                revision = engine().revision  # what memory serves while the database is away
        yield GaugeMetricFamily(REVISION, REVISION_HELP, value=revision)


class Metrics:
    """The app's instruments, registered on a registry of its own; a WriteObserver of the
    engine it serves."""

    def __init__(self, app: Flask):
        self.registry = CollectorRegistry(auto_describe=True)
        self.revision = RevisionCollector(app)
        self.registry.register(self.revision)
        on = {"registry": self.registry}
        self.requests = Counter("lazyconfig_http_requests", "HTTP requests answered",
                                ["route", "method", "status"], **on)
        self.latency = Histogram("lazyconfig_http_request_duration_seconds",
                                 "Time to answer an HTTP request (to its headers)",
                                 ["route", "method", "status"], **on)
        self.writes = Counter("lazyconfig_writes", "Configuration writes applied",
                              ["operation"], **on)
        self.validation_failures = Counter(
            "lazyconfig_validation_failures", "Writes and validations refused by a rule",
            ["operation"], **on)
        self.rollbacks = Counter("lazyconfig_rollbacks", "Rollbacks to a snapshot applied", **on)
        self.stream_clients = Gauge("lazyconfig_stream_clients",
                                    "Clients connected to the change stream", **on,
                                    multiprocess_mode="livesum")
        self.watchers = Gauge("lazyconfig_watchers", "Clients watching for changes on a "
                              "worker's event loop, by transport (sse, wait, websocket)",
                              ["transport"], **on, multiprocess_mode="livesum")
        self.fanout_lag = Histogram(
            "lazyconfig_fanout_lag_seconds", "From a change's commit to its being queued "
            "for every watcher of a worker (one observation per change and worker)",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), **on)
        self.delivery_lag = Histogram(
            "lazyconfig_delivery_lag_seconds", "From a change's commit to a named client's "
            "acknowledging it (WebSocket ack, or SSE event handed to the transport)",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), **on)

    def on_write(self, action: str, keys: list[str], revision: int) -> None:
        self.writes.labels(action).inc()
        if action == "rollback":
            self.rollbacks.inc()

    def on_refused(self, action: str, keys: list[str]) -> None:
        self.validation_failures.labels(action).inc()

    def streaming(self, response: Response) -> Response:
        """Count `response`, a change stream, as a connected client until it closes."""
        self.stream_clients.inc()
        response.call_on_close(self.stream_clients.dec)
        return response

    @contextmanager
    def watching(self, transport: str) -> Iterator[None]:
        """Count a watcher of `transport` (an event stream also as a stream client) while
        in the block."""
        gauges = [self.watchers.labels(transport)]
        if transport == "sse":
            gauges.append(self.stream_clients)
        for gauge in gauges:
            gauge.inc()
        try:
            yield
        finally:
            for gauge in gauges:
                gauge.dec()

    def fanned_out(self, change: Change) -> None:
        """`change` is queued for every watcher of this worker: observe how long it took."""
        self.fanout_lag.observe(max(time.time() - change.timestamp.timestamp(), 0.0))

    def exposition(self) -> bytes:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(self.revision)
        return generate_latest(registry)


def metrics() -> Metrics:
    return current_app.extensions[EXTENSION]


def init_app(app: Flask, configuration_engine: ConfigurationEngine) -> None:
    app.extensions[EXTENSION] = instruments = Metrics(app)
    configuration_engine.observers.add(instruments)
    app.register_blueprint(blp)


@blp.get("/metrics")
def scrape():
    """Prometheus text exposition; no token (keep it on a private network or behind the
    proxy's access rules)."""
    return Response(metrics().exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})
