"""The Flask application factory: settings from defaults, then the environment, then
`test_config`; the engine from `test_config["LAZYCONFIG_ENGINE"]` or built from settings."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from . import api
from .auth import resolve_secret
from .service.bootstrap import get_configuration_engine
from .settings import PREFIX, Settings

log = logging.getLogger(__name__)
ENGINE = PREFIX + "ENGINE"  # a test_config entry: serve this engine instead of building one


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Refuses (SecretError) to start without a proper signing secret on
    PostgreSQL or in production; on the embedded default it generates one. Other
    `test_config` entries go to Flask's config."""
    config = dict(test_config or {})
    engine = config.pop(ENGINE, None)
    # A given engine decides where the data (and a generated secret) lives.
    storage = ({} if engine is None else {"database_url": engine.settings.database_url,
                                          "instance_path": engine.settings.instance_path})
    settings = Settings.load(config, **storage)
    engine = engine or get_configuration_engine(settings)
    secret = resolve_secret(settings)
    if secret.generated_at is not None:
        log.info("no LAZYCONFIG_JWT_SECRET: signing tokens with the secret in %s; make a "
                 "token with: lazyconfig token create --user NAME --role admin",
                 secret.generated_at)

    app = Flask(__name__, instance_path=str(Path(settings.instance_path).resolve()))
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes,
                      **{k: v for k, v in config.items() if not k.startswith(PREFIX)})
    api.init_app(app, engine, settings, secret.value)
    engine.start_backup_schedule()  # when LAZYCONFIG_BACKUP_INTERVAL is set (docs/backups.md)
    engine.start_rollout_driver()  # unless LAZYCONFIG_ROLLOUT_POLL is 0 (docs/targeting.md)
    return app
