"""A real gunicorn for the test suite and the benchmark: `gunicorn -c gunicorn.conf.py
wsgi:app` from the source checkout, on a free loopback port, in a session of its own so that
stopping it stops the master and every worker.

Only for a checkout (it needs gunicorn.conf.py and wsgi.py at its root), so it lives with
the tests, outside the package; bench/ imports it from here too.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[2]  # the checkout
BIN = Path(sys.executable).parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


class ServerError(RuntimeError):
    """gunicorn exited or did not answer in time; the message carries its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, instance_path: Path | str, secret: str,
               log_level: str = "WARNING", **extra: str) -> dict[str, str]:
    """This process's environment without any stray LAZYCONFIG_* setting, plus the server's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYCONFIG_")}
    env.update(LAZYCONFIG_DATABASE_URL=database_url, LAZYCONFIG_INSTANCE_PATH=str(instance_path),
               LAZYCONFIG_JWT_SECRET=secret, LAZYCONFIG_LOG_LEVEL=log_level, **extra)
    return env


def children(pid: int) -> list[int]:
    """The direct children of `pid` (a gunicorn master's workers), from /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:
        return []


class GunicornServer:
    """One gunicorn master and its workers on a loopback port. `start()` returns once every
    worker is up and `health_path` answers 200; `stop()` is graceful, then SIGKILL."""

    def __init__(self, env: Mapping[str, str], log_path: Path, *, workers: int = 2,
                 port: int | None = None, app: str = "wsgi:app",
                 extra_args: tuple[str, ...] = (), health_path: str = "/api/health",
                 config: Path = ROOT / "gunicorn.conf.py", cwd: Path = ROOT):
        self.env = dict(env)
        self.log_path = Path(log_path)
        self.workers = workers
        self.port = port or free_port()
        self.app = app
        self.extra_args = extra_args
        self.health_path = health_path
        self.config = config
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self.stop_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [str(BIN / "gunicorn"), "-c", str(self.config),
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                *self.extra_args, self.app]

    def start(self, timeout: float = START_TIMEOUT) -> "GunicornServer":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.cwd, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_up(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n"
                                  f"{self.log()}")
            if len(self.worker_pids()) == self.workers and self._healthy():
                return
            time.sleep(0.1)
        raise ServerError(f"gunicorn did not answer within {timeout}s:\n{self.log()}")

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", self.health_path)
            return conn.getresponse().status == 200
        except OSError:  # not listening yet, or the workers still booting
            return False
        finally:
            conn.close()

    def worker_pids(self) -> set[int]:
        return set(children(self.process.pid)) if self.process else set()

    def stop(self) -> None:
        """SIGTERM to the whole session, SIGKILL if it takes longer than STOP_TIMEOUT;
        records how long the graceful stop took."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        began = time.monotonic()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        self.stop_seconds = time.monotonic() - began

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> "GunicornServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def serving(env: Mapping[str, str], log_path: Path, workers: int = 2) -> Iterator[GunicornServer]:
    """A started GunicornServer without an access log, stopped afterwards; its log must
    then hold no traceback."""
    gunicorn = GunicornServer(env, log_path, workers=workers,
                              extra_args=("--access-logfile", "/dev/null")).start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()
    assert "Traceback" not in gunicorn.log(), gunicorn.log()
