"""Applying planned writes: the value rows and the change-log rows of one operation, written
together in its unit of work. Every write of every kind passes through `apply`."""
from __future__ import annotations

from dataclasses import dataclass

from ..db.base import utcnow
from ..db.protocols import UnitOfWork
from ..domain import Change
from ..domain.limits import REQUEST_ID_MAX, USER_MAX, check_texts
from ..domain.state import State
from . import planning
from .planning import REMOVE, LayerWrite


@dataclass(frozen=True)
class Author:
    """Who a write is attributed to, and what it says of itself. Made before any write
    starts, so text the database could not store is refused first (UnstorableText)."""

    user: str
    description: str | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        check_texts({"user": (self.user, USER_MAX), "description": (self.description, None),
                     "request_id": (self.request_id, REQUEST_ID_MAX)})


def apply(uow: UnitOfWork, state: State, writes: list[LayerWrite], action: str,
          author: Author, default_description: str | None = None) -> list[Change]:
    """Write the value rows of `writes` and their change-log rows; returns the changes."""
    if not writes:
        return []
    rows = planning.change_rows(state, writes, action=action, user=author.user, at=utcnow(),
                                description=author.description or default_description,
                                request_id=author.request_id)
    changes = uow.changes.append_many(rows)
    uow.values.delete_many((w.key, w.source) for w in writes if w.value is REMOVE)
    uow.values.put_many([
        {"key": w.key, "source": w.source, "value": w.value, "revision": c.revision,
         "updated_at": c.timestamp, "updated_by": c.user, "description": c.description}
        for w, c in zip(writes, changes) if w.value is not REMOVE])
    return changes
