"""Change policies and change requests (db/change_request_models.py). A request moves
between states only by a conditional UPDATE (`move`): of two processes moving the same
request, exactly one sees a row changed."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..change_request_models import ChangePolicyRow, ChangeRequestRow

REQUEST_FIELDS = ("id", "state", "author", "created_at", "updated_at", "description", "source",
                  "updates", "expected_versions", "diff", "content_hash", "approvals_needed",
                  "approvals", "scheduled_at", "break_glass", "reason", "decided_by",
                  "applied_at", "applied_revision", "applied_by")


def _request(row: ChangeRequestRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in REQUEST_FIELDS}


class ChangePolicyRepository:
    """The policy rules, replaced whole by `PUT /policies`."""

    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(ChangePolicyRow).order_by(ChangePolicyRow.id))
        return [{"pattern": r.pattern, "approvals": r.approvals, "created_at": r.created_at,
                 "created_by": r.created_by} for r in rows]

    def replace(self, rules: Iterable[tuple[str, int]], at: datetime, by: str | None) -> None:
        self.session.execute(delete(ChangePolicyRow))
        self.session.add_all(ChangePolicyRow(pattern=pattern, approvals=approvals,
                                             created_at=at, created_by=by)
                             for pattern, approvals in rules)


class ChangeRequestRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, **fields: Any) -> dict[str, Any]:
        row = ChangeRequestRow(**fields)
        self.session.add(row)
        self.session.flush()
        return _request(row)

    def find(self, request_id: int) -> dict[str, Any] | None:
        row = self.session.get(ChangeRequestRow, request_id)
        return None if row is None else _request(row)

    def page(self, state: str | None, limit: int,
             offset: int) -> tuple[list[dict[str, Any]], int]:
        """Newest first, of one state or all, and how many there are."""
        chosen = select(ChangeRequestRow)
        counted = select(func.count()).select_from(ChangeRequestRow)
        if state is not None:
            chosen = chosen.where(ChangeRequestRow.state == state)
            counted = counted.where(ChangeRequestRow.state == state)
        rows = self.session.scalars(chosen.order_by(ChangeRequestRow.id.desc())
                                    .limit(limit).offset(offset))
        return [_request(row) for row in rows], self.session.scalar(counted)

    def move(self, request_id: int, from_states: Iterable[str], if_hash: str | None = None,
             **values: Any) -> bool:
        """Set `values` if the request is still in one of `from_states` (and, when given,
        still has the content hash `if_hash`); True when this call moved it."""
        where = [ChangeRequestRow.id == request_id,
                 ChangeRequestRow.state.in_(list(from_states))]
        if if_hash is not None:
            where.append(ChangeRequestRow.content_hash == if_hash)
        done = self.session.execute(update(ChangeRequestRow).where(*where).values(**values)
                                    .execution_options(synchronize_session=False))
        return done.rowcount == 1

    def due(self, now: datetime, limit: int = 100) -> list[int]:
        """Ids of approved requests scheduled at `now` or before, the earliest first."""
        return list(self.session.scalars(
            select(ChangeRequestRow.id).where(ChangeRequestRow.state == "approved",
                                              ChangeRequestRow.scheduled_at <= now)
            .order_by(ChangeRequestRow.scheduled_at).limit(limit)))

    def next_due(self) -> datetime | None:
        """The earliest schedule of an approved request, or None."""
        return self.session.scalar(select(func.min(ChangeRequestRow.scheduled_at)).where(
            ChangeRequestRow.state == "approved"))
