"""prometheus_client's multiprocess mode for gunicorn: every worker writes its counts to
files in PROMETHEUS_MULTIPROC_DIR and a scrape of any worker adds them all up.

Called from gunicorn.conf.py in the master. It must set the directory before anything
imports prometheus_client, which picks its storage when first imported.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_created: list[str] = []  # the directory prepare() made, in this (the master) process


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
        _created.append(path)
    return path


def worker_gone(pid: int) -> None:
    """Drop a dead worker's live gauges (stream clients); its counters stay in the sums."""
    if os.environ.get(VARIABLE):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(pid)


def cleanup() -> None:
    """Remove the directory prepare() created (never one the operator chose)."""
    while _created:
        shutil.rmtree(_created.pop(), ignore_errors=True)
