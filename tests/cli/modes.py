"""The command in its two modes on one database: locally (the engine on the database) and
remotely (a real gunicorn on that database, through its REST API), run in process with
click's runner so a comparison costs no Python start-up."""
from __future__ import annotations

import os
import re
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

from click.testing import CliRunner

from lazyconfig.auth import create_token
from lazyconfig.cli import root
from tests.conftest import SECRET, empty_postgres
from tests.support.servers import GunicornServer, server_env

USER = "ops"  # the local --user and the remote token's subject, so attributions match
COMMAND_SECONDS = 30
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")


def isolated(tmp_path: Path) -> dict[str, str | None]:
    """No profile file and no stray remote settings from the shell running the tests."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "LAZYCONFIG_URL": None,
            "LAZYCONFIG_TOKEN": None, "LAZYCONFIG_PROFILE": None}


class Hung(Exception):
    """A command ran past its deadline (not an OSError: the change stream retries those)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block (this thread must be the main one) if it outlasts `seconds`: a
    `watch` that waits for a change that never comes must fail the test, not hang it."""
    def expire(signum, frame):
        raise Hung(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Outcome(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str

    def without_times(self) -> "Outcome":
        """Writes made at different moments differ in their timestamps, and only there."""
        return Outcome(self.exit_code, TIMESTAMP.sub("<time>", self.stdout),
                       TIMESTAMP.sub("<time>", self.stderr))


class Modes:
    def __init__(self, database_url: str, engine_env: dict[str, str], tmp_path: Path):
        self.database_url, self.tmp_path = database_url, tmp_path
        self.local_env = {**engine_env, **isolated(tmp_path)}
        self.runner = CliRunner()
        self.server: GunicornServer | None = None
        self.token = create_token(SECRET, USER, "admin", 600)

    def process_env(self, remote: bool) -> dict[str, str]:
        """The environment of a `lazyconfig` process in one mode or the other."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYCONFIG_")}
        env["XDG_CONFIG_HOME"] = str(self.tmp_path / "xdg")
        if not remote:
            return {**env, **{k: v for k, v in self.local_env.items() if v is not None}}
        assert self.server is not None, "start the server first"
        return {**env, "LAZYCONFIG_URL": self.server.url, "LAZYCONFIG_TOKEN": self.token}

    def local(self, *args: object) -> Outcome:
        return self._run(["--user", USER, *map(str, args)], self.local_env)

    def remote(self, *args: object) -> Outcome:
        assert self.server is not None, "start the server first"
        env = {**isolated(self.tmp_path), "LAZYCONFIG_DATABASE_URL": None,
               "LAZYCONFIG_URL": self.server.url, "LAZYCONFIG_TOKEN": self.token}
        return self._run([str(a) for a in args], env)

    def _run(self, args: list[str], env: dict) -> Outcome:
        with deadline(COMMAND_SECONDS):
            done = self.runner.invoke(root, args, env=env, catch_exceptions=False)
        return Outcome(done.exit_code, done.stdout, done.stderr)

    def empty_database(self) -> None:
        """Back to an empty database, so the remote phase starts where the local one did
        (PostgreSQL restarts its ids too)."""
        if self.database_url.startswith("sqlite"):
            path = Path(self.database_url.removeprefix("sqlite:///"))
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        else:
            empty_postgres(self.database_url)

    @contextmanager
    def serving(self, workers: int = 1) -> Iterator[GunicornServer]:
        """gunicorn on the database; its run directory is its own (the local phase's host
        head is ahead of an emptied database)."""
        env = server_env(self.database_url, self.tmp_path / "instance", SECRET,
                         LAZYCONFIG_RUN_DIR=str(self.tmp_path / "run-server"))
        self.server = GunicornServer(env, self.tmp_path / "gunicorn.log", workers=workers)
        self.local_env = {**self.local_env, "LAZYCONFIG_RUN_DIR": env["LAZYCONFIG_RUN_DIR"]}
        try:
            yield self.server.start()
        finally:
            self.server.stop()
        assert "Traceback" not in self.server.log(), self.server.log()
