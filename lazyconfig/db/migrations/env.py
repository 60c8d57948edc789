"""Alembic environment: our metadata, batch mode for SQLite, and the configured database."""
from logging.config import fileConfig

from alembic import context

from lazyconfig.db import models  # noqa: F401  (registers the tables on Base.metadata)
from lazyconfig.db.base import Base
from lazyconfig.db.connection import make_engine
from lazyconfig.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
OPTIONS = dict(target_metadata=target_metadata, render_as_batch=True, compare_type=True)


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by lazyconfig.db.migrate
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
