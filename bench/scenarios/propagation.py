"""Scenario 6: how soon a write acknowledged by one worker reaches an SSE client of another
worker, and a subscriber in another process. Target p99 ≤ 100 ms on PostgreSQL and
≤ 250 ms on SQLite, with the service's default settings.

The writer and the stream are on two gunicorn instances (one worker each) on the same
database, so the event must cross processes exactly as between two workers of one instance.
"""
from __future__ import annotations

import random
import time
from contextlib import ExitStack

from lazyconfig.settings import Settings

from ..arrivals import ChangeStream, Subscriber
from ..context import Context, Row, median
from ..latency import ApiClient, percentile
from . import start_all

SCENARIO = "6. propagation"
KEY = "load_timeout"
TARGET_P99_MS = {"postgresql": 100, "sqlite": 250}
WAIT = 5.0  # seconds before an event counts as lost
# Writes are spaced by a random pause so that, on SQLite, they fall at every phase of the
# watcher's poll instead of just after it (which would show only the worst case).
PAUSE = 0.25
PATHS = {"SSE client of another worker": "stream", "subscriber in another process": "subscriber"}


def run(ctx: Context) -> list[Row]:
    url = ctx.fresh_database_url("propagation")
    writes = 20 if ctx.quick else 200
    subscriber_env = ctx.env(url, "propagation-subscriber")
    with ExitStack() as stack:
        servers = start_all(stack, {
            name: ctx.server(url, f"propagation-{name}", workers=1)
            for name in ("writer", "reader")})
        subscriber = stack.enter_context(Subscriber(subscriber_env,
                                                    ctx.workdir / "subscriber.log"))
        stream = stack.enter_context(ChangeStream(servers["reader"].url, ctx.token("viewer")))
        client = stack.enter_context(ApiClient(servers["writer"].url, ctx.token("editor")))
        arrivals = {"stream": stream.arrivals, "subscriber": subscriber.arrivals}
        rng = random.Random(6)
        _write(client, arrivals, 0)  # the stream is live and every process warm
        runs = [_writes(client, arrivals, writes, rng) for _ in range(ctx.runs)]
    poll = Settings.from_env(subscriber_env).poll_interval
    mechanism = ("PostgreSQL LISTEN/NOTIFY" if ctx.database == "postgresql" else
                 f"SQLite, the default LAZYCONFIG_POLL_INTERVAL of {poll} s")
    return [row for name, path in PATHS.items()
            for row in _rows(ctx, name, path, runs, writes, mechanism)]


def _writes(client: ApiClient, arrivals: dict, writes: int,
            rng: random.Random) -> list[dict[str, float | None]]:
    timings = []
    for n in range(writes):
        time.sleep(rng.uniform(0, PAUSE))
        timings.append(_write(client, arrivals, n))
    return timings


def _write(client: ApiClient, arrivals: dict, n: int) -> dict[str, float | None]:
    """PUT one value; when it was sent and acknowledged, and when each path had it."""
    sent = time.monotonic()
    revision = client.call("PUT", f"/values/{KEY}", {"value": 30.0 + n % 2})["version"]
    ack = time.monotonic()
    return {"sent": sent, "ack": ack,
            **{path: seen.wait_for(revision, WAIT) for path, seen in arrivals.items()}}


def _rows(ctx: Context, name: str, path: str, runs: list[list[dict]], writes: int,
          mechanism: str) -> list[Row]:
    def delays(run: list[dict], start: str) -> list[float]:
        return [(w[path] - w[start]) * 1000 for w in run if w[path] is not None]

    lost = sum(w[path] is None for run in runs for w in run)
    early = sum(d < 0 for run in runs for d in delays(run, "ack"))
    sent = {q: median([percentile(delays(run, "sent"), q) for run in runs]) for q in (50, 99)}
    note = (f"{writes} PUTs per run through a writer gunicorn, read by a stream on a reader "
            f"gunicorn (one worker each, same database) and by engine.subscribe in a separate "
            f"Python process; {mechanism}; from the PUT's response; from the request sent: p50 "
            f"{sent[50]:.1f} ms, p99 {sent[99]:.1f} ms; {early} arrived before the response "
            f"(kept, negative); {lost} lost (not seen within {WAIT:.0f} s, left out)")
    rows = []
    for q, target in ((50, None), (99, TARGET_P99_MS[ctx.database])):
        per_run = [percentile(delays(run, "ack"), q) for run in runs]
        rows.append(Row(SCENARIO, f"write acknowledged → {name}, p{q}", "ms", median(per_run),
                        target, "max", ctx.database, runs=per_run, note=note))
    return rows
