"""Validation-rule rows: the declarative part of every key's rule."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...domain import ConfigurationValidationRule
from ..models import RuleRow, ValueRow

_RECORD = ("key", "value_type", "default", "min_value", "max_value", "min_exclusive", "choices",
           "pattern", "required", "sensitive", "description", "unit", "error_message", "origin")


def _rule(row: RuleRow) -> ConfigurationValidationRule:
    return ConfigurationValidationRule.from_record({name: getattr(row, name) for name in _RECORD})


class RuleRepository:
    def __init__(self, session: Session):
        self.session = session

    """The declarative part of every key's rule (validators live in the process)."""

    def all(self) -> list[ConfigurationValidationRule]:
        return [_rule(row) for row in self.session.scalars(select(RuleRow))]

    def for_keys(self, keys: Iterable[str]) -> list[ConfigurationValidationRule]:
        stmt = select(RuleRow).where(RuleRow.key.in_(list(keys)))
        return [_rule(row) for row in
                self.session.scalars(stmt.execution_options(populate_existing=True))]

    def keys(self) -> set[str]:
        return set(self.session.scalars(select(RuleRow.key)))

    def put(self, record: dict[str, Any], at: datetime, user: str | None) -> None:
        row = self.session.get(RuleRow, record["key"]) or RuleRow(key=record["key"])
        for name, value in record.items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = at, user
        self.session.add(row)
        self.session.flush()

    def delete(self, keys: Iterable[str]) -> None:
        """Remove keys' rules, and so their value rows (the foreign key cascades); only a
        config migration does this: rules are otherwise never deleted."""
        keys = list(keys)
        if keys:
            self.session.execute(delete(ValueRow).where(ValueRow.key.in_(keys)))
            self.session.execute(delete(RuleRow).where(RuleRow.key.in_(keys)))
