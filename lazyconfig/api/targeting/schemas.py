"""Bodies of the targeting resource; the rules' shape is checked by domain/targeting.py."""
from __future__ import annotations

from marshmallow import Schema, fields

RULES_EXAMPLE = {
    "rules": [
        {"when": [{"attribute": "cluster", "op": "equals", "value": "eu-1"}], "value": 15.0,
         "description": "eu-1 checks more often"},
        {"when": [{"attribute": "client_id", "op": "percent", "value": 10}], "value": 45.0},
    ],
    "description": "faster checks on eu-1, slower on a tenth of the fleet",
}


class TargetingSchema(Schema):
    key = fields.String()
    rules = fields.List(fields.Raw(), metadata={
        "description": "ordered rules: {when: [{attribute, op, value}], value, description?}; "
                       "the first that matches decides"})
    version = fields.Integer()


class TargetingUpdateSchema(Schema):
    rules = fields.Raw(required=True, metadata={"description": "the rules; [] removes them"})
    description = fields.String(load_default=None, allow_none=True)


class DecisionSchema(Schema):
    """What decided a key's value for a context."""

    key = fields.String()
    value = fields.Raw(allow_none=True)
    layer = fields.String(metadata={"description": "targeting, experiment, or the plain "
                                                   "value's source (runtime, default…)"})
    rule = fields.Integer(allow_none=True, metadata={"description": "the targeting rule's index"})
    experiment = fields.Integer(allow_none=True)
    variant = fields.String(allow_none=True)
    rollout = fields.Integer(allow_none=True, metadata={"description": "the rollout whose "
                                                        "new cohort this context is in"})
    unit = fields.String(allow_none=True, metadata={
        "description": "the context attribute the experiment assigned by"})
    context = fields.Dict()
