"""Experiment events, buffered: LiveConfig's and the engine's (lazyconfig/service/
experiment_events.py names this one implementation for the service layer) wait in a bounded
buffer and a background thread sends them in batches; when the buffer is full, or the server is away, they are
dropped rather than held (docs/targeting.md, "Events")."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)
CAPACITY = 10_000  # events waiting, beyond which new ones are dropped
INTERVAL = 1.0  # seconds between two sends

Send = Callable[[int, list[str], list[dict[str, Any]]], Any]


class EventBuffer:
    def __init__(self, send: Send, interval: float = INTERVAL, capacity: int = CAPACITY):
        self._send, self._interval, self._capacity = send, interval, capacity
        self._waiting: dict[int, tuple[list[str], list[dict[str, Any]]]] = {}
        self._count, self.dropped = 0, 0
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._thread: threading.Thread | None = None

    def exposure(self, experiment_id: int, unit: str) -> None:
        self._add(experiment_id, 0, unit)

    def observation(self, experiment_id: int, unit: str, metric: str, value: float) -> None:
        self._add(experiment_id, 1, {"unit": unit, "metric": metric, "value": value})

    def _add(self, experiment_id: int, kind: int, event: Any) -> None:
        with self._lock:
            if self._count >= self._capacity:
                self.dropped += 1
                return
            self._waiting.setdefault(experiment_id, ([], []))[kind].append(event)
            self._count += 1
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="lazyconfig-events",
                                                daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Send what waits now; a batch that fails is dropped (and counted)."""
        with self._lock:
            waiting, self._waiting, self._count = self._waiting, {}, 0
        for experiment_id, (exposures, metrics) in waiting.items():
            try:
                self._send(experiment_id, exposures, metrics)
            except Exception as exc:  # the server away, the experiment ended: never retried
                self.dropped += len(exposures) + len(metrics)
                log.warning("dropped %d events of experiment %s: %s",
                            len(exposures) + len(metrics), experiment_id, exc)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def close(self) -> None:
        """Send what waits, and stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
