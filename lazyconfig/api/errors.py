"""The one place where errors become HTTP answers, all in flask-smorest's
{code, status, message, errors} shape (`errors` only when there are details): lazyconfig's
exceptions, HTTP exceptions (abort(), unknown routes, 405, 413, webargs' 422), token
failures and surprises. Nothing under /api answers with an HTML page."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .. import errors
from . import presenters

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "5"  # on a 503 that may pass: the database or the change feed
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lazyconfig"'}
Answer = tuple[dict[str, Any], int, Mapping[str, str]]

STATUS = {  # most specific first
    errors.UnknownKey: 404,
    errors.SnapshotNotFound: 404,
    errors.TemplateNotFound: 404,
    errors.TokenNotFound: 404,
    errors.BackupNotFound: 404,
    errors.DatabaseNotEmpty: 409,
    errors.ExperimentNotFound: 404,
    errors.ChangeRequestNotFound: 404,
    errors.NotAllowed: 403,
    errors.RolloutNotFound: 404,
    errors.UnstorableText: 422,
    errors.ValidationFailed: 400,
    errors.InvalidSource: 400,
    errors.ChangeLogCompacted: 410,
    errors.InvalidDocument: 422,
    errors.InvalidParameter: 422,
    errors.PreconditionFailed: 412,
    errors.Conflict: 409,
    errors.Unavailable: 503,
    errors.NotReady: 503,
    errors.SecretError: 500,
    errors.ConfigurationError: 400,
}


def answer(code: int, message: str, detail: Any = None,
           headers: Mapping[str, str] | None = None) -> Answer:
    """The one builder of an error answer: ({code, status, message[, errors]}, code, headers)."""
    payload = {"code": code, "status": HTTP_STATUS_CODES[code], "message": message}
    if detail is not None:
        payload["errors"] = detail
    return payload, code, dict(headers or {})


def unauthorized(message: str) -> Answer:
    """401, with the challenge that says a Bearer token is wanted."""
    return answer(401, message, headers=BEARER_CHALLENGE)


def configuration_error(exc: errors.ConfigurationError) -> Answer:
    """The answer to one of lazyconfig's own errors."""
    code = next(status for kind, status in STATUS.items() if isinstance(exc, kind))
    if isinstance(exc, errors.PreconditionFailed):
        return _precondition_failed(exc)
    detail = None
    if isinstance(exc, errors.ValidationFailed):
        detail = exc.errors  # per-key messages
    elif isinstance(exc, errors.ChangeLogCompacted):
        detail = {"first_kept_revision": exc.first_kept_revision}
    elif isinstance(exc, errors.InvalidSource):
        detail = {"source": [exc.message]}
    # Retry soon: reads keep answering from memory meanwhile, and we reconnect on our own.
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if isinstance(exc, errors.Unavailable) else {}
    return answer(code, exc.message, detail, headers)


def _precondition_failed(exc: errors.PreconditionFailed) -> Answer:
    """412 saying what is current now (values masked as the caller sees them), and for one
    key its ETag, so a compare-and-set loop can retry without reading first."""
    if exc.entries is None:
        return answer(412, f"precondition failed: {exc.message}", {"current": {
            "revision": exc.current}})
    shown = presenters.redaction()
    current = {key: {"version": e.version, "value": shown.value(key, e.value)}
               for key, e in exc.entries.items()}
    headers = ({"ETag": f'"{next(iter(exc.entries.values())).version}"'}
               if len(exc.entries) == 1 else {})
    return answer(412, f"precondition failed: {exc.message}", {"current": current}, headers)


def http_exception(error: HTTPException) -> Answer:
    """flask-smorest's abort() (its message, errors and headers), webargs' 422 and
    werkzeug's own errors, which come without a message: we always give one."""
    data = getattr(error, "data", None) or {}
    detail = data.get("errors", data.get("messages"))
    message = data.get("message") or _summary(detail) or error.description
    if error.code == 413:
        message = ("the request body is larger than the limit of "
                   f"{current_app.config['MAX_CONTENT_LENGTH']} bytes")
    return answer(error.code, message, detail, data.get("headers"))


def _summary(detail: Any, limit: int = 500) -> str:
    """`json.value: Missing data for required field.` for each field that failed."""
    def walk(node, path):
        if isinstance(node, dict):
            for name, child in node.items():
                yield from walk(child, f"{path}.{name}" if path else str(name))
        elif isinstance(node, list) and all(isinstance(m, str) for m in node):
            yield f"{path}: {' '.join(node)}"
        else:
            yield f"{path}: {node}"
    if not detail:
        return ""
    text = "; ".join(walk(detail, ""))
    return "invalid request: " + (text if len(text) <= limit else text[:limit] + "…")


def _unexpected_error(exc: Exception) -> Answer:
    # Log everything, answer nothing internal: the request id joins the two.
    rid = g.get("request_id", "-")
    log.exception("unhandled error [request_id=%s] %s %s", rid, request.method, request.path)
    return answer(500, f"internal server error; quote request id {rid} when reporting it")


def init_app(app: Flask) -> None:
    app.register_error_handler(errors.ConfigurationError, configuration_error)
    # Exception handlers rank by class hierarchy, so HTTPExceptions still reach
    # flask-smorest's handler (Api.handle_http_exception); only true surprises come here.
    app.register_error_handler(Exception, _unexpected_error)
