"""Routes of the snapshots resource."""
from __future__ import annotations

from flask.views import MethodView

from .. import presenters
from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_id, sees_sensitive
from .schemas import (CREATE_EXAMPLE, DiffQuerySchema, RollbackResultSchema, RollbackSchema,
                      SnapshotCreateSchema, SnapshotDetailSchema, SnapshotDiffSchema,
                      SnapshotPageSchema, SnapshotSchema)

blp = Blueprint("snapshots", __name__, "Snapshots and rollback")


@blp.route("/snapshots")
class Snapshots(MethodView):
    @blp.requires("viewer")
    @blp.response(200, SnapshotPageSchema)
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, pagination_parameters):
        """Snapshot metadata, newest first, a page at a time"""
        page = pagination_parameters
        items, total = engine().snapshot_page(page.page_size, page.first_item)
        page.item_count = total
        return {"snapshots": items, "total": total, "page": page.page,
                "page_size": page.page_size}

    @blp.requires("editor", writes=True)
    @blp.arguments(SnapshotCreateSchema, example=CREATE_EXAMPLE, required=False)
    @blp.response(201, SnapshotDetailSchema)
    def post(self, body):
        """Capture the persisted layers now"""
        snapshot_id = engine().create_snapshot(body["description"], body["tags"],
                                               user=current_user())
        return engine().get_snapshot(snapshot_id, include_sensitive=sees_sensitive())


@blp.route("/snapshots/<id:snapshot_id>")
class Snapshot(MethodView):
    @blp.requires("viewer")
    @blp.response(200, SnapshotDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, snapshot_id):
        """One snapshot with the values it holds"""
        return engine().get_snapshot(snapshot_id, include_sensitive=sees_sensitive())

    @blp.requires("admin", writes=True)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, snapshot_id):
        """Delete a snapshot"""
        engine().delete_snapshot(snapshot_id, user=current_user())


@blp.route("/snapshots/<id:snapshot_id>/rollback")
class Rollback(MethodView):
    @blp.requires("editor", writes=True)
    @blp.arguments(RollbackSchema, required=False)
    @blp.response(200, RollbackResultSchema)
    @blp.alt_response(400, response="BAD_REQUEST",
                      description="a value no longer passes its rule; nothing is restored")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(412, response="PRECONDITION_FAILED",
                      description="the configuration moved past `expected_revision`")
    def post(self, body, snapshot_id):
        """Restore the snapshot's values atomically (a safety snapshot is taken first)"""
        result = engine().rollback_to_snapshot(
            snapshot_id, user=current_user(), keys=body["keys"], dry_run=body["dry_run"],
            description=body["description"], expected_revision=body["expected_revision"],
            request_id=request_id())
        return presenters.write_result(result)


@blp.route("/snapshots/<id:snapshot_id>/diff")
class Diff(MethodView):
    @blp.requires("viewer")
    @blp.arguments(DiffQuerySchema, location="query")
    @blp.response(200, SnapshotDiffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, snapshot_id):
        """Keys added, removed and changed in the persisted values from this snapshot to
        another one, or to the current configuration"""
        return engine().diff_snapshots(snapshot_id, query["against"],
                                       include_sensitive=sees_sensitive())


@blp.route("/snapshots/<id:snapshot_id>/pin")
class Pin(MethodView):
    @blp.requires("editor", writes=True)
    @blp.response(200, SnapshotSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, snapshot_id):
        """Pin a snapshot: retention never deletes it (recorded in the audit log)"""
        return engine().pin_snapshot(snapshot_id, True, user=current_user(),
                                     request_id=request_id())

    @blp.requires("editor", writes=True)
    @blp.response(200, SnapshotSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, snapshot_id):
        """Unpin a snapshot: retention may delete it again (recorded in the audit log)"""
        return engine().pin_snapshot(snapshot_id, False, user=current_user(),
                                     request_id=request_id())
