"""Health checks: open to load balancers and probes, no token needed."""
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
