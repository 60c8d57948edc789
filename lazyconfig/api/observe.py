"""Every request, observed once: one JSON log line (method, path, status, duration, user,
request id) and its metrics (requests, latency, writes, validation failures, rollbacks,
stream clients)."""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from .metrics import metrics

log = logging.getLogger("lazyconfig.requests")

# (endpoint, method) of each write, and the operation it counts as.
WRITES = {
    ("values.Value", "PUT"): "set", ("values.Value", "DELETE"): "unset",
    ("values.Batch", "POST"): "batch", ("values.Revert", "POST"): "revert",
    ("snapshots.Rollback", "POST"): "rollback", ("configuration.Reset", "POST"): "reset",
    ("configuration.Import", "POST"): "import", ("rules.Rule", "PUT"): "rule",
}
VALIDATE = ("validation.Validate", "POST")
STREAM = "notifications.NotificationStream"


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _route() -> str:
    # The rule, not the path: /values/<string:key> is one series however many keys exist.
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def _start() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    route, status = _route(), str(response.status_code)
    instruments = metrics()
    instruments.requests.labels(route, request.method, status).inc()
    instruments.latency.labels(route, request.method, status).observe(elapsed)
    _count_configuration_effects(instruments, response)
    if request.endpoint == STREAM and response.status_code == 200:
        instruments.stream_clients.inc()
        response.call_on_close(instruments.stream_clients.dec)
    log.info("%s %s %s %.1fms", request.method, request.path, status, elapsed * 1000, extra={
        "fields": {"event": "request", "method": request.method, "path": request.path,
                   "status": response.status_code, "duration_ms": round(elapsed * 1000, 2),
                   "user": g.get("user"), "request_id": g.get("request_id")}})
    return response


def _count_configuration_effects(instruments, response: Response) -> None:
    operation = WRITES.get((request.endpoint, request.method))
    if (request.endpoint, request.method) == VALIDATE:
        body = response.get_json(silent=True) or {}
        if body.get("is_valid") is False:
            instruments.validation_failures.labels("validate").inc()
        return
    if operation is None:
        return
    if response.status_code == 400:
        instruments.validation_failures.labels(operation).inc()
    elif response.status_code < 300 and not (response.get_json(silent=True) or {}).get("dry_run"):
        instruments.writes.labels(operation).inc()
        if operation == "rollback":
            instruments.rollbacks.inc()
