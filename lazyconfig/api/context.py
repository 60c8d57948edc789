"""What a view needs from the request: the engine, the request id and the caller's view."""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, current_app, g, request

from ..auth import role_at_least
from ..domain.targeting import parse_context
from ..errors import SchemaMoved, StorageUnavailable
from ..service.engine import ConfigurationEngine
from ..settings import Settings

log = logging.getLogger(__name__)
EXTENSION = "lazyconfig"
SETTINGS = "lazyconfig.settings"
OUTAGE = "lazyconfig.outage"  # {"until": monotonic time}: skip catching up before then
STALE_HEADER = "X-Lazyconfig-Stale"
CONTEXT_HEADER = "X-Lazyconfig-Context"
CATCH_UP_PAUSE = 2.0  # seconds without catch-up attempts after one failed
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # fullmatch: `$` would let "id\n" in


def engine() -> ConfigurationEngine:
    """The ConfigurationEngine this app serves."""
    return current_app.extensions[EXTENSION]


def request_id() -> str:
    return g.request_id


def request_context(query: dict) -> dict:
    """The caller's context: the `context` query parameter, else the X-Lazyconfig-Context
    header, else {}; InvalidDocument (422) for one that is not a context."""
    given = query.get("context")
    return parse_context(given if given is not None else request.headers.get(CONTEXT_HEADER))


def sees_sensitive() -> bool:
    """Only admins see sensitive values unmasked (the role api.auth.authorize verified)."""
    return role_at_least(g.get("role"), "admin")


def settings(app: Flask | None = None) -> Settings:
    """The Settings the app was built with."""
    return (app or current_app).extensions[SETTINGS]


def init_app(app: Flask, configuration_engine: ConfigurationEngine, settings: Settings) -> None:
    app.extensions[EXTENSION] = configuration_engine
    app.extensions[SETTINGS] = settings
    app.extensions[OUTAGE] = {"until": 0.0}
    app.before_request(_start_request)
    app.after_request(_tag_response)


def _start_request() -> None:
    # Keep a caller's X-Request-ID when it is harmless to log, so traces line up.
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if _SAFE_ID.fullmatch(offered) else uuid.uuid4().hex


def catch_up() -> None:
    """Before a view reads: memory follows other workers' writes by polling or LISTEN;
    catching up first means a read that follows an acknowledged write on any worker sees
    it. Under a read lease that proof comes from memory; without one it costs one indexed
    query, and no lock when nothing changed (docs/architecture.md, Consistency)."""
    # If the database is down, or its tables moved, we keep serving what memory holds, say
    # so in a header, and do not try again for a moment: an unreachable host must not add a
    # connect timeout to every read. /readyz says which (docs/architecture.md).
    outage = current_app.extensions[OUTAGE]
    if time.monotonic() < outage["until"]:
        g.stale = True
        return
    try:
        engine().catch_up()
    except (StorageUnavailable, SchemaMoved) as exc:
        outage["until"] = time.monotonic() + CATCH_UP_PAUSE
        g.stale = True
        log.warning("could not catch up with the database before a request: %s", exc)


def _tag_response(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if g.get("stale"):
        # Served from memory while the database is unreachable: possibly not the newest.
        response.headers[STALE_HEADER] = "true"
    return response
