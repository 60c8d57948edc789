"""Bodies of the experiments resource; the service checks a definition's shape and values."""
from __future__ import annotations

from marshmallow import Schema, fields

CREATE_EXAMPLE = {
    "key": "lazy_loading_unloading_strategy",
    "variants": [{"name": "control", "value": "BALANCED", "weight": 0.5},
                 {"name": "aggressive", "value": "AGGRESSIVE", "weight": 0.5}],
    "unit": "client_id", "coverage": 0.2, "metrics": ["load_ms"],
}
EVENTS_EXAMPLE = {"exposures": ["loader-7"],
                  "metrics": [{"unit": "loader-7", "metric": "load_ms", "value": 412.0}]}


class ExperimentCreateSchema(Schema):
    key = fields.String(required=True)
    variants = fields.Raw(required=True, metadata={
        "description": "2 to 20 {name, value, weight}; the weights sum to 1; the first is control"})
    unit = fields.String(load_default="client_id")
    salt = fields.String(load_default=None, allow_none=True)
    layer = fields.String(load_default=None, allow_none=True, metadata={
        "description": "experiments of one layer never share a unit"})
    audience = fields.Raw(load_default=None, allow_none=True, metadata={
        "description": "conditions a context must meet to take part, as targeting's `when`"})
    coverage = fields.Raw(load_default=1.0, metadata={"description": "share of units, (0, 1]"})
    metrics = fields.Raw(load_default=None, allow_none=True, metadata={
        "description": "the metric names clients may report"})


class ExperimentSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    status = fields.String(metadata={"description": "running or concluded"})
    unit = fields.String()
    salt = fields.String()
    layer = fields.String(allow_none=True)
    coverage = fields.Float()
    metrics = fields.List(fields.String())
    audience = fields.List(fields.Dict())
    variants = fields.List(fields.Dict(), metadata={
        "description": "{name, value, weight, ranges}: the buckets each variant owns"})
    slots = fields.List(fields.List(fields.Integer()))
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    winner = fields.String(allow_none=True)


class ExperimentListSchema(Schema):
    experiments = fields.List(fields.Nested(ExperimentSchema))
    total = fields.Integer()


class EventsSchema(Schema):
    exposures = fields.Raw(load_default=list, metadata={"description": "units that saw it"})
    metrics = fields.Raw(load_default=list, metadata={
        "description": "observations {unit, metric, value} of declared metrics"})


class EventsAcceptedSchema(Schema):
    exposures = fields.Integer(metadata={"description": "kept (units inside the experiment)"})
    observations = fields.Integer()


class ResultsSchema(Schema):
    experiment = fields.Integer()
    key = fields.String()
    status = fields.String()
    control = fields.String()
    variants = fields.List(fields.Dict(), metadata={
        "description": "{name, exposures, metrics: {metric: {count, mean, sd, ci_low, ci_high, "
                       "difference, p_value}}}; differences and p-values against control"})
    sample_ratio = fields.Dict(metadata={
        "description": "{p_value, mismatch}: chi-square of exposures against the weights; "
                       "mismatch below p = 0.001"})


class ConcludeSchema(Schema):
    winner = fields.String(required=True)


class ExperimentChangeSchema(Schema):
    coverage = fields.Raw(load_default=None, metadata={"description": "a larger share, (0, 1]"})
    weights = fields.Raw(load_default=None, metadata={
        "description": "{variant: weight}; the weights still sum to 1"})
