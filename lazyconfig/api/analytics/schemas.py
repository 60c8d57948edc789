"""The change analytics query and report."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...service.analytics import GROUPS


class AnalyticsQuerySchema(Schema):
    from_ = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "first UTC day (YYYY-MM-DD), inclusive; "
                                                 "default 29 days before `to`"})
    to = fields.Date(load_default=None,
                     metadata={"description": "last UTC day, inclusive; default today"})
    group_by = fields.String(load_default="day", validate=validate.OneOf(GROUPS))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 1000),
                           metadata={"description": "most groups and refusal keys shown"})


class GroupSchema(Schema):
    group = fields.String(allow_none=True, metadata={
        "description": "the key, user, day (YYYY-MM-DD, UTC) or action; null for changes "
                       "without a recorded user"})
    changes = fields.Integer()


class RefusalCountSchema(Schema):
    key = fields.String()
    refusals = fields.Integer()


class ChangeAnalyticsSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    group_by = fields.String()
    total_changes = fields.Integer()
    groups = fields.List(fields.Nested(GroupSchema), metadata={
        "description": "days oldest first; keys, users and actions most changes first"})
    by_action = fields.Dict(keys=fields.String(), values=fields.Integer())
    rollbacks = fields.Integer()
    reverts = fields.Integer()
    undo_share = fields.Float(metadata={"description": "rollbacks and reverts as a share of "
                                                      "all changes (0 to 1)"})
    median_seconds_to_undo = fields.Float(allow_none=True, metadata={
        "description": "median time from a change to the revert or rollback that took it "
                       "back; null when there was none"})
    refusals = fields.List(fields.Nested(RefusalCountSchema), metadata={
        "description": "values rules refused, by key, most first"})
