"""prometheus_client's multiprocess mode for gunicorn: every worker writes its counts to
files in PROMETHEUS_MULTIPROC_DIR and a scrape of any worker adds them all up.

Called from gunicorn.conf.py in the master. It must set the directory before anything
imports prometheus_client, which picks its storage when first imported.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_created: list[tuple[str, int]] = []  # (directory, pid of the master that made it)


def prepare(environ=os.environ) -> str:
    """Use PROMETHEUS_MULTIPROC_DIR (emptied of a previous run's counts) or a fresh temporary
    directory; the workers inherit the variable."""
    path = environ.get(VARIABLE)
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink()
    else:
        path = environ[VARIABLE] = tempfile.mkdtemp(prefix="lazyconfig-metrics-")
        if not _created:
            atexit.register(cleanup)  # also when the master stops before serving
        _created.append((path, os.getpid()))
    return path


def worker_gone(pid: int) -> None:
    """Drop a dead worker's live gauges (stream clients); its counters stay in the sums."""
    if os.environ.get(VARIABLE):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(pid)


def cleanup() -> None:
    """Remove the directory prepare() created (never one the operator chose), in the
    master only: forked workers inherit the exit hook but must leave the directory alone."""
    for path, pid in list(_created):
        if pid == os.getpid():
            shutil.rmtree(path, ignore_errors=True)
            _created.remove((path, pid))
