"""Schemas more than one resource answers with."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..db.protocols import PAGE_BYTES

# Ids, revisions and versions are 64-bit in the database; a bigger number names nothing
# and must be a 422, not an overflow deep in the driver.
MAX_ID = 2 ** 63 - 1
ID_RANGE = validate.Range(min=0, max=MAX_ID)
PAGE_NOTE = ("at most this many changes, and fewer when their values are large: a page ends "
             f"with the first change that brings its values to {PAGE_BYTES >> 20} MiB as "
             "JSON text")
# The 410 of a revision the change log no longer holds (docs/operations.md).
COMPACTED = ("the revision is older than the change log keeps (it was compacted); "
             "`errors.first_kept_revision` is the oldest revision that can be asked for")


def key_parameter(example: str) -> dict:
    """The `{key}` path parameter, with an example a client (or a fuzzer) can use."""
    return {"in": "path", "name": "key", "description": "a configuration key",
            "example": example}


class ChangeSchema(Schema):
    """One change-log entry: a notification."""

    revision = fields.Integer(metadata={"description": "global, increasing change number"})
    timestamp = fields.String(metadata={"format": "date-time"})
    key = fields.String()
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)
    source = fields.String()
    action = fields.String(metadata={
        "description": "set, unset, batch, revert, reset, rollback, import, rule, template "
                       "or migrate"})
    user = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    batch_id = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


def expected_revision_field(strict: bool = True) -> fields.Integer:
    """The optional precondition of a whole-configuration write (not strict in a query
    string, where every value is text)."""
    return fields.Integer(load_default=None, strict=strict, validate=ID_RANGE,
                          metadata={"description": "apply only if the configuration is still "
                                                   "at this revision (GET /status shows it); "
                                                   "otherwise 412 and nothing changes"})


class DiffSchema(Schema):
    """What an operation does (or would do) to a key's effective value."""

    key = fields.String()
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)
    source = fields.String()


class DryRunResultSchema(Schema):
    """What a write that can be a dry run answers (rollback, template apply)."""

    dry_run = fields.Boolean()
    diff = fields.List(fields.Nested(DiffSchema))
    safety_snapshot_id = fields.Integer(allow_none=True,
                                        metadata={"description": "snapshot of the state replaced"})
    revision = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))


class ContextQuerySchema(Schema):
    """A read for one caller's context (docs/targeting.md)."""

    context = fields.String(load_default=None, metadata={
        "description": 'the caller\'s context as JSON, such as {"client_id": "loader-7", '
                       '"cluster": "eu-1"}; or send it in the X-Lazyconfig-Context header',
        "example": '{"cluster": "eu-1"}'})
