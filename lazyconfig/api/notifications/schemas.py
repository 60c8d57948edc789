"""The notifications query and answer."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..schemas import ChangeSchema


class NotificationQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))
    since = fields.Integer(load_default=None, validate=validate.Range(min=0), metadata={
        "description": "only changes after this revision (oldest first from there)"})
    key = fields.String(load_default=None, metadata={"description": "only this key's changes"})


class NotificationsSchema(Schema):
    notifications = fields.List(fields.Nested(ChangeSchema),
                                metadata={"description": "in revision order"})
