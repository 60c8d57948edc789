"""Routes of the experiments resource: each parses, calls the engine once, serializes."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_id
from ..presenters import redaction
from .schemas import (CREATE_EXAMPLE, EVENTS_EXAMPLE, ConcludeSchema, EventsAcceptedSchema,
                      EventsSchema, ExperimentChangeSchema, ExperimentCreateSchema,
                      ExperimentListSchema, ExperimentSchema, ResultsSchema)

blp = Blueprint("experiments", __name__, "Experiments: variants of a value, events, results")


def shown(experiment: dict) -> dict:
    """An experiment with its variants' values masked for a caller who may not see them."""
    mask = redaction().value
    return {**experiment, "variants": [{**v, "value": mask(experiment["key"], v["value"])}
                                       for v in experiment["variants"]]}


@blp.route("/experiments")
class Experiments(MethodView):
    @blp.requires("viewer")
    @blp.response(200, ExperimentListSchema)
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, pagination_parameters):
        """Experiments, newest first, a page at a time"""
        page = pagination_parameters
        items, total = engine().experiment_page(page.page_size, page.first_item)
        page.item_count = total
        return {"experiments": [shown(e) for e in items], "total": total}

    @blp.requires("editor", writes=True)
    @blp.arguments(ExperimentCreateSchema, example=CREATE_EXAMPLE)
    @blp.response(201, ExperimentSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="the definition is refused")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="one already runs on the key, or "
                                                             "its layer has no room")
    def post(self, body):
        """Start an experiment on a key (logged with action `experiment`)"""
        key = body.pop("key")
        return shown(engine().start_experiment(key, body, user=current_user(),
                                               request_id=request_id()))


@blp.route("/experiments/<id:experiment_id>")
class Experiment(MethodView):
    @blp.requires("viewer")
    @blp.response(200, ExperimentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, experiment_id):
        """One experiment: its definition, bucket ranges and status"""
        return shown(engine().get_experiment(experiment_id))

    @blp.requires("editor", writes=True)
    @blp.arguments(ExperimentChangeSchema, example={"coverage": 0.5})
    @blp.response(200, ExperimentSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="weights that do not sum to 1")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="it would move exposed units, or "
                                                             "the experiment has ended")
    def patch(self, body, experiment_id):
        """Raise coverage or change weights; no unit already in a variant changes variant
        (logged with action `experiment`)"""
        return shown(engine().change_experiment(experiment_id, **body, user=current_user(),
                                                request_id=request_id()))


@blp.route("/experiments/<id:experiment_id>/events")
class Events(MethodView):
    @blp.requires("viewer", writes=True)
    @blp.arguments(EventsSchema, example=EVENTS_EXAMPLE)
    @blp.response(200, EventsAcceptedSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="a malformed event; none kept")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="the experiment has ended")
    def post(self, body, experiment_id):
        """Report exposures and metric observations, in a batch (clients do it for you)"""
        return engine().record_events(experiment_id, body["exposures"], body["metrics"])


@blp.route("/experiments/<id:experiment_id>/results")
class Results(MethodView):
    @blp.requires("viewer")
    @blp.response(200, ResultsSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, experiment_id):
        """Per variant: exposures, each metric's mean and confidence interval, the difference
        against control with Welch's t-test p-value; a sample-ratio-mismatch check"""
        return engine().experiment_results(experiment_id)


@blp.route("/experiments/<id:experiment_id>/conclude")
class Conclude(MethodView):
    @blp.requires("editor", writes=True)
    @blp.arguments(ConcludeSchema, example={"winner": "aggressive"})
    @blp.response(200, ExperimentSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="no such variant")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="the experiment has ended")
    def post(self, body, experiment_id):
        """End the experiment: the winner's value becomes the runtime value (one logged
        write, action `conclude`)"""
        return shown(engine().conclude_experiment(experiment_id, body["winner"],
                                                  user=current_user(), request_id=request_id()))
