"""Bodies of the policies and change-requests resources."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...service.change_requests import (MAX_APPROVALS, MAX_POLICIES, POLICY_PATTERN_CHARS,
                                        STATES)
from ..schemas import ID_RANGE

POLICY_EXAMPLE = {"rules": [{"pattern": "payments_*", "approvals": 2}]}
EDIT_EXAMPLE = {"updates": [{"key": "lazy_loading_unloading_check_interval", "value": 30.0}],
                "description": "check less often", "scheduled_at": None}


class PolicyRuleSchema(Schema):
    pattern = fields.String(required=True,
                            validate=validate.Length(min=1, max=POLICY_PATTERN_CHARS),
                            metadata={"description": "a glob pattern of keys"})
    approvals = fields.Integer(required=True, strict=True,
                               validate=validate.Range(min=1, max=MAX_APPROVALS),
                               metadata={"description": "approvals a write needs"})


class PoliciesSchema(Schema):
    rules = fields.List(fields.Nested(PolicyRuleSchema), required=True,
                        validate=validate.Length(max=MAX_POLICIES),
                        metadata={"description": "every rule; [] lifts every policy"})


class PolicySchema(PolicyRuleSchema):
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)


class PolicyListSchema(Schema):
    rules = fields.List(fields.Nested(PolicySchema))


class RequestUpdateSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=128))
    value = fields.Raw(allow_none=True, metadata={"description": "the value to set"})
    unset = fields.Boolean(load_default=False,
                           metadata={"description": "remove the key's value instead"})


class ChangeRequestEditSchema(Schema):
    """PUT /change-requests/{id}: the request's new content (its author only)."""

    updates = fields.List(fields.Nested(RequestUpdateSchema), required=True,
                          validate=validate.Length(min=1, max=1000))
    description = fields.String(load_default=None, allow_none=True)
    scheduled_at = fields.AwareDateTime(load_default=None, allow_none=True)


class ReviewDecisionSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=2000))


class StateQuerySchema(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(STATES),
                          metadata={"description": "only requests in this state (`review`: "
                                                   "break-glass writes awaiting review)"})


class RequestApprovalSchema(Schema):
    user = fields.String()
    content_hash = fields.String()
    at = fields.String()


class RequestDiffSchema(Schema):
    key = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    unset = fields.Boolean()


class ChangeRequestSchema(Schema):
    id = fields.Integer(validate=ID_RANGE)
    state = fields.String(metadata={"description": ", ".join(STATES)})
    author = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    description = fields.String(allow_none=True)
    source = fields.String()
    updates = fields.List(fields.Dict())
    expected_versions = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                    metadata={"description": "the versions it was made "
                                                             "against; applying checks them"})
    diff = fields.List(fields.Nested(RequestDiffSchema))
    content_hash = fields.String(metadata={"description": "approvals count for this hash only"})
    approvals_needed = fields.Integer()
    approvals = fields.List(fields.Nested(RequestApprovalSchema))
    approved_by = fields.List(fields.String(), metadata={
        "description": "who approved the present content"})
    scheduled_at = fields.DateTime(allow_none=True)
    break_glass = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    applied_at = fields.DateTime(allow_none=True)
    applied_revision = fields.Integer(allow_none=True)
    applied_by = fields.String(allow_none=True)


class ChangeRequestPageSchema(Schema):
    change_requests = fields.List(fields.Nested(ChangeRequestSchema))
    total = fields.Integer()
