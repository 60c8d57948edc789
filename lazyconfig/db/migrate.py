"""Run the Alembic history programmatically (start-up, tests and the CLI use this)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from .connection import WRITE_OPTION

# A package resource, not a path from the checkout: an installed wheel migrates too.
SCRIPT_LOCATION = "lazyconfig.db:migrations"
_MIGRATION_LOCK_ID = 0x1A2C0F17


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def run(engine: Engine, action: str = "upgrade", revision: str = "head") -> None:
    """Upgrade or downgrade the schema on `engine`, one migrating process at a time."""
    config = alembic_config()
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
