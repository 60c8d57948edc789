"""The notifications query and answer, and the change stream's query."""
from __future__ import annotations

from marshmallow import (EXCLUDE, Schema, ValidationError, fields, post_load, validate,
                         validates_schema)

from ..schemas import ID_RANGE, PAGE_NOTE, ChangeSchema

MAX_WAIT = 60.0  # seconds a blocking query may hold its thread; longer waits are cut to this


class NotificationQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000),
                           metadata={"description": PAGE_NOTE})
    since = fields.Integer(load_default=None, validate=ID_RANGE, metadata={
        "description": "only changes after this revision (oldest first from there)"})
    key = fields.String(load_default=None, metadata={"description": "only this key's changes"})
    wait = fields.Float(load_default=0.0, validate=validate.Range(min=0), metadata={
        "description": "with `since`: when nothing came after it yet, wait up to this many "
                       f"seconds (at most {MAX_WAIT:g}) for a change, and answer as soon as "
                       "one is made, on any worker or instance; an empty list when none came"})

    @validates_schema
    def _wait_needs_since(self, data, **_kwargs):
        if data.get("wait") and data.get("since") is None:
            raise ValidationError("wait needs since: the revision you have seen", "wait")

    @post_load
    def _cap_wait(self, data, **_kwargs):
        return {**data, "wait": min(data["wait"], MAX_WAIT)}


class NotificationsSchema(Schema):
    notifications = fields.List(fields.Nested(ChangeSchema),
                                metadata={"description": "in revision order"})


class StreamQuerySchema(Schema):
    key = fields.String(load_default=None, metadata={"description": "only this key's changes"})
    last_event_id = fields.Integer(load_default=None, validate=ID_RANGE, metadata={
        "description": "resume after this revision, like the Last-Event-ID header (which "
                       "wins when both are sent); 0 replays the whole log"})


class StreamHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    last_event_id = fields.Integer(
        data_key="Last-Event-ID", load_default=None, validate=ID_RANGE,
        metadata={"description": "the last revision you received (an EventSource sends it "
                                 "when it reconnects): the stream first replays every change "
                                 "after it"})
