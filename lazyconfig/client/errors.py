"""What a failed call raises: one exception per kind of answer, each carrying the server's
message, its per-field `errors`, the HTTP status and the request id to quote."""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """The server refused or failed a call (status None: it could not be reached, or its
    answer could not be read)."""

    def __init__(self, message: str, status: int | None = None,
                 errors: dict[str, Any] | None = None, request_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors or {}
        self.request_id = request_id


class ValidationFailed(ApiError):
    """400: a value breaks its rule; nothing was changed."""


class Unauthorized(ApiError):
    """401: no token, or a bad or expired one."""


class Forbidden(ApiError):
    """403: the token's role is too low."""


class NotFound(ApiError):
    """404: no such key or snapshot."""


class Conflict(ApiError):
    """409 or 412: the configuration changed since you read it."""


class Gone(ApiError):
    """410: the revision asked for is older than the server's change log keeps; read the
    current state again (`errors["first_kept_revision"]` is the oldest one it can answer)."""


class MalformedRequest(ApiError):
    """422: the request itself is not well formed."""


class ServiceUnavailable(ApiError):
    """503, or no answer at all: try again later."""


class ServerError(ApiError):
    """500 and other server failures; quote `request_id` when reporting it."""


class MalformedResponse(ApiError):
    """The answer is not the JSON the client expects (a field missing or of the wrong type):
    most likely a server of another version. Not a ServerError, because retrying the same
    call, or resuming a stream, would read the same answer again."""


BY_STATUS: dict[int, type[ApiError]] = {400: ValidationFailed, 401: Unauthorized, 403: Forbidden, 404: NotFound,
             409: Conflict, 410: Gone, 412: Conflict, 422: MalformedRequest, 503: ServiceUnavailable}


def error_for(status: int, body: Any, request_id: str | None) -> ApiError:
    """The exception for an error answer in the API's {code, status, message, errors} shape."""
    body = body if isinstance(body, dict) else {}
    message = body.get("message") or f"HTTP {status}"
    kind = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(message, status, body.get("errors"), request_id)
