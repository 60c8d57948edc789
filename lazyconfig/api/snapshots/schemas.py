"""Snapshot bodies, with the spec's example."""
from __future__ import annotations

from marshmallow import Schema, fields, post_load, validate

from ..schemas import DryRunResultSchema, expected_revision_field

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
    expected_revision = expected_revision_field()


class RollbackResultSchema(DryRunResultSchema):
    snapshot_id = fields.Integer(metadata={"description": "the snapshot restored"})


class DiffQuerySchema(Schema):
    against = fields.String(load_default="current",
                            validate=validate.Regexp(r"^(current|[0-9]{1,18})$",
                                                     error="a snapshot id or 'current'"),
                            metadata={"description": "a snapshot id, or `current` (default)"})

    @post_load
    def _as_id(self, data, **_kwargs):
        return {"against": None if data["against"] == "current" else int(data["against"])}


class KeyDiffSchema(Schema):
    key = fields.String()
    old_value = fields.Raw(allow_none=True, metadata={"description": "top persisted value in A"})
    new_value = fields.Raw(allow_none=True, metadata={"description": "top persisted value in B"})
    old_layers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    new_layers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))


class SnapshotDiffSchema(Schema):
    from_ = fields.Integer(attribute="from", data_key="from")
    to = fields.Raw(metadata={"description": "a snapshot id, or `current`"})
    added = fields.List(fields.Nested(KeyDiffSchema))
    removed = fields.List(fields.Nested(KeyDiffSchema))
    changed = fields.List(fields.Nested(KeyDiffSchema))
