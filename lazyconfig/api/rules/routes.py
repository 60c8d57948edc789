"""GET /rules, GET and PUT /rules/{key}."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from .. import presenters
from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_id
from ..schemas import key_parameter
from .schemas import EXAMPLE, RuleListSchema, RuleSchema, build_rule

blp = Blueprint("rules", __name__, "Validation rules; defining one creates a custom key")


@blp.route("/rules")
class Rules(MethodView):
    @blp.requires("viewer")
    @blp.response(200, RuleListSchema)
    def get(self):
        """Every key's rule"""
        return {"rules": [presenters.rule(r.to_record()) for r in engine().list_rules()]}


@blp.route("/rules/<string:key>", parameters=[key_parameter("indexer_threads")])
class Rule(MethodView):
    @blp.requires("viewer")
    @blp.response(200, RuleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, key):
        """One key's rule"""
        return presenters.rule(engine().get_rule(key).to_record())

    @blp.requires("admin", writes=True)
    @blp.arguments(RuleSchema, example=EXAMPLE)
    @blp.response(200, RuleSchema)
    @blp.alt_response(400, response="BAD_REQUEST",
                      description="the default or a stored value breaks the rule")
    @blp.alt_response(409, response="CONFLICT", description="body key differs from the path")
    def put(self, body, key):
        """Create or replace a key's rule (a new key becomes a custom key)"""
        if body.pop("key", key) != key:
            abort(409, message="the body's key is not the path's",
                  errors={"key": ["must match the key in the path"]})
        rule = engine().put_rule(build_rule(key, body), user=current_user(),
                                 request_id=request_id())
        return presenters.rule(rule.to_record())
