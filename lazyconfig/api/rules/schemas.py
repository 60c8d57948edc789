"""A rule as the API shows and takes it: friendlier names for the engine's record fields
(type, min, max) and the rest as stored."""
from __future__ import annotations

from typing import Any

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from ...domain import ConfigurationValidationRule, ValueType

EXAMPLE = {"type": "int", "default": 8, "min": 1, "max": 64, "required": True,
           "description": "Worker threads of the package indexer",
           "error_message": "indexer_threads must be between 1 and 64"}


class RuleSchema(Schema):
    key = fields.String(metadata={"description": "optional in a PUT; must match the path"})
    value_type = fields.String(data_key="type", load_default=None,
                               validate=validate.OneOf([t.value for t in ValueType]),
                               metadata={"description": "inferred from default when left out"})
    default = fields.Raw(load_default=None, allow_none=True)
    min_value = fields.Float(data_key="min", load_default=None, allow_none=True)
    max_value = fields.Float(data_key="max", load_default=None, allow_none=True)
    min_exclusive = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(), load_default=None, allow_none=True)
    pattern = fields.String(load_default=None, allow_none=True)
    required = fields.Boolean(load_default=False)
    sensitive = fields.Boolean(load_default=False)
    description = fields.String(load_default="")
    unit = fields.String(load_default=None, allow_none=True)
    error_message = fields.String(load_default=None, allow_none=True)
    origin = fields.String(dump_only=True, metadata={"description": "builtin or custom"})


class RuleListSchema(Schema):
    rules = fields.List(fields.Nested(RuleSchema))


def build_rule(key: str, record: dict[str, Any]) -> ConfigurationValidationRule:
    """The rule a PUT body describes; 422 when it cannot be a rule at all (bad key name,
    an enum without choices). A pattern RE2 refuses is the engine's 422 (UnstorableText)."""
    try:
        return ConfigurationValidationRule.from_record({**record, "key": key})
    except ValueError as exc:
        abort(422, message=f"not a valid rule: {exc}", errors={"json": [str(exc)]})
