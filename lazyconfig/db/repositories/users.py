"""Console accounts: a name, a role and a password hash."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import UserRow


class UserRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, name: str) -> tuple[str, str] | None:
        """(role, password hash) of `name`, or None."""
        row = self.session.get(UserRow, name)
        return None if row is None else (row.role, row.password_hash)

    def put(self, name: str, role: str, password_hash: str, at: datetime) -> None:
        """Create or replace the account `name`."""
        self.session.merge(UserRow(name=name, role=role, password_hash=password_hash,
                                   created_at=at))

    def delete(self, name: str) -> bool:
        row = self.session.get(UserRow, name)
        if row is not None:
            self.session.delete(row)
        return row is not None

    def names(self) -> list[tuple[str, str]]:
        """(name, role) of every account, by name."""
        rows = self.session.execute(select(UserRow.name, UserRow.role).order_by(UserRow.name))
        return [(name, role) for name, role in rows]
