"""GET /analytics/changes."""
from __future__ import annotations

from flask.views import MethodView

from ..blueprint import Blueprint
from ..context import engine
from .schemas import AnalyticsQuerySchema, ChangeAnalyticsSchema

blp = Blueprint("analytics", __name__, "Change analytics")


@blp.route("/analytics/changes")
class ChangeAnalytics(MethodView):
    @blp.requires("viewer")
    @blp.arguments(AnalyticsQuerySchema, location="query")
    @blp.response(200, ChangeAnalyticsSchema)
    def get(self, query):
        """Changes over time, by key, user or action; undo share and speed; refusals"""
        return engine().change_analytics(query["from_"], query["to"], query["group_by"],
                                         query["limit"])
