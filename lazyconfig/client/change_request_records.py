"""Change-request records: a write held for approval (or scheduled), and the exception a
value write raises when the server holds it instead of applying it. Read as records.py
explains."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from .json_object import JsonObject, Record


@dataclass(frozen=True, kw_only=True)
class ChangeRequest(Record):
    """A change request: what it would write (`diff`), against which versions, who asked
    and who approved its present content, and where it stands (`state`)."""

    id: int
    state: str
    author: str
    diff: tuple[dict[str, Any], ...]
    expected_versions: dict[str, Any]
    approvals_needed: int
    approved_by: tuple[str, ...]
    scheduled_at: datetime | None
    reason: str | None
    applied_revision: int | None

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(id=read.integer("id"), state=read.text("state"), author=read.text("author"),
                   diff=tuple(read.value("diff")), expected_versions=read.mapping(
                       "expected_versions"), approvals_needed=read.integer("approvals_needed"),
                   approved_by=read.strings("approved_by"),
                   scheduled_at=read.optional_moment("scheduled_at"),
                   reason=read.optional_text("reason"),
                   applied_revision=read.optional_integer("applied_revision"), json=read.data)


class ChangeRequested(Exception):
    """A value write the server held as a change request (202) instead of applying it: a
    policy covers one of its keys, or it carries `scheduled_at`. Nothing was written yet;
    `.change_request` says what will be, once approved."""

    def __init__(self, change_request: ChangeRequest):
        super().__init__(f"held as change request {change_request.id} "
                         f"({change_request.state})")
        self.change_request = change_request


def written_or_held(answer: Any) -> Any:
    """`answer` as it is, unless it is a change request: then ChangeRequested."""
    if isinstance(answer, dict) and "content_hash" in answer and "approvals_needed" in answer:
        raise ChangeRequested(ChangeRequest.from_json(answer))
    return answer
