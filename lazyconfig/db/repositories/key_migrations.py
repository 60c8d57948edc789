"""The record of config-migration steps applied (domain/key_migrations.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import KeyMigrationRow


class KeyMigrationRepository:
    def __init__(self, session: Session):
        self.session = session

    def applied(self) -> set[str]:
        """The ids of the steps this database has had."""
        return set(self.session.scalars(select(KeyMigrationRow.id)))

    def record(self, step_id: str, description: str | None, at: datetime, user: str | None,
               revision: int) -> None:
        self.session.add(KeyMigrationRow(id=step_id, description=description, applied_at=at,
                                         applied_by=user, revision=revision))
        self.session.flush()
