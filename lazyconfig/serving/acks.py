"""What a named watcher has acknowledged: noted in its engine's ClientReports (saved once a
second, service/clients.py) and, per change, as a delivery lag observation."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..service.clients import ClientName
from .fanout import FanOut


class Acks:
    """The acknowledgements of one watcher (on the loop)."""

    def __init__(self, engine: Any, fanout: FanOut, delivery_lag: Any, transport: str):
        self.engine, self.fanout, self.lag = engine, fanout, delivery_lag
        self.transport = transport
        self.name: ClientName | None = None
        self.acked: int | None = None

    def named(self, name: ClientName | None) -> None:
        """The watcher says who it is (None: it stays as it was)."""
        if name is not None:
            self.name = name
            self.seen()

    def seen(self) -> None:
        if self.name is not None:
            self.engine.client_reports.note(self.name, self.transport)

    def ack(self, revision: int) -> None:
        """The watcher has (been handed) every change up to `revision`: each change after
        its last ack that the fan-out still holds counts once in the delivery lag."""
        previous, self.acked = self.acked, max(revision, self.acked or 0)
        if self.name is None:
            return
        self.engine.client_reports.note(self.name, self.transport, revision)
        if previous is None or revision <= previous:
            return
        now = datetime.now(timezone.utc)
        for change in self.fanout.recent:
            if previous < change.revision <= revision:
                self.lag.observe(max((now - change.timestamp).total_seconds(), 0.0))
