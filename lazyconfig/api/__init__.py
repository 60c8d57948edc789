"""The REST API: flask-smorest blueprints over the ConfigurationEngine."""
from __future__ import annotations

from flask import Flask

from ..service.engine import ConfigurationEngine
from ..settings import Settings
from . import auth, console, context, docs, errors, health, memory, metrics, observe
from .analytics import blp as analytics
from .backups import blp as backups
from .change_requests import blp as change_requests
from .body_limit import ChunkedBodyLimit
from .blueprint import Api, RowIdConverter
from .clients import blp as clients
from .configuration import blp as configuration
from .experiments import blp as experiments
from .rollouts import blp as rollouts
from .notifications import blp as notifications
from .point_in_time import blp as point_in_time
from .rules import blp as rules
from .schemas import MAX_ID
from .snapshots import blp as snapshots
from .status import blp as status
from .templates import blp as templates
from .tokens import blp as tokens
from .targeting import blp as targeting
from .validation import blp as validation
from .values import blp as values

RESOURCES = (status, values, validation, snapshots, notifications, configuration, rules,
             templates, tokens, point_in_time, analytics, backups, targeting, experiments,
             change_requests, rollouts, clients)


def init_app(app: Flask, configuration_engine: ConfigurationEngine, settings: Settings,
             secret: str) -> Api:
    """Mount the API, its docs, probes, metrics and error handling on `app`."""
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, settings.max_body_bytes)
    metrics.init_app(app, configuration_engine)
    observe.init_app(app)  # first, so a request's duration includes catching up
    memory.init_app(app)
    context.init_app(app, configuration_engine, settings)
    auth.init_app(app, secret, settings.token_ttl)
    docs.init_app(app)
    console.init_app(app, settings, secret)
    app.url_map.converters["id"] = RowIdConverter
    api = Api(app)
    api.register_converter(RowIdConverter, lambda _c: {"type": "integer", "minimum": 0,
                                                       "maximum": MAX_ID, "example": 1})
    errors.init_app(app)
    api.register_blueprint(health.blp)
    for blueprint in RESOURCES:
        api.register_blueprint(blueprint)
    return api
