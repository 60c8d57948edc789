"""The engine's experiment events: the one implementation, lazyconfig/client/
experiment_events.py, which the client (importing nothing of the server) shares with it."""
from __future__ import annotations

from ..client.experiment_events import CAPACITY, INTERVAL, EventBuffer

__all__ = ["CAPACITY", "INTERVAL", "EventBuffer"]
