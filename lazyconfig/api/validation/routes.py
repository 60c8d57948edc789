"""POST /validate."""
from __future__ import annotations

from flask.views import MethodView

from ..blueprint import Blueprint
from ..context import engine
from .schemas import EXAMPLE, ValidateSchema, ValidationResultSchema

blp = Blueprint("validation", __name__, "Validate a value without applying it")


@blp.route("/validate")
class Validate(MethodView):
    @blp.requires("viewer")
    @blp.arguments(ValidateSchema, example=EXAMPLE)
    @blp.response(200, ValidationResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body):
        """Whether a value would be accepted for a key, and why not; applies nothing"""
        engine().get_rule(body["key"])  # an unknown key is a 404, as on PUT
        problems = engine().validate(body["key"], body["value"])
        return {"key": body["key"], "is_valid": not problems, "validation_errors": problems}
