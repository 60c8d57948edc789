"""GET /status."""
from __future__ import annotations

from flask.views import MethodView

from .. import presenters
from ..blueprint import Blueprint
from ..context import engine
from .schemas import StatusSchema

blp = Blueprint("status", __name__, "Status of the configuration system")


@blp.route("/status")
class Status(MethodView):
    @blp.requires("viewer")
    @blp.response(200, StatusSchema)
    def get(self):
        """Summary statistics, revision and validation status"""
        return {"status": "ok", **presenters.summary(engine().get_configuration_summary()),
                "last_backup": engine().last_backup()}
