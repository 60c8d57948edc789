"""What every scenario gets (a database, servers, tokens, the run count) and what it gives
back (rows of figures, each against a baseline measured in the same run)."""
from __future__ import annotations

import statistics
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence, TypeVar

from sqlalchemy import create_engine, inspect

from lazyconfig.auth import create_token
from tests.support.servers import BIN, GunicornServer, server_env

SECRET = "benchmark-signing-secret-that-is-long-enough-0123456789"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lazyconfig_bench"


@dataclass
class Row:
    """One figure of one scenario on one database. `ratio` is value / baseline; the target
    holds when ratio >= target (direction "min") or ratio <= target (direction "max"). A row
    with no baseline compares `value` itself with the target."""

    scenario: str
    metric: str
    unit: str
    value: float
    target: float | None
    direction: str  # "min" or "max"
    database: str | None = None
    baseline_name: str | None = None
    baseline: float | None = None
    runs: list[float] = field(default_factory=list)
    baseline_runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        measured = self.ratio if self.baseline_name else self.value
        if measured is None:
            return None
        return measured >= self.target if self.direction == "min" else measured <= self.target

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "passed": self.passed}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


T = TypeVar("T")


def rotate(measures: Sequence[Callable[[], T]], runs: int) -> list[list[T]]:
    """A, B, C, A, B, C, ... `runs` rounds: each measure's results, in the order given."""
    results: list[list[T]] = [[] for _ in measures]
    for _ in range(runs):
        for measure, found in zip(measures, results):
            found.append(measure())
    return results


def alternate(measure_a: Callable[[], T], measure_b: Callable[[], T],
              runs: int) -> tuple[list[T], list[T]]:
    """A, B, A, B, ... `runs` times each, so that drift in a noisy machine hits both alike."""
    a, b = rotate([measure_a, measure_b], runs)
    return a, b


@dataclass
class Context:
    database: str  # "sqlite" or "postgresql"
    quick: bool
    runs: int
    workdir: Path
    pg_url: str = DEFAULT_PG_URL
    secret: str = SECRET
    run_dir: Path | None = None  # the host head's directory for servers on the fresh database

    def token(self, role: str = "admin", user: str = "bench") -> str:
        return create_token(self.secret, user, role, 24 * 3600)

    def fresh_database_url(self, name: str) -> str:
        """An empty database: a new SQLite file, or the bench PostgreSQL database with every
        table dropped. Servers on it get a run directory no other server of this bench run
        had: the host head left by servers on the database before would be ahead of the new
        one's revisions (docs/architecture.md, Consistency), and every read would ask the
        database. (The
        PostgreSQL URL is the same in every scenario, and each scenario has a Context of its
        own: a per-Context count once gave scenario 2 the head scenario 1 left.)"""
        self.run_dir = self._new_run_dir(name)
        if self.database == "sqlite":
            path = self.workdir / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return f"sqlite:///{path}"
        db = create_engine(self.pg_url)
        with db.begin() as conn:
            for table in inspect(conn).get_table_names():
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        db.dispose()
        return self.pg_url

    def env(self, database_url: str, name: str, **extra: str) -> dict[str, str]:
        if self.run_dir is None:  # a database this Context did not empty: still a host of its own
            self.run_dir = self._new_run_dir(name)
        extra.setdefault("LAZYCONFIG_RUN_DIR", str(self.run_dir))
        return server_env(database_url, self.workdir / f"instance-{name}", self.secret, **extra)

    def _new_run_dir(self, name: str) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"run-{name}-", dir=self.workdir))

    @contextmanager
    def server(self, database_url: str, name: str, *, workers: int = 2,
               app: str = "wsgi:app", migrate: bool = True, **kwargs) -> Iterator[GunicornServer]:
        """gunicorn (the service's own gunicorn.conf.py unless `config` is given) on a free
        loopback port; the schema migrated first, as scripts/serve.sh does."""
        env = self.env(database_url, name, **kwargs.pop("extra_env", {}))
        if migrate:
            subprocess.run([str(BIN / "lazyconfig"), "db", "upgrade"], env=env, check=True,
                           capture_output=True, timeout=120)
        server = GunicornServer(env, self.workdir / f"gunicorn-{name}.log", workers=workers,
                                app=app, **kwargs)
        with server:
            yield server
