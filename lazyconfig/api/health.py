"""Health checks: open to load balancers and probes, no token needed. /health says the
process serves; /health/ready also says its database answers (503 when it does not)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .context import engine

blp = Blueprint("health", __name__, url_prefix="/api", description="Liveness, without a token")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    revision = fields.Integer(metadata={"description": "the configuration revision served"})


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up and serving its in-memory configuration"""
        return {"status": "ok", "revision": engine().revision}


@blp.route("/health/ready")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self):
        """The database answers and this process has caught up with it"""
        return {"status": "ready", "revision": engine().refresh()}
