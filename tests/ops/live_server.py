"""A real gunicorn on a free loopback port that a test module can start, restart on the same
port and always stop; its JSON log lines are readable as dicts."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from lazyconfig.auth import create_token
from tests.e2e.conftest import SECRET, server_database
from tests.support.servers import BIN, GunicornServer, ServerError, server_env


class LiveServer(GunicornServer):
    def __init__(self, workdir: Path, database_url: str, workers: int = 2):
        super().__init__(server_env(database_url, workdir / "instance", SECRET, "INFO"),
                         workdir / "gunicorn.log", workers=workers, health_path="/healthz")
        self.secret = SECRET

    def token(self, user: str, role: str) -> str:
        return create_token(self.secret, user, role, 600)

    def start(self) -> LiveServer:
        """Migrate with `lazyconfig db upgrade`, start gunicorn, wait for /healthz."""
        subprocess.run([str(BIN / "lazyconfig"), "db", "upgrade"], env=self.env, check=True,
                       capture_output=True, timeout=60)
        try:
            return super().start()
        except ServerError as exc:
            pytest.fail(str(exc), pytrace=False)

    def json_lines(self) -> list[dict]:
        lines = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


def live_server(tmp_path_factory, postgres_url, workers: int = 2):
    """Generator for a module fixture: yields a started LiveServer, always stops it."""
    workdir, database_url = server_database(tmp_path_factory, postgres_url, "gunicorn")
    server = LiveServer(workdir, database_url, workers)
    try:
        server.start()
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), "gunicorn logged an error"


def eventually(predicate, timeout: float = 5.0) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
