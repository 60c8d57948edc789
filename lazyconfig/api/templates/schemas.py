"""Template bodies. The schemas check the JSON shape; the engine checks the rest (names,
keys, expressions, values against the rules: docs/templates.md)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate

from ...domain.templates import PARAM_TYPES
from ..schemas import DryRunResultSchema, expected_revision_field

EXAMPLE = {"name": "small-host", "description": "a host with little memory",
           "params": {"memory_budget": {"type": "int", "default": 268435456,
                                        "description": "bytes for loaded packages"}},
           "values": {"lazy_loading_unloading_strategy": "AGGRESSIVE"},
           "derived": {"cache_size_limit": "memory_budget // 16"}}
REPLACE_EXAMPLE = {key: value for key, value in EXAMPLE.items() if key != "name"}
APPLY_EXAMPLE = {"params": {"memory_budget": 536870912}, "dry_run": True}


class ParamSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(PARAM_TYPES))
    default = fields.Raw(required=True, metadata={"description": "of the declared type"})
    description = fields.String(allow_none=True)
    min = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)


class TemplateBodySchema(Schema):
    """A definition to replace a template with; the name comes from the path."""

    name = fields.String(metadata={"description": "if given, the name in the path"})
    description = fields.String(allow_none=True)
    params = fields.Dict(keys=fields.String(), values=fields.Nested(ParamSchema),
                         metadata={"description": "parameter name -> declaration"})
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         metadata={"description": "key -> literal value"})
    derived = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "key -> expression over the parameters: numbers, names, "
                       "+ - * / //, min(), max(), round()"})


class TemplateCreateSchema(TemplateBodySchema):
    name = fields.String(required=True, metadata={
        "description": "1 to 64 of a-z, 0-9, '.', '_' and '-'"})


class TemplateSchema(Schema):
    name = fields.String()
    description = fields.String(allow_none=True)
    version = fields.Integer()
    author = fields.String(allow_none=True)
    builtin = fields.Boolean()
    created_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    updated_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    params = fields.Dict(keys=fields.String(), values=fields.Nested(ParamSchema))
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    derived = fields.Dict(keys=fields.String(), values=fields.String())
    keys = fields.List(fields.String())


class TemplateListSchema(Schema):
    templates = fields.List(fields.Nested(TemplateSchema),
                            metadata={"description": "built-in ones first, then by name"})


class ApplySchema(Schema):
    params = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         load_default=None, allow_none=True,
                         metadata={"description": "parameter values (default: the defaults)"})
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "only report what would change"})
    description = fields.String(load_default=None, allow_none=True)
    expected_revision = expected_revision_field()


class ApplyResultSchema(DryRunResultSchema):
    name = fields.String()
    version = fields.Integer(metadata={"description": "of the template applied"})


class DriftQuerySchema(Schema):
    param = fields.List(fields.String(), load_default=list, metadata={
        "description": "a parameter value as name=value (repeatable; default: the defaults)"})

    @post_load
    def _as_params(self, data, **_kwargs):
        pairs = [item.partition("=") for item in data["param"]]
        if any(not sep or not name for name, sep, _ in pairs):
            raise ValidationError("each param is name=value", "param")
        return {"params": {name: value for name, _, value in pairs}}


class DriftItemSchema(Schema):
    key = fields.String()
    template_value = fields.Raw(allow_none=True)
    current_value = fields.Raw(allow_none=True)
    source = fields.String(allow_none=True)


class DriftSchema(Schema):
    name = fields.String()
    version = fields.Integer()
    in_sync = fields.Boolean()
    drift = fields.List(fields.Nested(DriftItemSchema),
                        metadata={"description": "keys whose value now differs"})
