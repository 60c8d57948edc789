"""Preconditions a caller sends (If-Match, expected versions, an expected revision): honoured
when sent, never required. A failed one is 412, and the body says what is current now, so a
compare-and-set loop can retry without reading first."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, NoReturn

from flask_smorest import abort

from ..errors import Conflict
from . import presenters
from .context import engine

PRECONDITION_FAILED = ("a precondition you sent failed; `errors.current` holds the current "
                       "`{key: {version, value}}` (or `{revision}`) to retry with")


@contextmanager
def preconditions(sent: bool):
    """Within: a Conflict from the engine becomes 412 when the caller sent a precondition
    (without one, a Conflict is not the caller's doing and keeps its 409)."""
    try:
        yield
    except Conflict as exc:
        if not sent:
            raise
        precondition_failed(exc)


def precondition_failed(exc: Conflict) -> NoReturn:
    headers: dict[str, str] = {}
    current: dict[str, Any]
    if isinstance(exc.current, dict):  # {key: version} of the keys that moved
        entries = {key: engine().get_entry(key) for key in exc.current}
        if any(entries[key].version < version for key, version in exc.current.items()):
            # Refused under the write lock, by a database newer than our memory: read it.
            engine().refresh()
            entries = {key: engine().get_entry(key) for key in exc.current}
        shown = presenters.redaction()
        current = {key: {"version": e.version, "value": shown.value(key, e.value)}
                   for key, e in entries.items()}
        if len(entries) == 1:
            headers["ETag"] = f'"{next(iter(entries.values())).version}"'
    else:
        current = {"revision": exc.current}
    abort(412, message=f"precondition failed: {exc.message}", errors={"current": current},
          headers=headers)
