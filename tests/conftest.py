"""Shared fixtures: a fresh database per test (SQLite file, or the PostgreSQL database named
by LAZYCONFIG_TEST_DATABASE_URL, emptied between tests) and engines on it."""
from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from lazyconfig.db import migrate
from lazyconfig.db.models import Base
from lazyconfig import ConfigurationEngine, bootstrap
from lazyconfig.db.connection import make_engine as make_database
from lazyconfig.service.bootstrap import close_configuration_engines
from lazyconfig.settings import Settings

PG_URL = os.environ.get("LAZYCONFIG_TEST_DATABASE_URL")
SECRET = "test-suite-signing-secret-of-at-least-32-bytes"
PREFIX = "/api/lazy-loading-config"
# every table the models define, so a feature's new table is emptied without a list to edit
TABLES = tuple(table.name for table in reversed(Base.metadata.sorted_tables))


def pytest_report_header(config):
    return f"lazyconfig database: {PG_URL or 'SQLite (a file per test)'}"


def pytest_configure(config):
    config.addinivalue_line("markers", "fresh_database: on SQLite, start from an empty file "
                            "(not a copy of the migrated template), to prove migrating one")


@pytest.fixture(scope="session")
def postgres_url():
    """The PostgreSQL URL; when one is configured and unreachable the run fails, not skips."""
    if not PG_URL:
        return None
    probe = create_engine(PG_URL)
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - the point is to fail loudly in CI
        pytest.fail(f"LAZYCONFIG_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}",
                    pytrace=False)
    finally:
        probe.dispose()
    return PG_URL


def empty_postgres(url: str) -> None:
    """Empty the lazyconfig tables. A schema at head is emptied row by row and its sequences
    restarted (ten times quicker than TRUNCATE on tables this small, which matters once per
    test); anything else (a migration test left it at base, or an older head) is dropped so
    the next engine migrates."""
    db = create_engine(url, poolclass=NullPool)
    with db.begin() as conn:
        at = None
        if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None:
            at = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if at is not None and at == migrate.head_revision():
            for table in TABLES:  # children first
                conn.execute(text(f"DELETE FROM {table}"))
            for sequence in conn.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
                    " AND last_value IS NOT NULL")).scalars():
                conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
        else:
            conn.execute(text("DROP TABLE IF EXISTS " + ", ".join(TABLES + ("alembic_version",))
                              + " CASCADE"))
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A SQLite file migrated to head, its tables empty: copying it costs a millisecond,
    migrating a new file a tenth of a second, once per test."""
    path = tmp_path_factory.mktemp("template") / "lazyconfig.db"
    database = make_database(f"sqlite:///{path}")
    try:
        migrate.run(database)
    finally:
        database.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(f"{path.name}-wal").exists(), "the template must be one file"
    return str(path)


@pytest.fixture
def database_url(request, tmp_path, postgres_url):
    """The test's database, at head with empty tables: on SQLite a copy of the template (as
    the PostgreSQL database is left between tests); a test marked fresh_database gets an
    empty SQLite file."""
    if postgres_url:
        empty_postgres(postgres_url)
        return postgres_url
    path = tmp_path / "lazyconfig.db"
    if request.node.get_closest_marker("fresh_database") is None:
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine_env(database_url, tmp_path):
    """The environment an engine under test sees (no stray LAZYCONFIG_* from the shell)."""
    # A run directory per test: on PostgreSQL every test uses the same URL, and a host head
    # left high by an earlier test (before the tables were emptied) would make every read
    # ask the database.
    return {"LAZYCONFIG_DATABASE_URL": database_url,
            "LAZYCONFIG_INSTANCE_PATH": str(tmp_path / "instance"),
            "LAZYCONFIG_POLL_INTERVAL": "0.05",
            "LAZYCONFIG_ROLLOUT_POLL": "0",  # tests that want a rollout driver start one
            "LAZYCONFIG_RUN_DIR": str(tmp_path / "run")}


@pytest.fixture
def make_engine(engine_env):
    """Build engines on the test database; extra env entries become LAZYCONFIG_* layers."""
    made: list[ConfigurationEngine] = []

    def factory(extra_env: dict[str, str] | None = None, watch: bool = True,
                key_migrations=None, **overrides) -> ConfigurationEngine:
        env = {**engine_env, **(extra_env or {})}
        engine = bootstrap(Settings.from_env(env, **overrides), env=env, watch=watch,
                           key_migrations=key_migrations)
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        engine.close()


@pytest.fixture
def engine(make_engine) -> ConfigurationEngine:
    return make_engine()


@pytest.fixture
def spec_engine(engine_env, monkeypatch):
    """The process engine that get_configuration_engine() returns, on the test database."""
    for name, value in engine_env.items():
        monkeypatch.setenv(name, value)
    from lazyconfig import get_configuration_engine
    yield get_configuration_engine()
    close_configuration_engines()


# -- the REST API in process: an app on the test database, and tokens for each role --------
@pytest.fixture
def app(engine):
    from lazyconfig import create_app
    return create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                       "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token():
    """token(role, user=None, expires_in=600) -> a valid Bearer token (user: "<role>-user")."""
    from lazyconfig.auth import create_token

    def make(role: str, user: str | None = None, expires_in: int = 600) -> str:
        return create_token(SECRET, user or f"{role}-user", role, expires_in)
    return make


@pytest.fixture
def as_role(token):
    """as_role(role, user=None, expires_in=600) -> request headers carrying that token."""
    def headers(role: str, user: str | None = None, expires_in: int = 600) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(role, user, expires_in)}"}
    return headers


@pytest.fixture
def viewer(as_role):
    return as_role("viewer")


@pytest.fixture
def editor(as_role):
    return as_role("editor")


@pytest.fixture
def admin(as_role):
    return as_role("admin")
