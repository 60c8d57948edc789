"""What a load run aims at and what it measured, shared by both load generators."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Target:
    """One kind of request. `body` is a template: "{n}" becomes a number unique within the
    run, so that every write is a real change."""

    url: str
    method: str = "GET"
    authorization: str = ""
    body: str = ""

    def body_for(self, n: int) -> bytes:
        return self.body.replace("{n}", str(n)).encode()


@dataclass
class Load:
    """One run's figures. Latencies are in milliseconds; an open-loop run measures them from
    each request's scheduled time, so queueing behind a slow server counts."""

    generator: str  # "wrk", or "python" (the open-loop client, or the fallback)
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    socket_errors: int
    non_2xx: int
    rate: float | None = None  # requests/s the open loop aimed at; None for a closed loop

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "rps": self.rps}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an ascending list (nan when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]
