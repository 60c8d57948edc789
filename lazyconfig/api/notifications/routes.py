"""GET /notifications."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import sees_sensitive
from ..blueprint import Blueprint
from ..context import engine
from .schemas import NotificationQuerySchema, NotificationsSchema

blp = Blueprint("notifications", __name__, "Configuration change notifications")


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.requires("viewer")
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationsSchema)
    def get(self, query):
        """Changes with who made them: the newest `limit`, or the `limit` after `since`"""
        return {"notifications": engine().get_notifications(
            query["limit"], query["since"], query["key"], include_sensitive=sees_sensitive())}
