"""Routes of the rollouts resource: each parses, calls the engine once, serializes."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_id
from ..presenters import redaction
from ..experiments.schemas import EventsSchema
from .schemas import (EVENTS_EXAMPLE, START_EXAMPLE, RolloutEventsAcceptedSchema,
                      RolloutListSchema, RolloutSchema, RolloutStartSchema)

blp = Blueprint("rollouts", __name__, "Rollouts: new values for a growing share of clients")


def shown(rollout: dict) -> dict:
    """A rollout with its new values masked for a caller who may not see them."""
    mask = redaction().value
    return {**rollout, "changes": {k: mask(k, v) for k, v in rollout["changes"].items()}}


@blp.route("/rollouts")
class Rollouts(MethodView):
    @blp.requires("viewer")
    @blp.response(200, RolloutListSchema)
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, pagination_parameters):
        """Rollouts, newest first, a page at a time"""
        page = pagination_parameters
        items, total = engine().rollout_page(page.page_size, page.first_item)
        page.item_count = total
        return {"rollouts": [shown(r) for r in items], "total": total}

    @blp.requires("editor", writes=True)
    @blp.arguments(RolloutStartSchema, example=START_EXAMPLE)
    @blp.response(201, RolloutSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="the definition is refused")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="another rollout changes a key")
    def post(self, body):
        """Start a gradual rollout of new values (logged with action `rollout`)"""
        return shown(engine().start_rollout(body, user=current_user(), request_id=request_id()))


@blp.route("/rollouts/<id:rollout_id>")
class Rollout(MethodView):
    @blp.requires("viewer")
    @blp.response(200, RolloutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, rollout_id):
        """One rollout: status, step, percent, when the next step is due, health rules"""
        return shown(engine().get_rollout(rollout_id))


@blp.route("/rollouts/<id:rollout_id>/pause")
class Pause(MethodView):
    @blp.requires("editor", writes=True)
    @blp.response(200, RolloutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="the rollout is not running")
    def post(self, rollout_id):
        """Stop the rollout at its step; its cohort keeps the new values"""
        return shown(engine().pause_rollout(rollout_id))


@blp.route("/rollouts/<id:rollout_id>/resume")
class Resume(MethodView):
    @blp.requires("editor", writes=True)
    @blp.response(200, RolloutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="the rollout is not paused")
    def post(self, rollout_id):
        """Go on from the paused step, which holds its full time again"""
        return shown(engine().resume_rollout(rollout_id))


@blp.route("/rollouts/<id:rollout_id>/abort")
class Abort(MethodView):
    @blp.requires("editor", writes=True)
    @blp.response(200, RolloutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="the rollout has ended")
    def post(self, rollout_id):
        """Roll every cohort back to the old values (logged with action `rollback`)"""
        return shown(engine().abort_rollout(rollout_id, user=current_user(),
                                            request_id=request_id()))


@blp.route("/rollouts/<id:rollout_id>/events")
class Events(MethodView):
    @blp.requires("viewer", writes=True)
    @blp.arguments(EventsSchema, example=EVENTS_EXAMPLE)
    @blp.response(200, RolloutEventsAcceptedSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="a malformed event; none kept")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="the rollout has ended")
    def post(self, body, rollout_id):
        """Report metric observations, in a batch; the server puts each unit in its cohort"""
        return engine().record_rollout_events(rollout_id, body["exposures"], body["metrics"])
