"""Request and response bodies of the values resource, with the spec's examples."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ..point_in_time.schemas import PastQuerySchema
from ..schemas import ID_RANGE, MAX_ID, PAGE_NOTE, ChangeSchema, ContextQuerySchema

PUT_EXAMPLE = {
    "key": "lazy_loading_unloading_check_interval",
    "value": 30.0,
    "source": "runtime",
    "description": "Reduced check interval for faster response",
}

BATCH_EXAMPLE = {
    "updates": [
        {"key": "lazy_loading_unloading_enabled", "value": True, "source": "runtime",
         "description": "Enable unloading system"},
        {"key": "lazy_loading_unloading_strategy", "value": "BALANCED", "source": "runtime",
         "description": "Set balanced unloading strategy"},
    ],
    "create_snapshot": True,
    "snapshot_description": "Batch configuration update",
}


MAX_BATCH = 1000  # updates in one batch: one transaction, one lock; more is a 422


class EntrySchema(Schema):
    """A key's effective value, where it came from, and its last change."""

    key = fields.String()
    value = fields.Raw(allow_none=True, metadata={"description": "the effective value"})
    source = fields.String(allow_none=True, metadata={
        "description": "the layer the value comes from: default, service, file, environment "
                       "or runtime; at a past revision, the layer its last change wrote then "
                       "(null: no change by then)"})
    layers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         metadata={"description": "every layer present, lowest first"})
    version = fields.Integer(metadata={"description": "revision of the key's last change; "
                                                     "also its ETag"})
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)
    sensitive = fields.Boolean()


class EntryListSchema(Schema):
    values = fields.List(fields.Nested(EntrySchema))
    count = fields.Integer()
    revision = fields.Integer(metadata={"description": "with `at_revision` or `at`: the past "
                                                      "revision the values are from"})


SCHEDULED = ("apply at this time (with a time zone): the write becomes a change request "
             "(202), applied then once approved")


class ValueUpdateSchema(Schema):
    """PUT body. `key` may be left out; when given it must match the path."""

    key = fields.String()
    value = fields.Raw(required=True, allow_none=True)
    source = fields.String(load_default="runtime",
                           metadata={"description": "runtime (default) or service"})
    description = fields.String(load_default=None, allow_none=True)
    scheduled_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                        metadata={"description": SCHEDULED})


class BatchUpdateSchema(ValueUpdateSchema):
    class Meta:
        exclude = ("scheduled_at",)

    key = fields.String(required=True)
    expected_version = fields.Integer(
        load_default=None, strict=True, validate=ID_RANGE,
        metadata={"description": "apply the batch only if the key is still at this version "
                                 "(its ETag; 0 = never changed); otherwise 412 and nothing "
                                 "is applied"})


class BatchSchema(Schema):
    """POST values/batch body; loads as the keyword arguments of engine.write_values."""

    updates = fields.List(fields.Nested(BatchUpdateSchema), required=True,
                          validate=validate.Length(min=1, max=MAX_BATCH),
                          metadata={"description": f"1 to {MAX_BATCH} updates, each key once"})
    create_snapshot = fields.Boolean(load_default=False)
    snapshot_description = fields.String(load_default=None, allow_none=True)
    scheduled_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                        metadata={"description": SCHEDULED})

    @validates_schema
    def _one_source(self, data, **_kwargs):
        # One batch is one atomic write into one layer.
        if len({u["source"] for u in data.get("updates", [])}) > 1:
            raise ValidationError("all updates of one batch must name the same source",
                                  "updates")

    @post_load
    def _as_write(self, data, **_kwargs):
        snapshot = None
        if data["create_snapshot"]:
            snapshot = data["snapshot_description"] or "Batch configuration update"
        expected = {u["key"]: u["expected_version"] for u in data["updates"]
                    if u["expected_version"] is not None}
        return {"updates": [(u["key"], u["value"], u["description"]) for u in data["updates"]],
                "source": data["updates"][0]["source"], "snapshot_description": snapshot,
                "expected_versions": expected or None, "scheduled_at": data["scheduled_at"]}


class BatchResultSchema(Schema):
    success = fields.Boolean()
    results = fields.Dict(keys=fields.String(), values=fields.Boolean(),
                          metadata={"description": "key -> applied (all or none)"})
    revision = fields.Integer()
    snapshot_created = fields.Boolean()
    snapshot_id = fields.Integer(allow_none=True, metadata={
        "description": "the snapshot taken before the batch (`create_snapshot`), or null"})
    safety_snapshot_id = fields.Integer(allow_none=True, metadata={
        "description": "the same id, under the name every write that snapshots first uses"})
    changes = fields.List(fields.Nested(ChangeSchema))


MAX_LIMIT = 1000
# The database adds `offset + limit` (OFFSET … LIMIT), which must fit a 64-bit integer.
MAX_OFFSET = MAX_ID - MAX_LIMIT


class HistoryQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": PAGE_NOTE})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class HistorySchema(Schema):
    key = fields.String()
    total = fields.Integer()
    history = fields.List(fields.Nested(ChangeSchema), metadata={"description": "newest first"})


class RevertSchema(Schema):
    """POST values/{key}/revert body: the revision whose value the key gets back."""

    revision = fields.Integer(required=True, strict=True, validate=ID_RANGE,
                              metadata={"description": "a global revision, e.g. one from the "
                                                       "key's history"})
    description = fields.String(load_default=None, allow_none=True)


class ValuesQuerySchema(PastQuerySchema, ContextQuerySchema):
    """GET /values: now (for a context, when one is given) or at a past revision."""
