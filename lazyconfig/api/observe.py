"""Each request's log line (method, path, status, duration, user, request id) and its
request and latency metrics; what a request did to the configuration is counted where it
happens (api/metrics.py hears it from the engine)."""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from .metrics import metrics

log = logging.getLogger("lazyconfig.requests")
# Every label takes its values from a fixed set, so no client can grow /metrics: routes are
# the app's URL rules (or "unmatched"), other methods are "other", and a status outside
# what the API answers is counted by its class ("5xx").
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
STATUSES = frozenset({200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 412, 413, 415,
                      422, 428, 500, 503})


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _route() -> str:
    # The rule, not the path: /values/<string:key> is one series however many keys exist.
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def _method() -> str:
    # A client may send any word as a method: each would be a new series kept for ever.
    return request.method if request.method in METHODS else "other"


def _status(code: int) -> str:
    if code in STATUSES:
        return str(code)
    return f"{code // 100}xx" if 100 <= code < 600 else "other"


def _start() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    labels = _route(), _method(), _status(response.status_code)
    instruments = metrics()
    instruments.requests.labels(*labels).inc()
    instruments.latency.labels(*labels).observe(elapsed)
    fields = {"event": "request", "method": request.method, "path": request.path,
              "status": response.status_code, "duration_ms": round(elapsed * 1000, 2),
              "user": g.get("user"), "request_id": g.get("request_id")}
    log.info("%s %s %s %.1fms", request.method, request.path, response.status_code,
             elapsed * 1000, extra={"fields": fields})
    return response
