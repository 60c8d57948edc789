"""Bodies of the rollouts resource; the service checks a definition's shape and values."""
from __future__ import annotations

from marshmallow import Schema, fields

START_EXAMPLE = {
    "changes": {"cache_size_limit": 2048},
    "steps": [{"percent": 10, "hold_s": 600}, {"percent": 50, "hold_s": 600},
              {"percent": 100, "hold_s": 0}],
    "unit": "client_id",
    "health": [{"metric": "load_ms", "op": "<", "threshold": 500, "window_s": 300,
                "min_samples": 50}],
    "on_breach": "rollback",
}

EVENTS_EXAMPLE = {"metrics": [{"unit": "loader-7", "metric": "load_ms", "value": 412.0}]}


class RolloutStartSchema(Schema):
    changes = fields.Raw(required=True, metadata={"description": "{key: new value}"})
    steps = fields.Raw(required=True, metadata={
        "description": "[{percent, hold_s}]: percents increasing, the last 100"})
    unit = fields.Raw(load_default="client_id")
    salt = fields.Raw(load_default=None, allow_none=True)
    health = fields.Raw(load_default=None, allow_none=True, metadata={
        "description": "[{metric, op, threshold, window_s, min_samples}]; op is <, <=, > or >="})
    on_breach = fields.Raw(load_default="rollback", metadata={"description": "rollback or pause"})


class RolloutSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={
        "description": "running, paused, completed, aborted or rolled_back"})
    changes = fields.Dict()
    unit = fields.String()
    salt = fields.String()
    steps = fields.List(fields.Dict())
    health = fields.List(fields.Dict(), metadata={
        "description": "each rule with the new cohort's count and mean over its window, and "
                       "whether it is breached"})
    on_breach = fields.String()
    step = fields.Integer(metadata={"description": "the current step, from 0"})
    percent = fields.Float(metadata={"description": "the share of units with the new values"})
    step_at = fields.DateTime()
    next_at = fields.DateTime(allow_none=True, metadata={
        "description": "when the next step is due"})
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class RolloutListSchema(Schema):
    rollouts = fields.List(fields.Nested(RolloutSchema))
    total = fields.Integer()


class RolloutEventsAcceptedSchema(Schema):
    observations = fields.Integer(metadata={"description": "kept"})
    new = fields.Integer(metadata={"description": "of those, from units with the new values"})
