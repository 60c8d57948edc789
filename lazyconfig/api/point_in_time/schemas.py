"""Point-in-time bodies: the past revision asked for, and what a restore did."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validates_schema

from ..schemas import ID_RANGE, ChangeSchema, DiffSchema
from ..snapshots.schemas import RollbackSchema

RESTORE_EXAMPLE = {"at_revision": 12, "dry_run": True}


def at_revision_field(strict: bool = True) -> fields.Integer:
    return fields.Integer(load_default=None, strict=strict, validate=ID_RANGE, metadata={
        "description": "a past revision (GET /status shows the current one)"})


def at_field() -> fields.AwareDateTime:
    return fields.AwareDateTime(load_default=None, default_timezone=timezone.utc, metadata={
        "description": "a time (ISO 8601; UTC unless it names a zone): the newest revision "
                       "committed at or before it"})


def _at_most_one(data) -> None:
    if data.get("at_revision") is not None and data.get("at") is not None:
        raise ValidationError("give at_revision or at, not both", "at")


class PastQuerySchema(Schema):
    """GET /values query: leave both out for the current values."""

    at_revision = at_revision_field(strict=False)
    at = at_field()

    @validates_schema
    def _one(self, data, **_kwargs):
        _at_most_one(data)


class RestoreSchema(RollbackSchema):
    """A rollback's options, and the past revision (or time) to restore."""

    at_revision = at_revision_field()
    at = at_field()

    @validates_schema
    def _one(self, data, **_kwargs):
        _at_most_one(data)
        if data.get("at_revision") is None and data.get("at") is None:
            raise ValidationError("give at_revision or at", "at_revision")


class RestoreResultSchema(Schema):
    restored_revision = fields.Integer(metadata={"description": "the past revision restored"})
    dry_run = fields.Boolean()
    diff = fields.List(fields.Nested(DiffSchema))
    safety_snapshot_id = fields.Integer(allow_none=True, metadata={
        "description": "snapshot of the state replaced; null on a dry run or when nothing "
                       "changed"})
    revision = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))
