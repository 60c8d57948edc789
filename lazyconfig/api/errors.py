"""The one place where lazyconfig's exceptions become HTTP answers, in flask-smorest's
{code, status, message, errors} shape. Nothing under /api answers with an HTML page."""
from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, g, request

from .. import errors

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "5"  # on a 503 for an unavailable database

STATUS = {  # most specific first
    errors.UnknownKey: 404,
    errors.SnapshotNotFound: 404,
    errors.ValidationFailed: 400,
    errors.InvalidSource: 400,
    errors.InvalidDocument: 422,
    errors.Conflict: 409,
    errors.StorageUnavailable: 503,
    errors.ConfigurationError: 400,
}


def body(code: int, message: str, errors_: dict | None = None) -> dict:
    payload = {"code": code, "status": HTTPStatus(code).phrase, "message": message}
    if errors_ is not None:
        payload["errors"] = errors_
    return payload


def _configuration_error(exc: errors.ConfigurationError):
    code = next(status for kind, status in STATUS.items() if isinstance(exc, kind))
    detail = None
    if isinstance(exc, errors.ValidationFailed):
        detail = exc.errors  # per-key messages
    elif isinstance(exc, errors.InvalidSource):
        detail = {"source": [exc.message]}
    # Retry soon: reads keep answering from memory meanwhile, and we reconnect on our own.
    headers = ({"Retry-After": RETRY_AFTER_SECONDS}
               if isinstance(exc, errors.StorageUnavailable) else {})
    return body(code, exc.message, detail), code, headers


def _unexpected_error(exc: Exception):
    # Log everything, answer nothing internal: the request id joins the two.
    rid = g.get("request_id", "-")
    log.exception("unhandled error [request_id=%s] %s %s", rid, request.method, request.path)
    message = f"internal server error; quote request id {rid} when reporting it"
    return body(500, message), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(errors.ConfigurationError, _configuration_error)
    # Exception handlers rank by class hierarchy, so HTTPExceptions still reach
    # flask-smorest's handler; only true surprises come here.
    app.register_error_handler(Exception, _unexpected_error)
