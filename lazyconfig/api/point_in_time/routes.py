"""POST /restore: make a past revision's values current (GET /values?at_revision=N reads
them; api/values/routes.py)."""
from __future__ import annotations

from flask.views import MethodView

from .. import presenters
from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_id
from ..schemas import COMPACTED
from .schemas import RESTORE_EXAMPLE, RestoreResultSchema, RestoreSchema

blp = Blueprint("point_in_time", __name__, "Restore the configuration of a past revision")


@blp.route("/restore")
class Restore(MethodView):
    @blp.requires("editor", writes=True)
    @blp.arguments(RestoreSchema, example=RESTORE_EXAMPLE)
    @blp.response(200, RestoreResultSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="no such revision, or a past "
                                                               "value breaks today's rule; "
                                                               "nothing is applied")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description=COMPACTED)
    @blp.alt_response(412, response="PRECONDITION_FAILED",
                      description="the configuration moved past `expected_revision`")
    def post(self, body):
        """Make the effective values of a past revision (`at_revision`, or the newest
        revision committed by `at`) current, after a safety snapshot (action `restore`)"""
        result = engine().restore(body["at_revision"], at=body["at"], keys=body["keys"],
                                  dry_run=body["dry_run"], user=current_user(),
                                  expected_revision=body["expected_revision"],
                                  description=body["description"], request_id=request_id())
        return presenters.write_result(result)
