"""Routes of the values resource: each parses, calls the engine once, serializes."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from .. import presenters
from ..auth import current_caller, current_user, require_keys
from ..blueprint import Blueprint
from ..change_requests.gate import BREAK_GLASS_PARAMETER, BROKE_GLASS, HELD, held
from ..change_requests.schemas import ChangeRequestSchema
from ..context import engine, request_context, request_id, sees_sensitive
from ..schemas import COMPACTED, ContextQuerySchema, key_parameter
from .preconditions import ETAG_HEADER, IF_MATCH_PARAMETER, etag, if_match_version
from .schemas import (BATCH_EXAMPLE, PUT_EXAMPLE, BatchResultSchema, BatchSchema,
                      EntryListSchema, EntrySchema, HistoryQuerySchema, HistorySchema,
                      RevertSchema, ValueUpdateSchema, ValuesQuerySchema)


blp = Blueprint("values", __name__, "Configuration values and their history")
KEY = [key_parameter("lazy_loading_unloading_check_interval")]


@blp.route("/values")
class Values(MethodView):
    @blp.requires("viewer", scoped=True)
    @blp.arguments(ValuesQuerySchema, location="query")
    @blp.response(200, EntryListSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="no such revision yet")
    @blp.alt_response(410, response="GONE", description=COMPACTED)
    def get(self, query):
        """Every key's effective value, source and layers (for a context, when one is
        given); with `at_revision` or `at`, the effective values then, as the change log
        recorded them (no layers). A token scoped to keys sees those keys only."""
        caller = current_caller()
        if query["at_revision"] is None and query["at"] is None:
            entries, context = engine().entries(), request_context(query)
            shown = sorted(k for k in entries if caller.may_use(k))
            return {"values": [presenters.entry(entries[k], engine().decide(k, context))
                               for k in shown], "count": len(shown)}
        past = engine().values_at(query["at_revision"], at=query["at"])
        return presenters.past(past, caller.may_use)


@blp.route("/values/<string:key>", parameters=KEY)
class Value(MethodView):
    @blp.requires("viewer")
    @blp.arguments(ContextQuerySchema, location="query")
    @blp.response(200, EntrySchema, headers=ETAG_HEADER)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, key):
        """One key's effective value, source, layers and version (for a context, when one
        is given: `source` then names the layer that decided it, targeting or experiment)"""
        item = engine().get_entry(key)
        return presenters.entry(item, engine().decide(key, request_context(query))), 200, \
            etag(item.version)

    @blp.requires("editor", writes=True)
    @blp.doc(parameters=[IF_MATCH_PARAMETER, BREAK_GLASS_PARAMETER])
    @blp.arguments(ValueUpdateSchema, example=PUT_EXAMPLE)
    @blp.response(200, EntrySchema, headers=ETAG_HEADER)
    @blp.alt_response(201, schema=ChangeRequestSchema, description=BROKE_GLASS)
    @blp.alt_response(202, schema=ChangeRequestSchema, description=HELD)
    @blp.alt_response(400, response="BAD_REQUEST", description="the value breaks its rule")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="body key differs from the path")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def put(self, body, key):
        """Set one value (If-Match: "<version>" is honoured when sent)"""
        if body.get("key", key) != key:
            abort(409, message=f"the body's key {body['key']!r} is not the path's {key!r}",
                  errors={"key": ["must match the key in the path"]})
        expected = if_match_version()
        answer = held([(key, body["value"], None)], source=body["source"],
                      description=body["description"],
                      expected=None if expected is None else {key: expected},
                      scheduled_at=body["scheduled_at"])
        if answer is not None:
            return answer
        written = engine().write_values(
            [(key, body["value"], body["description"])], source=body["source"],
            user=current_user(), description=body["description"], action="set",
            expected_versions=None if expected is None else {key: expected},
            request_id=request_id())
        item = written.entries[key]
        return presenters.entry(item), 200, etag(item.version)

    @blp.requires("editor", writes=True)
    @blp.doc(parameters=[IF_MATCH_PARAMETER, BREAK_GLASS_PARAMETER])
    @blp.response(200, EntrySchema, headers=ETAG_HEADER)
    @blp.alt_response(201, schema=ChangeRequestSchema, description=BROKE_GLASS)
    @blp.alt_response(202, schema=ChangeRequestSchema, description=HELD)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def delete(self, key):
        """Remove the key's runtime override; the next layer down takes effect"""
        expected = if_match_version()
        answer = held(unsets=[key], expected=None if expected is None else {key: expected})
        if answer is not None:
            return answer
        written = engine().unset(key, user=current_user(), expected_version=expected,
                                 request_id=request_id())
        item = written.entries[key]
        return presenters.entry(item), 200, etag(item.version)


@blp.route("/values/batch")
class Batch(MethodView):
    @blp.requires("editor", writes=True, scoped=True)
    @blp.doc(parameters=[BREAK_GLASS_PARAMETER])
    @blp.arguments(BatchSchema, example=BATCH_EXAMPLE)
    @blp.response(200, BatchResultSchema)
    @blp.alt_response(201, schema=ChangeRequestSchema, description=BROKE_GLASS)
    @blp.alt_response(202, schema=ChangeRequestSchema, description=HELD)
    @blp.alt_response(400, response="BAD_REQUEST", description="a value breaks its rule; "
                                                               "nothing is applied")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(412, response="PRECONDITION_FAILED",
                      description="a key is no longer at its `expected_version`; nothing is "
                                  "applied")
    def post(self, write):
        """Apply several values atomically, optionally after a snapshot (each update may
        carry the `expected_version` its key must still be at)"""
        require_keys(key for key, _, _ in write["updates"])
        scheduled_at = write.pop("scheduled_at")
        answer = held(write["updates"], source=write["source"],
                      expected=write["expected_versions"], scheduled_at=scheduled_at)
        if answer is not None:
            return answer
        changes = engine().write_values(**write, user=current_user(), action="batch",
                                        request_id=request_id())
        return {"success": True, "results": {key: True for key, _, _ in write["updates"]},
                "revision": changes.revision,
                "snapshot_created": changes.snapshot_id is not None,
                "snapshot_id": changes.snapshot_id,
                "safety_snapshot_id": changes.snapshot_id,
                "changes": presenters.changes(changes)}


@blp.route("/values/<string:key>/history", parameters=KEY)
class History(MethodView):
    @blp.requires("viewer")
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, HistorySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, key):
        """A key's changes, newest first"""
        items, total = engine().get_history(key, query["limit"], query["offset"],
                                            include_sensitive=sees_sensitive())
        return {"key": key, "total": total, "history": items}


@blp.route("/values/<string:key>/revert", parameters=KEY)
class Revert(MethodView):
    @blp.requires("editor", writes=True)
    @blp.doc(parameters=[IF_MATCH_PARAMETER])
    @blp.arguments(RevertSchema, example={"revision": 12, "description": "undo the change"})
    @blp.response(200, EntrySchema, headers=ETAG_HEADER)
    @blp.alt_response(400, response="BAD_REQUEST",
                      description="no such revision, or its value breaks today's rule")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description=COMPACTED)
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def post(self, body, key):
        """Give the key back the value it had at a revision (a runtime override, logged
        with action `revert`)"""
        written = engine().revert(key, body["revision"], user=current_user(),
                                  description=body["description"],
                                  expected_version=if_match_version(), request_id=request_id())
        item = written.entries[key]
        return presenters.entry(item), 200, etag(item.version)
