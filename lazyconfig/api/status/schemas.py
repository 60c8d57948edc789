"""The status response."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..backups.schemas import BackupSchema


class ValidationStatusSchema(Schema):
    valid = fields.Boolean()
    error_count = fields.Integer()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class StatusSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    total_values = fields.Integer()
    revision = fields.Integer()
    sources = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "how many keys take their value from each"})
    validation_status = fields.Nested(ValidationStatusSchema)
    custom_keys = fields.Integer()
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         metadata={"description": "effective values; sensitive ones masked "
                                                  "unless you are an admin"})
    last_backup = fields.Nested(BackupSchema, allow_none=True,
                                metadata={"description": "the newest backup in the backup "
                                                         "directory, if any"})
