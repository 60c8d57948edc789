"""The scheduler of change requests: one thread per serving process applies approved
requests when they fall due. Every process's scheduler may try the same request; the
conditional UPDATE in the apply's transaction lets exactly one write it
(service/change_requests.py), and one killed mid-way leaves it for the others."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25  # the longest sleep: another process's new request is due that soon
OUTAGE_SECONDS = 2.0  # the pause after a failed look, so an outage is not hammered


class Scheduler:
    def __init__(self, engine, claimer: str, poll: float = POLL_SECONDS):
        self._engine, self.claimer, self._poll = engine, claimer, poll
        self._woken, self._stopped = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lazyconfig-scheduler",
                                            daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look again now (a request was made or approved in this process)."""
        self._woken.set()

    def stop(self) -> None:
        self._stopped.set()
        self._woken.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._woken.wait(self._step())
            self._woken.clear()

    def _step(self) -> float:
        """Apply what is due; the seconds to sleep before looking again."""
        try:
            self._engine.apply_due_requests(self.claimer)
            due = self._engine.next_due()
        except Exception as exc:  # the thread must outlive a database outage
            log.warning("scheduled change requests: %s; looking again in %.0f s", exc,
                        OUTAGE_SECONDS)
            return OUTAGE_SECONDS
        if due is None:
            return self._poll
        return min(self._poll, max(0.0, (due - datetime.now(timezone.utc)).total_seconds()))
