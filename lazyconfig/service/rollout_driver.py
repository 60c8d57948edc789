"""The rollout driver: a thread in every serving process that makes each rollout's due
step. Every process may try; the conditional UPDATE inside the step's write
(service/rollouts.py: advance) lets exactly one make it (docs/targeting.md)."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from ..db.base import utcnow

log = logging.getLogger("lazyconfig.rollouts")
STOP_WAIT = 10.0  # seconds stop() waits for a step under way


class RolloutDriver:
    """Calls `tick()` (which makes the due steps and returns the seconds until the next
    is due, or None) whenever a step may be due, at most `poll` seconds apart."""

    def __init__(self, tick: Callable[[], float | None], poll: float):
        self._tick, self._poll = tick, poll
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lazyconfig-rollouts",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=STOP_WAIT)

    def _run(self) -> None:
        wait = 0.0
        while not self._stopping.wait(wait):
            try:
                due_in = self._tick()
            except Exception as exc:  # the database away: the next poll tries again
                log.warning("rollout driver: %s", exc)
                due_in = None
            wait = self._poll if due_in is None else max(0.0, min(due_in, self._poll))


def seconds_until(next_at, now=None) -> float:
    return (next_at - (now or utcnow())).total_seconds()
