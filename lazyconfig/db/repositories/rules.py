"""Validation-rule rows: the declarative part of every key's rule."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import RuleRow


class RuleRepository:
    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[RuleRow]:
        return list(self.session.scalars(select(RuleRow)))

    def for_keys(self, keys: Iterable[str]) -> list[RuleRow]:
        stmt = select(RuleRow).where(RuleRow.key.in_(list(keys)))
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

    def keys(self) -> set[str]:
        return set(self.session.scalars(select(RuleRow.key)))

    def put(self, record: dict[str, Any], at: datetime, user: str | None) -> None:
        row = self.session.get(RuleRow, record["key"]) or RuleRow(key=record["key"])
        for name, value in record.items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = at, user
        self.session.add(row)
        self.session.flush()
