"""A PostgreSQL cluster of the test's own, to crash and restart without touching the shared
server: initdb into a temporary directory, pg_ctl on 127.0.0.1 and a free port, its unix
socket in that directory. PostgreSQL refuses to run as root, so as root every command runs
as the `postgres` OS user (runuser).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.support.servers import free_port

COMMAND_TIMEOUT = 60.0


class PostgresUnavailable(RuntimeError):
    """initdb/pg_ctl are missing or the cluster would not start; the message says why."""


def bin_dir() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/N/bin),
    else the one of an `initdb` on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb is None:
        raise PostgresUnavailable("no initdb: install the PostgreSQL server binaries "
                                  "(Debian: postgresql) to run the database outage tests")
    return Path(initdb).parent


class PrivateCluster:
    """One PostgreSQL cluster in a temporary directory. `start()`, `crash()` (pg_ctl stop -m
    immediate: no checkpoint, no goodbye to clients, recovery on the next start), `start()`
    again on the same port and data, and `destroy()`."""

    def __init__(self, port: int | None = None):
        self.bin = bin_dir()
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="lc-pg-"))  # short: a socket path lives here
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root, and there is no `postgres` OS user "
                                          "to run a private cluster as") from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root,
                                timeout=COMMAND_TIMEOUT, start_new_session=True)
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                                      f"{result.stdout}{result.stderr}\n{self.log()}")
        return result

    def init(self) -> "PrivateCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> None:
        """Start (or restart after a crash: crash recovery runs first) and wait until it
        accepts connections."""
        options = " ".join([
            "-c listen_addresses=127.0.0.1", f"-p {self.port}", f"-k {self.root}",
            "-c fsync=off",  # a process crash, not an OS crash: the page cache survives
            "-c shared_buffers=16MB", "-c max_connections=100",
        ])
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log_path), "-w",
                  "-t", "30", "-o", options)

    def crash(self) -> None:
        """Stop at once, as a crash does: every backend is killed, every client connection
        drops, nothing is checkpointed."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")

    def create_database(self, name: str) -> str:
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        """Stop the cluster if it runs (the postmaster we started, by its pid as a last
        resort) and remove its directory."""
        if self.data.exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w",
                      check=False)
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
                    time.sleep(0.2)
                except (OSError, ValueError, IndexError):
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PrivateCluster":
        self.init()
        try:
            self.start()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()
