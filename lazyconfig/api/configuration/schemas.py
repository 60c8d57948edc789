"""Reset, export and import bodies."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from ..schemas import ChangeSchema, DiffSchema, expected_revision_field

EXPORT_EXAMPLE = {"version": 1, "revision": 12,
                  "values": {"lazy_loading_unloading_check_interval": 30.0},
                  "sources": {"lazy_loading_unloading_check_interval": "runtime"}}
FLAT_EXAMPLE = {"lazy_loading_unloading_check_interval": 30.0,
                "lazy_loading_unloading_strategy": "BALANCED"}
IMPORT_EXAMPLES = {"export": {"summary": "an export document", "value": EXPORT_EXAMPLE},
                   "flat": {"summary": "a flat mapping of key to value", "value": FLAT_EXAMPLE}}


class ResetSchema(Schema):
    keys = fields.List(fields.String(), load_default=None, allow_none=True,
                       metadata={"description": "reset only these keys (default: all)"})
    description = fields.String(load_default=None, allow_none=True)
    expected_revision = expected_revision_field()


class ResetResultSchema(Schema):
    reset = fields.List(fields.String(), metadata={"description": "keys whose runtime "
                                                                 "override was removed"})
    snapshot_id = fields.Integer(metadata={"description": "snapshot taken before the reset"})
    safety_snapshot_id = fields.Integer(metadata={"description": "the same id, under the name "
                                                               "every write that snapshots "
                                                               "first uses"})
    revision = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))


class DocumentSchema(Schema):
    """An export document: the round-trip format, which import takes back."""

    version = fields.Integer(required=True, strict=True, metadata={"example": 1})
    revision = fields.Integer(strict=True)
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    sources = fields.Dict(keys=fields.String(), values=fields.String())
    targeting = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()), metadata={
        "description": "each targeted key's rules (docs/targeting.md); present when any"})


class ImportSchema(DocumentSchema):
    """An import body: an export document, or a flat mapping of key to value (any body with
    none of version, revision, values and sources); either may carry `dry_run` and
    `expected_revision`, which are options, not keys."""

    class Meta:
        unknown = INCLUDE  # a flat document's keys

    version = fields.Integer(strict=True, metadata={"example": 1})
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    dry_run = fields.Boolean(load_default=False, load_only=True,
                             metadata={"description": "only report what would change"})
    expected_revision = expected_revision_field()


FORMATS = ("json", "env", "consul", "etcd")


class ImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "only report what would change"})
    expected_revision = expected_revision_field(strict=False)
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS), metadata={
        "description": "json (default): the body is an export document or a flat object; "
                       "env (a .env or properties file), consul (`consul kv export`) or etcd "
                       "(`etcdctl get --prefix -w json`): the body is that file as it is, sent "
                       "as text/plain, and entries naming no key are reported, not refused"})
    prefix = fields.String(load_default=None, validate=validate.Length(max=1024), metadata={
        "description": "consul and etcd: the path prefix to take off each key "
                       "(e.g. `config/lazyconfig/`); entries outside it are reported unknown"})


class ReportRowSchema(Schema):
    name = fields.String(metadata={"description": "the entry's name in the file"})
    key = fields.String(allow_none=True, metadata={"description": "the key it names"})
    status = fields.String(metadata={"description": "applied, unchanged or unknown key"})


class ImportResultSchema(Schema):
    dry_run = fields.Boolean()
    diff = fields.List(fields.Nested(DiffSchema))
    snapshot_id = fields.Integer(allow_none=True,
                                 metadata={"description": "snapshot taken before the import; "
                                                          "null when nothing changed"})
    safety_snapshot_id = fields.Integer(allow_none=True, metadata={
        "description": "the same id, under the name every write that snapshots first uses"})
    revision = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))
    format = fields.String(metadata={"description": "the format imported (not json only)"})
    report = fields.List(fields.Nested(ReportRowSchema), metadata={
        "description": "every entry of a foreign file (not json), in the file's order"})
