"""Service tokens, revoked token ids and the audit log (db/access_models.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..access_models import AuditRow, RevocationRow, ServiceTokenRow

TOKEN_FIELDS = ("id", "name", "role", "keys", "created_at", "created_by", "expires_at",
                "last_used_at", "revoked_at")


def _token(row: ServiceTokenRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in TOKEN_FIELDS}


class ServiceTokenRepository:
    """Service tokens; the secret's hash is handed out only to the verifier (`find`)."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, *, name: str, role: str, keys: list[str] | None, secret_hash: str,
            created_at: datetime, created_by: str | None,
            expires_at: datetime | None) -> dict[str, Any]:
        row = ServiceTokenRow(name=name, role=role, keys=keys, secret_hash=secret_hash,
                              created_at=created_at, created_by=created_by,
                              expires_at=expires_at)
        self.session.add(row)
        self.session.flush()
        return _token(row)

    def find(self, token_id: int) -> tuple[dict[str, Any], str] | None:
        """The token and its secret's hash, or None."""
        row = self.session.get(ServiceTokenRow, token_id)
        return None if row is None else (_token(row), row.secret_hash)

    def page(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        rows = self.session.scalars(select(ServiceTokenRow).order_by(ServiceTokenRow.id)
                                    .limit(limit).offset(offset))
        total = self.session.scalar(select(func.count()).select_from(ServiceTokenRow))
        return [_token(row) for row in rows], total

    def revoke(self, token_id: int, at: datetime) -> bool:
        """Mark the token revoked; False when there is no such token or it already was."""
        done = self.session.execute(update(ServiceTokenRow).where(
            ServiceTokenRow.id == token_id, ServiceTokenRow.revoked_at.is_(None))
            .values(revoked_at=at))
        return done.rowcount == 1

    def touch(self, token_id: int, at: datetime, unless_since: datetime) -> None:
        """Set last_used_at to `at` unless it is already `unless_since` or later."""
        self.session.execute(update(ServiceTokenRow).where(
            ServiceTokenRow.id == token_id,
            or_(ServiceTokenRow.last_used_at.is_(None),
                ServiceTokenRow.last_used_at < unless_since)).values(last_used_at=at))


class RevocationRepository:
    """Revoked token ids until the tokens would expire; the newest id is the revision."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, token_id: str, at: datetime, by: str | None,
            expires_at: datetime | None) -> bool:
        """Record the revocation; False when `token_id` was revoked already."""
        if self.session.scalar(select(RevocationRow.id).where(
                RevocationRow.token_id == token_id)) is not None:
            return False
        self.session.add(RevocationRow(token_id=token_id, revoked_at=at, revoked_by=by,
                                       expires_at=expires_at))
        self.session.flush()
        return True

    def head(self) -> int:
        return self.session.scalar(select(func.max(RevocationRow.id))) or 0

    def after(self, revision: int) -> list[tuple[int, str, datetime | None]]:
        """(id, token id, expiry) of every revocation after `revision`, in id order."""
        rows = self.session.execute(select(RevocationRow.id, RevocationRow.token_id,
                                           RevocationRow.expires_at)
                                    .where(RevocationRow.id > revision)
                                    .order_by(RevocationRow.id))
        return [tuple(row) for row in rows]

    def forget_expired(self, before: datetime) -> None:
        self.session.execute(delete(RevocationRow).where(RevocationRow.expires_at < before))


class AuditRepository:
    """The audit log: who did what to access, when and in which request."""

    def __init__(self, session: Session):
        self.session = session

    def record(self, *, at: datetime, actor: str | None, action: str, subject: str,
               request_id: str | None, detail: Any = None) -> None:
        self.session.add(AuditRow(at=at, actor=actor, action=action, subject=subject,
                                  request_id=request_id, detail=detail))

    def page(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """The newest events first, and how many there are."""
        rows = self.session.scalars(select(AuditRow).order_by(AuditRow.id.desc())
                                    .limit(limit).offset(offset))
        total = self.session.scalar(select(func.count()).select_from(AuditRow))
        return [{"id": r.id, "at": r.at, "actor": r.actor, "action": r.action,
                 "subject": r.subject, "request_id": r.request_id, "detail": r.detail}
                for r in rows], total
