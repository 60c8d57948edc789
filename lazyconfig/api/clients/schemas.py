"""Bodies of the clients resource (service/clients.py)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..schemas import ID_RANGE

FIELD = validate.Length(max=200)


class ReportSchema(Schema):
    revision = fields.Integer(required=True, strict=True, validate=ID_RANGE, metadata={
        "description": "the newest revision this client has applied"})
    host = fields.String(load_default="", validate=FIELD)
    version = fields.String(load_default="", validate=FIELD)


class ClientSchema(Schema):
    id = fields.String()
    host = fields.String()
    version = fields.String()
    transport = fields.String(metadata={"description": "sse, wait, websocket or report"})
    acked = fields.Integer(allow_none=True, metadata={
        "description": "the last revision it acknowledged (null: none yet)"})
    last_seen = fields.DateTime(attribute="seen_at")
    lag_revisions = fields.Integer(metadata={"description": "head − acked"})
    lag_seconds = fields.Float(metadata={
        "description": "since the first revision it has not acknowledged was committed"})


class ClientListSchema(Schema):
    head = fields.Integer()
    clients = fields.List(fields.Nested(ClientSchema))


class PendingSchema(Schema):
    id = fields.String()
    acked = fields.Integer(allow_none=True)


class DeliverySchema(Schema):
    revision = fields.Integer()
    head = fields.Integer()
    total = fields.Integer(metadata={"description": "known clients (seen within the TTL)"})
    delivered = fields.Integer(metadata={"description": "of them, acknowledged `revision` "
                                                        "or later"})
    pending = fields.List(fields.Nested(PendingSchema), metadata={
        "description": "the others, with what they acknowledged"})
