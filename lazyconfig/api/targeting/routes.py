"""Routes of the targeting resource: each parses, calls the engine once, serializes."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_context, request_id
from ..presenters import redaction
from ..schemas import ContextQuerySchema, key_parameter
from .schemas import RULES_EXAMPLE, DecisionSchema, TargetingSchema, TargetingUpdateSchema

blp = Blueprint("targeting", __name__, "Targeting rules, and what decides a value for a context")
KEY = [key_parameter("lazy_loading_unloading_check_interval")]


def targeting(key: str) -> dict:
    shown = redaction()
    rules = [{**rule, "value": shown.value(key, rule["value"])}
             for rule in engine().get_targeting(key)]
    return {"key": key, "rules": rules, "version": engine().get_entry(key).version}


@blp.route("/values/<string:key>/targeting", parameters=KEY)
class Targeting(MethodView):
    @blp.requires("viewer")
    @blp.response(200, TargetingSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, key):
        """The key's targeting rules, in order"""
        return targeting(key)

    @blp.requires("editor", writes=True)
    @blp.arguments(TargetingUpdateSchema, example=RULES_EXAMPLE)
    @blp.response(200, TargetingSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="a rule or its value is refused")
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, body, key):
        """Replace the key's targeting rules (logged with action `target`)"""
        engine().put_targeting(key, body["rules"], user=current_user(),
                               description=body["description"], request_id=request_id())
        return targeting(key)

    @blp.requires("editor", writes=True)
    @blp.response(200, TargetingSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, key):
        """Remove the key's targeting rules (logged with action `untarget`)"""
        engine().put_targeting(key, None, user=current_user(), request_id=request_id())
        return targeting(key)


@blp.route("/values/<string:key>/explain", parameters=KEY)
class Explain(MethodView):
    @blp.requires("viewer")
    @blp.arguments(ContextQuerySchema, location="query")
    @blp.response(200, DecisionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, key):
        """The key's value for a context, and which layer, rule or experiment decided it"""
        context = request_context(query)
        decision = engine().decide(key, context)
        return {"key": key, "value": redaction().value(key, decision.value),
                "layer": decision.layer, "rule": decision.rule,
                "experiment": decision.experiment, "variant": decision.variant,
                "unit": decision.unit, "rollout": decision.rollout,
                "context": context}
