"""Snapshot bodies, with the spec's example."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..schemas import ChangeSchema, DiffSchema

CREATE_EXAMPLE = {"description": "Before major configuration changes",
                  "tags": ["backup", "major-changes"]}


class SnapshotCreateSchema(Schema):
    description = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(), load_default=list)


class SnapshotSchema(Schema):
    id = fields.Integer()
    description = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    timestamp = fields.String(metadata={"format": "date-time",
                                        "description": "when it was taken"})
    created_by = fields.String(allow_none=True)
    revision = fields.Integer(metadata={"description": "the revision it captured"})
    key_count = fields.Integer()
    pinned = fields.Boolean()


class SnapshotDetailSchema(SnapshotSchema):
    values = fields.Dict(keys=fields.String(), values=fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True)),
        metadata={"description": "key -> {source: value} for the persisted layers"})


class SnapshotPageSchema(Schema):
    snapshots = fields.List(fields.Nested(SnapshotSchema), metadata={"description": "newest first"})
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class RollbackSchema(Schema):
    keys = fields.List(fields.String(), load_default=None, allow_none=True,
                       metadata={"description": "restore only these keys (default: all)"})
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "only report what would change"})
    description = fields.String(load_default=None, allow_none=True)


class RollbackResultSchema(Schema):
    snapshot_id = fields.Integer()
    dry_run = fields.Boolean()
    diff = fields.List(fields.Nested(DiffSchema))
    safety_snapshot_id = fields.Integer(allow_none=True,
                                        metadata={"description": "snapshot of the state replaced"})
    revision = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))
