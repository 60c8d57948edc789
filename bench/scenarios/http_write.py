"""Scenario 3: PUT one value over HTTP (editor token, 32 connections, a new value each time),
against the write ceiling (the token check and one transaction: update a row, append a
change row, on the same kind of database) and etcd's put."""
from __future__ import annotations

from contextlib import ExitStack

from ..baselines import GUNICORN_CONF, WRITE_APP, write_store
from ..context import Context, Row
from . import (LOAD_FRACTION, contest, define_counters, error_row, figure_row, put_target,
               start_contenders)

NAME = "3 http_write"
KEY = "bench_put"
SQLITE_P99_MS = 100.0


def run(ctx: Context) -> list[Row]:
    token = ctx.token("editor")
    url, ceiling_url = ctx.fresh_database_url("http_write"), ceiling_database(ctx)
    write_store.prepare(ceiling_url, [KEY])
    with ExitStack() as stack:
        started = start_contenders(ctx, stack, ctx.server(url, "http_write-service"),
                                   ctx.server(ceiling_url, "http_write-ceiling", app=WRITE_APP,
                                              config=GUNICORN_CONF, migrate=False))
        define_counters(started["service"].url, ctx.token("admin"), [KEY])
        targets = {name: put_target(started[name].url, token, KEY)
                   for name in ("service", "ceiling")}
        if "etcd" in started:
            targets["etcd"] = started["etcd"].put_target()
        result = contest(ctx, targets, open_names=("service", "ceiling"))
        log = started["service"].log()
    return rows(ctx, result, log)


def ceiling_database(ctx: Context) -> str:
    """On SQLite a file of its own (one writer at a time per file); on PostgreSQL the bench
    database, beside the service's tables."""
    if ctx.database == "sqlite":
        return f"sqlite:///{ctx.workdir / 'write-ceiling.db'}"
    return ctx.pg_url


def rows(ctx: Context, result, log: str) -> list[Row]:
    service, ceiling = result.closed["service"], result.closed["ceiling"]
    opened = result.open["service"]
    load = f"open loop at {result.rate:.0f} req/s, 32 connections"
    found = [
        figure_row(ctx, NAME, "PUT req/s", "req/s", lambda run: run.rps, service,
                   baseline_name="write ceiling", baseline_loads=ceiling, target=0.6),
        figure_row(ctx, NAME, f"PUT p99 at {LOAD_FRACTION:.0%} load", "ms",
                   lambda run: run.p99_ms, opened, baseline_name="write ceiling",
                   baseline_loads=result.open["ceiling"], direction="max",
                   note=f"{load}; the ceiling at the same rate, informational"),
        figure_row(ctx, NAME, "PUT p99, closed loop", "ms", lambda run: run.p99_ms, service,
                   baseline_name="write ceiling", baseline_loads=ceiling, direction="max",
                   note="saturated: mostly queueing, informational"),
        error_row(ctx, NAME, "PUT non-2xx and socket errors", service + opened, log),
    ]
    if ctx.database == "sqlite":
        found.append(figure_row(ctx, NAME, f"PUT p99 at {LOAD_FRACTION:.0%} load, absolute",
                                "ms", lambda run: run.p99_ms, opened, target=SQLITE_P99_MS,
                                direction="max", note=load))
    if "etcd" in result.closed:
        found.append(figure_row(ctx, NAME, "PUT req/s vs etcd", "req/s", lambda run: run.rps,
                                service, baseline_name="etcd put",
                                baseline_loads=result.closed["etcd"], note="informational"))
    return found
