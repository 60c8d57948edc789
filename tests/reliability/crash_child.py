"""The process the crash harness kills: it opens an engine, says "ready", and on the
parent's go-ahead runs one operation over and over, flipping the configuration between
state "a" and state "b". It writes a progress marker before each step (and at the begin,
commit and end of each write transaction), so the parent can tell where the kill landed.

Markers go to a file with one unbuffered write() each: a line written before the SIGKILL
is on disk after it, so the last line is the last step the child reached.
"""
from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from lazyconfig import ConfigurationEngine, bootstrap
from lazyconfig.db.connection import make_engine
from lazyconfig.db.repositories.changes import ChangeRepository
from lazyconfig.db.unit_of_work import SqlStorage, SqlUnitOfWork
from lazyconfig.settings import Settings


@dataclass(frozen=True)
class Job:
    """What one child does; pickled to it by multiprocessing."""

    operation: str  # "update", "import" or "rollback"
    env: dict[str, str]
    states: dict[str, dict[str, Any]]  # "a" and "b": {key: value} for every key
    snapshots: dict[str, int]  # "a" and "b": a pinned snapshot of each state
    pause: float  # seconds idle after the go-ahead and after each operation
    markers: str  # the file the progress markers go to
    start_timeout: float = 120.0  # how long to wait for the go-ahead before giving up
    tear_writes: bool = False  # only to show the harness catches it: commit writes in halves

    @property
    def go_file(self) -> str:
        """Its appearance tells a ready child to start (the parent creates it)."""
        return self.markers + ".go"


class Markers:
    """Progress lines in a file, one write() each, unbuffered."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, *words: Any) -> None:
        os.write(self.fd, (" ".join(str(w) for w in words) + "\n").encode())


def watch_write_transactions(markers: Markers) -> None:
    """Mark the begin, commit and end of every write transaction in this process that
    appends to the change log: an operation's, not a host registering itself as a writer
    (lazyconfig/read_lease.py). "begin" is written at its first append."""
    writing: set[int] = set()

    # At the repository, not the statement: a big append on PostgreSQL is a COPY, which
    # no ORM event sees.
    append_many = ChangeRepository.append_many

    def appending(repository, rows):
        if id(repository.session) not in writing:
            writing.add(id(repository.session))
            markers.write("begin")
        return append_many(repository, rows)
    ChangeRepository.append_many = appending

    @event.listens_for(Session, "before_commit")
    def committing(session):
        if id(session) in writing:
            markers.write("commit")

    @event.listens_for(Session, "after_commit")
    def committed(session):
        if id(session) in writing:
            writing.discard(id(session))
            markers.write("committed")

    @event.listens_for(Session, "after_rollback")
    def rolled_back(session):
        if id(session) in writing:
            writing.discard(id(session))
            markers.write("rolledback")


def perform(engine: ConfigurationEngine, job: Job, target: str) -> None:
    """Move every key to state `target` with the job's operation, or raise."""
    values = job.states[target]
    if job.operation == "update":
        result = engine.update(values, user="crash-child")
        if not all(result.values()):
            raise RuntimeError(f"update refused: {dict(list(result.errors.items())[:3])}")
    elif job.operation == "import":
        result = engine.import_configuration({"version": 1, "values": values}, user="crash-child")
        if len(result["changes"]) != len(values):
            raise RuntimeError(f"import changed {len(result['changes'])} keys, not {len(values)}")
    elif job.operation == "rollback":
        result = engine.rollback_to_snapshot(job.snapshots[target], user="crash-child")
        if len(result["changes"]) != len(values):
            raise RuntimeError(f"rollback changed {len(result['changes'])} keys, not {len(values)}")
    else:
        raise ValueError(f"unknown operation {job.operation!r}")


class TornUnitOfWork(SqlUnitOfWork):
    """Breaks writes the way the harness must notice: the first half of every write's value
    rows is committed on its own, then the second half takes a while."""

    def __enter__(self) -> "TornUnitOfWork":
        super().__enter__()
        put_many = self.values.put_many

        def torn(rows):
            half = len(rows) // 2
            put_many(rows[:half])
            self.commit()
            time.sleep(2.0)
            put_many(rows[half:])
        self.values.put_many = torn
        return self


def wait_for_go_ahead(job: Job) -> None:
    deadline = time.monotonic() + job.start_timeout
    while not os.path.exists(job.go_file):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no go-ahead within {job.start_timeout}s")
        time.sleep(0.001)


def run(job: Job) -> None:
    """The child's whole life: open an engine, say "ready", wait for the go-ahead, then
    flip the state with `job.operation` until killed."""
    markers = Markers(job.markers)
    try:
        watch_write_transactions(markers)
        settings = Settings.from_env(job.env)
        storage = (SqlStorage(make_engine(settings.database_url), unit_of_work=TornUnitOfWork)
                   if job.tear_writes else None)
        engine = bootstrap(settings, env=job.env, watch=False, storage=storage)
        probe = next(iter(job.states["a"]))
        markers.write("ready")
        wait_for_go_ahead(job)
        markers.write("go")
        time.sleep(job.pause)
        number = 0
        while True:
            number += 1
            target = "b" if engine.get(probe) == job.states["a"][probe] else "a"
            markers.write("op", number, target)
            perform(engine, job, target)
            markers.write("done", number, target)
            time.sleep(job.pause)
    except BaseException:
        markers.write("error", traceback.format_exc().replace("\n", " | "))
        raise
