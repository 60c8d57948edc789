"""The validate request and answer."""
from __future__ import annotations

from marshmallow import Schema, fields

EXAMPLE = {"key": "lazy_loading_unloading_memory_pressure_threshold", "value": 0.8}


class ValidateSchema(Schema):
    key = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True)


class ValidationResultSchema(Schema):
    key = fields.String()
    is_valid = fields.Boolean()
    validation_errors = fields.List(fields.String())
