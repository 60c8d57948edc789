"""The scenarios, in the order the runner takes them, and what the HTTP ones share: calls to
the service, timing, and contests between the service and its baselines under the same load.

Each scenario is a module here with `run(ctx: Context) -> list[Row]`.
"""
from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .. import etcd, loadgen_python
from ..context import Context, Row, median, rotate
from ..loadgen import CONNECTIONS, Load, Target, closed, open_loop

ORDER = ("in_process", "http_read", "http_write", "batch", "scale", "propagation",
         "slow_clients", "memory", "token_read", "point_in_time", "analytics",
         "backups", "scheduled_apply")
PREFIX = "/api/lazy-loading-config"
# Latency under load is measured at this fraction of the service's own measured throughput,
# the same absolute rate for the service and its baseline.
LOAD_FRACTION = 0.6
QUICK_SECONDS, FULL_SECONDS = 1, 6  # one load run; wrk counts whole seconds
# An open-loop run lasts longer: at 1,500 req/s a 6 s run's p99 is its worst 90 requests, which
# one stall of this shared machine sets by itself (a read ceiling's p99 ranged 5.9-31.2 ms
# over five 6 s runs of one bench, and reached 612 ms in one run of another).
OPEN_SECONDS = 15
QUICK_WARM_UP, FULL_WARM_UP = 0.2, 2.0


def seconds(ctx: Context) -> int:
    """How long one load run lasts."""
    return QUICK_SECONDS if ctx.quick else FULL_SECONDS


def open_seconds(ctx: Context) -> int:
    """How long one open-loop (latency under load) run lasts."""
    return QUICK_SECONDS if ctx.quick else OPEN_SECONDS


def start_all(stack: ExitStack, managers: Mapping[str, AbstractContextManager]) -> dict[str, Any]:
    """Enter every context manager at once, so that server start-ups overlap, and have
    `stack` exit them at once too (a graceful gunicorn stop takes seconds). The first failure
    is raised after every start has finished, and what did start is stopped."""
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = {name: pool.submit(manager.__enter__) for name, manager in managers.items()}
    started = {name: future for name, future in futures.items() if future.exception() is None}
    stack.callback(_exit_all, [managers[name] for name in started])
    for future in futures.values():
        if future.exception() is not None:
            raise future.exception()
    return {name: future.result() for name, future in started.items()}


def start_contenders(ctx: Context, stack: ExitStack, service: AbstractContextManager,
                     ceiling: AbstractContextManager) -> dict[str, Any]:
    """The service, its ceiling and, where it is installed, etcd, started at once."""
    servers = {"service": service, "ceiling": ceiling}
    if etcd.available():
        servers["etcd"] = etcd.running(ctx.workdir)
    return start_all(stack, servers)


def _exit_all(managers: list[AbstractContextManager]) -> None:
    with ThreadPoolExecutor(max(1, len(managers))) as pool:
        for future in [pool.submit(manager.__exit__, None, None, None) for manager in managers]:
            future.result()


def call(base_url: str, method: str, path: str, token: str, body: dict | None = None) -> dict:
    """One request to the service; raises on anything but 2xx."""
    request = urllib.request.Request(
        f"{base_url}{PREFIX}{path}", None if body is None else json.dumps(body).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def define_counters(base_url: str, token: str, keys: list[str]) -> None:
    """Custom integer keys (admin PUT /rules) that take any counter value, so that a write
    of "{n}" is always valid and always a change."""
    rule = {"type": "int", "default": 0, "min": 0, "description": "benchmark counter"}
    with ThreadPoolExecutor(8) as pool:  # the writes queue in the service; the HTTP overlaps
        list(pool.map(lambda key: call(base_url, "PUT", f"/rules/{key}", token, rule), keys))


def put_target(base_url: str, token: str, key: str) -> Target:
    return Target(f"{base_url}{PREFIX}/values/{key}", "PUT", f"Bearer {token}",
                  '{"value": {n}, "description": "bench"}')


@dataclass
class Contest:
    """Closed-loop runs of every contender, and open-loop runs at one fixed rate."""

    closed: dict[str, list[Load]]
    open: dict[str, list[Load]]
    rate: float


def contest(ctx: Context, targets: Mapping[str, Target], open_names: tuple[str, ...] = ()
            ) -> Contest:
    """Each target in turn, ctx.runs rounds, closed loop (32 connections); then ctx.runs
    open-loop runs of those in `open_names`, at LOAD_FRACTION of the first target's median
    throughput, each run taking them in turns of a second (loadgen.open_loop)."""
    duration = seconds(ctx)
    warm_up = QUICK_WARM_UP if ctx.quick else FULL_WARM_UP
    for target in targets.values():  # connection pools, caches, threads made on demand
        loadgen_python.run(target, warm_up, CONNECTIONS)
    runs = rotate([_closed_run(t, duration) for t in targets.values()], ctx.runs)
    measured = dict(zip(targets, runs))
    first = next(iter(measured.values()))
    rate = max(1.0, LOAD_FRACTION * median([load.rps for load in first]))  # 0 means no limit
    contenders = {name: targets[name] for name in open_names}
    opened = [open_loop(contenders, rate, open_seconds(ctx)) for _ in range(ctx.runs)
              if contenders]
    return Contest(measured, {name: [run[name] for run in opened] for name in open_names},
                   rate)


def _closed_run(target: Target, duration: int) -> Callable[[], Load]:
    return lambda: closed(target, duration)


def figure_row(ctx: Context, scenario: str, metric: str, unit: str, figure: Callable[[Load], float],
               loads: list[Load], *, baseline_name: str | None = None,
               baseline_loads: list[Load] = (), target: float | None = None,
               direction: str = "min", note: str = "",
               baseline_figure: Callable[[Load], float] | None = None) -> Row:
    """A Row of the median of `figure` over the runs, against the baseline's median (of
    `baseline_figure`, when the baseline counts in other units)."""
    values = [figure(load) for load in loads]
    base = [(baseline_figure or figure)(load) for load in baseline_loads]
    return Row(scenario, metric, unit, median(values), target, direction, ctx.database,
               baseline_name, median(base) if base else None, values, base, note)


def error_row(ctx: Context, scenario: str, metric: str, loads: list[Load], log_text: str) -> Row:
    """Non-2xx answers and socket errors over every run, plus "database is locked" in the
    server's log: a write must never be refused for contention."""
    locked = log_text.count("database is locked")
    counts = [float(load.non_2xx + load.socket_errors) for load in loads]
    return Row(scenario, metric, "count", sum(counts) + locked, 0, "max", ctx.database,
               runs=counts, note=f"'database is locked' in the server log: {locked}")
