"""Template rows (built-in templates are not stored: domain/template_catalog.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import TemplateRow

_FIELDS = ("name", "description", "version", "author", "params", "values", "derived",
           "created_at", "updated_at")


def _record(row: TemplateRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _FIELDS}


class TemplateRepository:
    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[dict[str, Any]]:
        """Every stored template's record, by name."""
        rows = self.session.scalars(select(TemplateRow).order_by(TemplateRow.name))
        return [_record(row) for row in rows]

    def get(self, name: str) -> dict[str, Any] | None:
        row = self.session.get(TemplateRow, name)
        return None if row is None else _record(row)

    def put(self, record: dict[str, Any], at: datetime) -> None:
        """Insert or replace a template; `created_at` stays that of its first version."""
        row = self.session.get(TemplateRow, record["name"])
        if row is None:
            row = TemplateRow(name=record["name"], created_at=at)
        for name in ("description", "version", "author", "params", "values", "derived"):
            setattr(row, name, record[name])
        row.updated_at = at
        self.session.add(row)
        self.session.flush()

    def delete(self, name: str) -> bool:
        return bool(self.session.execute(
            delete(TemplateRow).where(TemplateRow.name == name)).rowcount)
