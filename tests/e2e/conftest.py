"""A real gunicorn (two workers) on a free loopback port, started once per module and always
stopped; tokens made by the `lazyconfig` command, as a user would."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.support.servers import BIN, ROOT, GunicornServer, ServerError, server_env

SECRET = "end-to-end-secret-that-is-long-enough-0123456789"


def empty_postgres(url: str) -> None:
    """Drop every table so the server starts from an empty database (tests/conftest.py does
    the same per test; this fixture lives a whole module)."""
    db = create_engine(url)
    with db.begin() as conn:
        for table in inspect(conn).get_table_names():
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    db.dispose()


def server_database(tmp_path_factory, postgres_url, name: str) -> tuple[Path, str]:
    """A work folder for a module's servers, and the database they start on: the suite's
    PostgreSQL database emptied, or a new SQLite file in the folder."""
    workdir = tmp_path_factory.mktemp(name)
    if postgres_url:
        empty_postgres(postgres_url)
    return workdir, postgres_url or f"sqlite:///{workdir / 'lazyconfig.db'}"


class Server:
    """A started GunicornServer, with tokens made the way a user makes them."""

    def __init__(self, gunicorn: GunicornServer):
        self.gunicorn = gunicorn
        self.url = gunicorn.url
        self.env = gunicorn.env
        self.log = gunicorn.log
        self._tokens: dict[tuple[str, str], str] = {}

    def token(self, user: str, role: str) -> str:
        """A token from `lazyconfig token create`, with the server's secret."""
        if (user, role) in self._tokens:
            return self._tokens[user, role]
        done = subprocess.run([str(BIN / "lazyconfig"), "token", "create", "--user", user,
                               "--role", role], env=self.env, capture_output=True, text=True,
                              timeout=30, check=True)
        self._tokens[user, role] = done.stdout.strip()
        return self._tokens[user, role]


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url):
    """Migrate (alembic upgrade head, as scripts/serve.sh does), then run gunicorn."""
    workdir, database_url = server_database(tmp_path_factory, postgres_url, "gunicorn")
    env = server_env(database_url, workdir / "instance", SECRET)
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=60)
    gunicorn = GunicornServer(env, workdir / "gunicorn.log", workers=2)
    try:
        gunicorn.start()
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield Server(gunicorn)
    finally:
        gunicorn.stop()
    assert "Traceback" not in gunicorn.log(), "gunicorn logged an error"
