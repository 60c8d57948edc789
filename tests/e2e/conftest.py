"""A real gunicorn (two workers) on a free loopback port, started once per module and always
stopped; tokens made by the `lazyconfig` command, as a user would."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sqlalchemy import create_engine, inspect

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "end-to-end-secret-that-is-long-enough-0123456789"
START_TIMEOUT = 30.0


def empty_postgres(url: str) -> None:
    """Drop every table so the server starts from an empty database (tests/conftest.py does
    the same per test; this fixture lives a whole module)."""
    db = create_engine(url)
    with db.begin() as conn:
        for table in inspect(conn).get_table_names():
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYCONFIG_")}
    env.update(LAZYCONFIG_DATABASE_URL=database_url, LAZYCONFIG_INSTANCE_PATH=str(instance),
               LAZYCONFIG_JWT_SECRET=SECRET, LAZYCONFIG_LOG_LEVEL="WARNING")
    return env


class Server:
    def __init__(self, base_url: str, env: dict[str, str], log_path: Path):
        self.url = base_url
        self.env = env
        self.log_path = log_path
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

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_until_up(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or the workers still booting
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {START_TIMEOUT}s:\n{log_path.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the master and its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url):
    """Migrate (alembic upgrade head, as scripts/serve.sh does), then run gunicorn."""
    workdir = tmp_path_factory.mktemp("gunicorn")
    if postgres_url:
        empty_postgres(postgres_url)
    database_url = postgres_url or f"sqlite:///{workdir / 'lazyconfig.db'}"
    env = server_env(database_url, workdir / "instance")
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=60)
    port = free_port()
    log_path = workdir / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(process, url, log_path)
        yield Server(url, env, log_path)
    finally:
        _stop(process)
    assert "Traceback" not in log_path.read_text(errors="replace"), "gunicorn logged an error"
