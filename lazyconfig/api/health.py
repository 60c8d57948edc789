"""Health checks: open to load balancers and probes, no token needed.

/healthz (and /api/health) says the process serves its in-memory configuration;
/readyz (and /api/health/ready) also says its database answers and the schema is at the
newest migration, and answers 503 otherwise; also after a write found the tables moved
(SchemaMoved), until the refresh here has loaded the whole state again (coherence/replica.py).
"""
from __future__ import annotations

import functools
import logging

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError

from ..db import migrate
from ..errors import NotReady, StorageUnavailable
from .context import engine

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__, url_prefix="",
                description="Liveness and readiness probes, without a token")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    revision = fields.Integer(metadata={"description": "the configuration revision served"})


class ReadySchema(HealthSchema):
    schema = fields.String(metadata={"description": "the database's migration revision"})


@functools.cache
def _head() -> str | None:
    return migrate.head_revision()


def ready() -> dict:
    """The database answers, this process has caught up with it, and the schema is at the
    newest migration; 503 (with the reason) otherwise."""
    try:
        schema = migrate.current_revision(engine().database)
        if schema != _head():
            raise NotReady(f"the database schema is at {schema or 'nothing'}, not at "
                           f"{_head()}: run `lazyconfig db upgrade`")
        revision = engine().refresh()
    except (StorageUnavailable, SQLAlchemyError) as exc:
        log.warning("not ready: %s", exc)
        raise StorageUnavailable("the configuration database is unavailable") from exc
    return {"status": "ready", "revision": revision, "schema": schema}


@blp.route("/healthz", endpoint="healthz")
@blp.route("/api/health", endpoint="health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """Liveness: the process is up and serving its in-memory configuration"""
        return {"status": "ok", "revision": engine().revision}


@blp.route("/readyz", endpoint="readyz")
@blp.route("/api/health/ready", endpoint="ready")
class Ready(MethodView):
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self):
        """Readiness: the database answers, this process has caught up with it, and the
        schema is at the newest migration"""
        return ready()
