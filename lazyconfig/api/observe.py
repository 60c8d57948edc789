"""Each request's log line (method, path, status, duration, user, request id) and its
request and latency metrics; what a request did to the configuration is counted where it
happens (api/metrics.py hears it from the engine)."""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from .metrics import metrics

log = logging.getLogger("lazyconfig.requests")


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
    log.info("%s %s %s %.1fms", request.method, request.path, status, elapsed * 1000, extra={
        "fields": {"event": "request", "method": request.method, "path": request.path,
                   "status": response.status_code, "duration_ms": round(elapsed * 1000, 2),
                   "user": g.get("user"), "request_id": g.get("request_id")}})
    return response
