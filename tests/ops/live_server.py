"""A real gunicorn on a free loopback port that a test module can start, restart on the same
port and always stop; its JSON log lines are readable as dicts."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from lazyconfig.auth import create_token
from tests.e2e.conftest import BIN, ROOT, empty_postgres, free_port, server_env

START_TIMEOUT = 30.0


class LiveServer:
    def __init__(self, workdir: Path, database_url: str, workers: int = 2):
        self.env = {**server_env(database_url, workdir / "instance"),
                    "LAZYCONFIG_LOG_LEVEL": "INFO"}
        self.secret = self.env["LAZYCONFIG_JWT_SECRET"]
        self.workers = workers
        self.log_path = workdir / "gunicorn.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def token(self, user: str, role: str) -> str:
        return create_token(self.secret, user, role, 600)

    def start(self) -> None:
        """Migrate with `lazyconfig db upgrade`, start gunicorn, wait for /healthz."""
        subprocess.run([str(BIN / "lazyconfig"), "db", "upgrade"], env=self.env, check=True,
                       capture_output=True, timeout=60)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind",
                 f"127.0.0.1:{self.port}", "--workers", str(self.workers), "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or workers still booting
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"gunicorn did not answer within {START_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM to the whole session (master and workers), SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def json_lines(self) -> list[dict]:
        lines = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


def live_server(tmp_path_factory, postgres_url, workers: int = 2):
    """Generator for a module fixture: yields a started LiveServer, always stops it."""
    workdir = tmp_path_factory.mktemp("gunicorn")
    if postgres_url:
        empty_postgres(postgres_url)
    server = LiveServer(workdir, postgres_url or f"sqlite:///{workdir / 'lazyconfig.db'}",
                        workers)
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
