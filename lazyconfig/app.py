"""The Flask application factory: configuration from defaults, then the environment, then
`test_config`; the engine from `test_config["LAZYCONFIG_ENGINE"]` or built from settings."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from . import api
from .auth import DEFAULT_TOKEN_TTL, resolve_secret
from .service.bootstrap import get_configuration_engine
from .settings import Settings

log = logging.getLogger(__name__)
MIB = 1024 * 1024
_FROM_ENV = ("LAZYCONFIG_JWT_SECRET", "LAZYCONFIG_ENV", "LAZYCONFIG_TOKEN_TTL",
             "LAZYCONFIG_MAX_BODY_BYTES")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Refuses (SecretError) to start without a proper signing secret on
    PostgreSQL or in production; on the embedded default it generates one."""
    config: dict[str, Any] = {name: os.environ[name] for name in _FROM_ENV if name in os.environ}
    config.update(test_config or {})
    engine = config.pop("LAZYCONFIG_ENGINE", None) or get_configuration_engine(Settings.from_env())
    settings = engine.settings
    secret = resolve_secret(config, settings.database_url, settings.instance_path)
    if secret.generated_at is not None:
        log.info("no LAZYCONFIG_JWT_SECRET: signing tokens with the secret in %s; make a "
                    "token with: lazyconfig token create --user NAME --role admin",
                    secret.generated_at)

    app = Flask(__name__, instance_path=str(Path(settings.instance_path).resolve()))
    app.config.update(
        MAX_CONTENT_LENGTH=int(config.get("LAZYCONFIG_MAX_BODY_BYTES") or MIB),
        **{k: v for k, v in config.items() if not k.startswith("LAZYCONFIG_")})
    api.init_app(app, engine, secret.value,
                 int(config.get("LAZYCONFIG_TOKEN_TTL") or DEFAULT_TOKEN_TTL))
    return app
