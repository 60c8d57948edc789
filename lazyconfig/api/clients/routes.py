"""Routes of the clients resource: each parses, calls the engine once, serializes."""
from __future__ import annotations

from flask.views import MethodView

from ..blueprint import Blueprint
from ..context import engine
from .schemas import ClientListSchema, DeliverySchema, ReportSchema

blp = Blueprint("clients", __name__, "Named watchers and which revision each has")


@blp.route("/clients")
class Clients(MethodView):
    @blp.requires("viewer")
    @blp.response(200, ClientListSchema)
    def get(self):
        """Each watcher seen within LAZYCONFIG_CLIENT_TTL: host, version, transport, the
        last revision it acknowledged, and its lag in revisions and seconds"""
        clients, head = engine().watch_clients()
        return {"head": head, "clients": clients}


@blp.route("/clients/<client_id>/report")
class ClientReport(MethodView):
    @blp.requires("viewer", scoped=True)
    @blp.arguments(ReportSchema, example={"revision": 42, "host": "loader-7",
                                          "version": "1.4.0"})
    @blp.response(204)
    def post(self, body, client_id):
        """A plain client says it has applied `revision` (for clients that watch by
        polling, or not through a named stream)"""
        engine().report_client(client_id, body["revision"], body["host"], body["version"])


@blp.route("/notifications/<id:revision>/delivery")
class Delivery(MethodView):
    @blp.requires("viewer")
    @blp.response(200, DeliverySchema)
    def get(self, revision):
        """How many of the known clients have acknowledged `revision` or later, and which
        have not"""
        return engine().delivery(revision)
