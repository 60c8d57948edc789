"""Handing a waiting request over to the event loop once the app has admitted it.

The Flask view checks the token, the role, the query and the resume point as for any
request; when lazyconfig's asyncio front (lazyconfig/serving/streams.py) serves it, the
view then gives the front a plan instead of waiting on its thread, and the front waits on
its loop, where a watcher costs a socket and a small buffer, not a thread. Without the front
(Flask's test client, another WSGI server) the view waits on its thread as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from flask import Flask

from ...service.clients import ClientName
from ...service.engine import ConfigurationEngine
from ..auth import authorize, current_caller, still_valid_check
from ..context import engine, sees_sensitive

# The key under which the front puts itself in the request's ASGI scope (environ["asgi.scope"]).
FRONT = "lazyconfig.front"


@dataclass(frozen=True)
class StreamPlan:
    """An admitted event stream: the changes (of `key`, or all, of the keys the caller's
    scope `admits`) after `cursor` (None: from now on), masked unless `include_sensitive`,
    for `lifetime` seconds (the token's), ended once `still_valid()` says the token was
    revoked; a named `client` has acknowledged what the transport was handed."""
    engine: ConfigurationEngine
    key: str | None
    cursor: int | None
    include_sensitive: bool
    lifetime: float
    still_valid: Callable[[], bool] = lambda: True
    admits: Callable[[str], bool] = lambda _key: True
    client: ClientName | None = None  # who the watcher says it is (X-Lazyconfig-Client)


@dataclass(frozen=True)
class WaitPlan:
    """An admitted blocking query that found nothing after revision `seen`: wake it when a
    change (of `key`) comes after `seen`, within `wait` seconds; the app then answers it
    again, without waiting."""
    engine: ConfigurationEngine
    key: str | None
    seen: int
    wait: float
    still_valid: Callable[[], bool] = lambda: True


class Front(Protocol):
    waited: bool  # this request already waited: answer it now

    def take(self, plan: StreamPlan | WaitPlan) -> None:
        """Accept the plan (FeedBusy when the worker holds as many watchers as it may)."""

    def drop(self) -> None:
        """Give the plan up: the request is answered now."""


def front(environ: Mapping[str, Any]) -> Front | None:
    """The asyncio front serving this request, if any."""
    return environ.get("asgi.scope", {}).get(FRONT)


@dataclass(frozen=True)
class Admission:
    """The app's answer to a WebSocket's opening request: 200 with who may see what until
    when, or the error answer (status, headers, body) to refuse it with."""
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    engine: ConfigurationEngine | None = None
    include_sensitive: bool = False
    expires: float = 0.0  # the token's exp, in seconds since the epoch (inf: never)
    still_valid: Callable[[], bool] = lambda: True  # False once the token is revoked
    admits: Callable[[str], bool] = lambda _key: True  # the keys its scope admits


def admit_watcher(app: Flask, path: str, authorization: str) -> Admission:
    """Check `authorization` (a Bearer token) and the viewer role for `path` exactly as
    every route does, outside a route (a WebSocket is no WSGI request)."""
    with app.test_request_context(path, headers={"Authorization": authorization}):
        try:
            authorize("viewer")
        except Exception as exc:  # the app's own error answers: 401, 403
            response = app.make_response(app.handle_user_exception(exc))
            return Admission(response.status_code,
                             [(k.lower().encode("latin-1"), v.encode("latin-1"))
                              for k, v in response.headers.items()], response.get_data())
        caller = current_caller()
        expires = float("inf") if caller.expires_at is None else caller.expires_at
        return Admission(200, [], b"", engine(), sees_sensitive(), expires,
                         still_valid_check(caller), caller.may_use)
