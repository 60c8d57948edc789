"""Scheduled backups: every process of a server runs a BackupSchedule, and the lease in the
database (db/repositories/backup_schedule.py) lets one of them, across workers and
instances, take the backup of each interval (docs/backups.md, "Scheduled backups")."""
from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Callable

from sqlalchemy import Engine

from ..db.repositories.backup_schedule import claim_slot

log = logging.getLogger("lazyconfig.backups")
SCHEDULE = "scheduled"  # the lease row's name
MAX_TICK = 5.0  # seconds: a slot is claimed at most this late (or a quarter interval)
STOP_WAIT = 30.0  # seconds stop() waits for a backup under way


class BackupSchedule:
    """Calls `take()` once per `interval` seconds of the database's clock, in whichever
    process claims that interval first."""

    def __init__(self, database: Engine, interval: float, take: Callable[[], object]):
        self._database, self._interval, self._take = database, interval, take
        self._stopping = threading.Event()
        self._holder = f"{socket.gethostname()[:20]}:{os.getpid()}"[:32]
        self._thread = threading.Thread(target=self._run, name="lazyconfig-backups",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=STOP_WAIT)

    def _run(self) -> None:
        while not self._stopping.wait(min(self._interval / 4, MAX_TICK)):
            try:
                if claim_slot(self._database, SCHEDULE, self._interval, self._holder) is not None:
                    self._take()
            except Exception as exc:  # the next interval tries again
                log.warning("scheduled backup failed: %s", exc)
