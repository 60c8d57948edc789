"""GET /notifications (optionally blocking) and GET /notifications/stream (server-sent events)."""
from __future__ import annotations

import time

from flask import Response, current_app, request
from flask.views import MethodView

from ..auth import current_caller, require_keys, still_valid_check
from ..blueprint import Blueprint
from ..context import engine, sees_sensitive
from ..metrics import metrics
from ...service.clients import header_client_name
from ..schemas import COMPACTED
from .departure import client_gone
from .handover import StreamPlan, WaitPlan, front
from .schemas import (NotificationQuerySchema, NotificationsSchema, StreamHeadersSchema,
                      StreamQuerySchema)
from .waiting import (HEARTBEAT_SECONDS, change_feed, event_stream,
                      wait_for_notifications)

blp = Blueprint("notifications", __name__, "Configuration change notifications")
STREAM_EXAMPLE = ('id: 42\nevent: change\ndata: {"revision":42,"key":"load_timeout",'
                  '"old_value":30.0,"new_value":45.0,"source":"runtime","action":"set",...}\n\n')
# OpenAPI before 3.2 describes each event of a stream with `schema`, not the stream's text.
EVENT_SCHEMA = {"type": "object", "description": "one event of the stream", "properties": {
    "id": {"type": "string", "description": "the change's revision"},
    "event": {"type": "string", "enum": ["change"]},
    "data": {"type": "string", "description": "the change as JSON: an entry of GET "
                                              "/notifications"}}}
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
CLIENT_HEADER = "X-Lazyconfig-Client"  # id=…; host=…; version=… (docs/notifications.md)


def named_client():
    """Who the request's watcher says it is, if it says so (service/clients.py)."""
    return header_client_name(request.headers.get(CLIENT_HEADER))


def _ended():
    """A check that says the request's client went, or its token was revoked or expired."""
    departed, valid = client_gone(request.environ), still_valid_check()
    return lambda: departed() or not valid()


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.requires("viewer", scoped=True)
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationsSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE",
                      description="too many clients wait already; retry after a few seconds")
    @blp.alt_response(410, response="GONE", description=COMPACTED)
    def get(self, query):
        """Changes with who made them: the newest `limit`, or the `limit` after `since`;
        with `wait`, a blocking query that answers as soon as a change after `since` exists"""
        sensitive, caller = sees_sensitive(), current_caller()
        if query["key"] is not None:
            require_keys([query["key"]])
        name = named_client()
        if name is not None and query["wait"]:  # a blocking query has what it says it has
            engine().client_reports.note(name, "wait", query["since"])

        def fetch():
            found = engine().get_notifications(query["limit"], query["since"], query["key"],
                                               include_sensitive=sensitive)
            return [item for item in found if caller.may_use(item["key"])]
        loop_front = front(request.environ)
        if not query["wait"] or (loop_front is not None and loop_front.waited):
            return {"notifications": fetch()}
        if loop_front is not None:  # the front waits on its event loop, then asks again
            # Its place first, as a thread would take it; `seen` read before fetching, so
            # that a change made meanwhile wakes the wait.
            loop_front.take(WaitPlan(engine(), query["key"], engine().revision,
                                     query["wait"], still_valid_check()))
            found = fetch()
            if found:
                loop_front.drop()
            return {"notifications": found}
        found = wait_for_notifications(change_feed(current_app), fetch, query["key"],
                                       query["wait"], _ended())
        return {"notifications": found}


@blp.route("/notifications/stream")
class NotificationStream(MethodView):
    @blp.requires("viewer", scoped=True)
    @blp.arguments(StreamQuerySchema, location="query")
    @blp.arguments(StreamHeadersSchema, location="headers")
    @blp.doc(responses={"200": {
        "description": "`text/event-stream`: one `change` event per change (id = revision, "
                       "data = a notification), in revision order; a comment line every "
                       f"{HEARTBEAT_SECONDS:g} s when idle. Ends when the token expires.",
        "content": {"text/event-stream": {"schema": EVENT_SCHEMA,
                                          "example": STREAM_EXAMPLE}}}})
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description=COMPACTED)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE",
                      description="too many clients wait already; retry after a few seconds")
    def get(self, query, headers):
        """Server-sent events: every change as it is made, on any worker or instance,
        resumable with Last-Event-ID"""
        key = query["key"]
        if key is not None:
            require_keys([key])
            engine().get_rule(key)  # a typo should not wait forever in silence
        last_event_id = headers["last_event_id"]
        if last_event_id is None:
            last_event_id = query["last_event_id"]
        if last_event_id is not None:  # refused now, not once the stream has begun
            engine().change_log.check_kept(last_event_id)
        caller = current_caller()
        lifetime = (float("inf") if caller.expires_at is None
                    else caller.expires_at - time.time())
        loop_front = front(request.environ)
        if loop_front is not None:  # the front streams from its event loop
            loop_front.take(StreamPlan(engine(), key, last_event_id, sees_sensitive(),
                                       lifetime, still_valid_check(), caller.may_use,
                                       named_client()))
            return Response(b"", mimetype="text/event-stream", headers=STREAM_HEADERS)
        stream = event_stream(engine(), change_feed(current_app), key=key,
                              last_event_id=last_event_id,
                              include_sensitive=sees_sensitive(), lifetime=lifetime,
                              gone=_ended(), admits=caller.may_use)
        return metrics().streaming(Response(
            stream, mimetype="text/event-stream", headers=STREAM_HEADERS))
