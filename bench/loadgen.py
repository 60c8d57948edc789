"""How the scenarios drive HTTP load: `closed` for throughput (wrk, 32 connections, or the
Python client where wrk is missing) and `open_loop` for latency at a fixed rate (the Python
client; wrk's closed loop would hide queueing delay), on several targets in turns."""
from __future__ import annotations

from typing import Mapping

from . import loadgen_python, loadgen_wrk
from .loadgen_types import Load, Target

CONNECTIONS = 32

__all__ = ["CONNECTIONS", "Load", "Target", "closed", "closed_generator", "open_loop"]

# An open-loop run switches target every STRETCH seconds. This machine's slow spells last a
# second or two and a few of them set a p99: with a 15 s block per target, one spell decided
# which target looked slower.
STRETCH = 1.0


def closed_generator() -> str:
    """The load generator `closed` uses on this machine."""
    return "wrk" if loadgen_wrk.available() else "python"


def closed(target: Target, seconds: int, connections: int = CONNECTIONS) -> Load:
    """Throughput at `connections` connections; returns once the server has answered
    everything it was sent."""
    if not loadgen_wrk.available():
        return loadgen_python.run(target, seconds, connections)
    load = loadgen_wrk.run(target, seconds, connections)
    # wrk quits with up to `connections` requests in flight, which the server still works
    # through (a batch of writes can take seconds): one more request per connection, each
    # awaited, queues behind them, so the next run starts on an idle server.
    loadgen_python.run(target, 0.001, connections)
    return load


def open_loop(targets: Mapping[str, Target], rate: float, seconds: float,
              connections: int = CONNECTIONS) -> dict[str, Load]:
    """`seconds` at `rate` requests/s on each target, in turns of STRETCH seconds (at least
    two each); each target's Load pools its turns."""
    stretches = max(2, round(seconds / STRETCH))
    return loadgen_python.in_turns(targets, seconds, connections, rate, stretches)
