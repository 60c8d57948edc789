"""Backup bodies: a backup as listed (its manifest's fields) and a verification's result."""
from __future__ import annotations

from marshmallow import Schema, fields


class BackupSchema(Schema):
    id = fields.String(metadata={"example": "lazyconfig-20261205T011453123456Z"})
    file = fields.String(metadata={"description": "where the server keeps it"})
    size = fields.Integer(metadata={"description": "bytes"})
    created_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    created_by = fields.String(allow_none=True)
    revision = fields.Integer(allow_none=True,
                              metadata={"description": "the change-log revision captured"})
    schema_revision = fields.String(allow_none=True,
                                    metadata={"description": "the database schema's revision"})
    format_version = fields.Integer(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "sqlite or postgresql"})
    tables = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True,
                         metadata={"description": "rows per table"})
    content_sha256 = fields.String(allow_none=True)
    state_sha256 = fields.String(allow_none=True,
                                 metadata={"description": "SHA-256 of the canonical rows"})
    problem = fields.String(metadata={"description": "why the file cannot be used, if so"})


class BackupListSchema(Schema):
    backups = fields.List(fields.Nested(BackupSchema), metadata={"description": "newest first"})


class VerificationSchema(BackupSchema):
    valid = fields.Boolean(metadata={"description": "checksums hold, and a trial restore "
                                                    "gave the manifest's state hash"})
