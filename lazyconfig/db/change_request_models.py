"""Tables of four-eyes change requests: the policies naming keys that need approval, and
the requests themselves (docs/change-requests.md). Imported by db/models.py."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.limits import NAME_MAX, USER_MAX
from .base import Base, BigId, JSONValue, UTCDateTime, utcnow

POLICY_PATTERN_MAX = 200
HASH_MAX = 64  # SHA-256, hex


class ChangePolicyRow(Base):
    """Keys matching `pattern` (a glob) need `approvals` approvals before a write applies."""

    __tablename__ = "change_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pattern: Mapped[str] = mapped_column(String(POLICY_PATTERN_MAX))
    approvals: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(USER_MAX))


class ChangeRequestRow(Base):
    """A write held for approval: its content (updates, expected versions, schedule), the
    hash approvals are bound to, and where it stands (service/change_requests.py)."""

    __tablename__ = "change_requests"
    __table_args__ = (Index(None, "state", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    state: Mapped[str] = mapped_column(String(NAME_MAX))
    author: Mapped[str] = mapped_column(String(USER_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(NAME_MAX))
    updates: Mapped[Any] = mapped_column(JSONValue)  # [{key, value} or {key, unset: true}]
    expected_versions: Mapped[Any] = mapped_column(JSONValue)  # {key: version}
    diff: Mapped[Any] = mapped_column(JSONValue)  # [{key, before, after, unset}]
    content_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    approvals_needed: Mapped[int] = mapped_column(Integer)
    approvals: Mapped[Any] = mapped_column(JSONValue)  # [{user, content_hash, at}]
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    break_glass: Mapped[str | None] = mapped_column(Text)  # the admin's reason
    reason: Mapped[str | None] = mapped_column(Text)  # why rejected, cancelled or refused
    decided_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_revision: Mapped[int | None] = mapped_column(BigInteger)
    applied_by: Mapped[str | None] = mapped_column(String(USER_MAX))  # a user, or scheduler@host
