"""Tables of who may call: service tokens, revoked token ids and the audit log
(docs/auth.md). Imported by db/models.py, so they share its metadata."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.limits import NAME_MAX, REQUEST_ID_MAX, USER_MAX
from .base import Base, BigId, JSONValue, UTCDateTime, utcnow

TOKEN_ID_MAX = 200  # a jti (a UUID, or an OIDC provider's own) or `lzc_<id>`
HASH_MAX = 64  # SHA-256, hex


class ServiceTokenRow(Base):
    """An opaque service token: only the SHA-256 of its secret is kept."""

    __tablename__ = "service_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(USER_MAX))
    role: Mapped[str] = mapped_column(String(NAME_MAX))
    keys: Mapped[Any] = mapped_column(JSONValue, nullable=True)  # glob patterns, or null
    secret_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevocationRow(Base):
    """A revoked token id, kept until the token would have expired; the newest id is the
    revision every process polls (service/revocations.py)."""

    __tablename__ = "token_revocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_id: Mapped[str] = mapped_column(String(TOKEN_ID_MAX), unique=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditRow(Base):
    """Who did what to access (token issue and revocation), when, in which request."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(USER_MAX))
    action: Mapped[str] = mapped_column(String(NAME_MAX))
    subject: Mapped[str] = mapped_column(String(TOKEN_ID_MAX))
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_MAX))
    detail: Mapped[Any] = mapped_column(JSONValue, nullable=True)
