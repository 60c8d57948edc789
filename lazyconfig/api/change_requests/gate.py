"""The four-eyes gate of the value writes (PUT and DELETE /values/{key}, POST
/values/batch): a write to a key a policy covers, or one carrying `scheduled_at`, becomes a
change request (202); an admin's write with the break-glass header applies now and is kept
for review (201). Other writes go on as asked."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from flask import jsonify, request
from flask_smorest import abort

from ...auth import role_at_least
from ...service.change_requests import approvers
from ..auth import current_caller, current_user
from ..context import engine, request_id
from ..presenters import redaction
from .schemas import ChangeRequestSchema

BREAK_GLASS_HEADER = "X-Lazyconfig-Break-Glass"
BREAK_GLASS_PARAMETER = {
    "in": "header", "name": BREAK_GLASS_HEADER, "required": False,
    "schema": {"type": "string", "maxLength": 2000},
    "description": "admins only: the reason to apply a write a policy holds now; it is "
                   "kept for review (201 with the change request)"}
HELD = "the write needs approval (or is scheduled): the change request it became"
BROKE_GLASS = "an admin's break-glass write: applied, and kept for review"


def shown(record: Mapping[str, Any]) -> dict[str, Any]:
    """A change request as this caller may see it (sensitive values masked)."""
    masked = redaction()
    return {**record, "approved_by": approvers(record),
            "updates": [{**u, "value": masked.value(u["key"], u["value"])} if "value" in u
                        else dict(u) for u in record["updates"]],
            "diff": [{**d, "before": masked.value(d["key"], d["before"]),
                      "after": masked.value(d["key"], d["after"])} for d in record["diff"]]}


def answer(record: Mapping[str, Any], status: int):
    """A change request as the body of a `status` answer (bypassing the view's schema)."""
    return jsonify(ChangeRequestSchema().dump(shown(record))), status


def held(updates: Iterable[tuple[str, Any, str | None]] = (), unsets: Iterable[str] = (), *,
         source: str = "runtime", description: str | None = None,
         expected: Mapping[str, int] | None = None, scheduled_at: datetime | None = None):
    """The answer for a write that is held or broke glass, or None when it goes on."""
    updates, unsets = list(updates), list(unsets)
    keys = [key for key, _, _ in updates] + unsets
    reason = request.headers.get(BREAK_GLASS_HEADER)
    if reason is not None and not role_at_least(current_caller().role, "admin"):
        abort(403, message=f"only an admin may send {BREAK_GLASS_HEADER}")
    if reason is None and scheduled_at is None and not engine().approvals_needed(keys):
        return None
    record = engine().propose([(key, value, None) for key, value, _ in updates],
                              unsets=unsets, source=source, user=current_user(),
                              description=description, expected_versions=expected,
                              scheduled_at=scheduled_at, request_id=request_id(),
                              break_glass=reason)
    return answer(record, 201 if reason is not None else 202)
