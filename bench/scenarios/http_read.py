"""Scenario 2: GET one value over HTTP (viewer token, 32 connections), against the read
ceiling (a bare Flask app with the same token check under the same gunicorn) and etcd's
range call."""
from __future__ import annotations

from contextlib import ExitStack

from ..baselines import GUNICORN_CONF, READ_APP
from ..context import Context, Row
from ..loadgen import Target
from . import LOAD_FRACTION, PREFIX, contest, figure_row, start_contenders

NAME = "2 http_read"
KEY = "lazy_loading_unloading_check_interval"


def run(ctx: Context) -> list[Row]:
    authorization = f"Bearer {ctx.token('viewer')}"
    url = ctx.fresh_database_url("http_read")
    with ExitStack() as stack:
        # The ceiling never touches the database; it gets the URL because every server of
        # the bench is started the same way.
        started = start_contenders(ctx, stack, ctx.server(url, "http_read-service"),
                                   ctx.server(url, "http_read-ceiling", app=READ_APP,
                                              config=GUNICORN_CONF, migrate=False))
        targets = {name: Target(f"{started[name].url}{PREFIX}/values/{KEY}",
                                authorization=authorization) for name in ("service", "ceiling")}
        if "etcd" in started:
            targets["etcd"] = started["etcd"].range_target()
        result = contest(ctx, targets, open_names=("service", "ceiling"))
    return rows(ctx, result)


def rows(ctx, result) -> list[Row]:
    service, ceiling = result.closed["service"], result.closed["ceiling"]
    found = [
        figure_row(ctx, NAME, "GET req/s", "req/s", lambda load: load.rps, service,
                   baseline_name="read ceiling", baseline_loads=ceiling, target=0.8),
        figure_row(ctx, NAME, f"GET p99 at {LOAD_FRACTION:.0%} load", "ms",
                   lambda load: load.p99_ms, result.open["service"],
                   baseline_name="read ceiling", baseline_loads=result.open["ceiling"],
                   target=1.5, direction="max",
                   note=f"open loop at {result.rate:.0f} req/s, 32 connections"),
        figure_row(ctx, NAME, "GET p99, closed loop", "ms", lambda load: load.p99_ms, service,
                   baseline_name="read ceiling", baseline_loads=ceiling, direction="max",
                   note="saturated: mostly queueing, informational"),
    ]
    if "etcd" in result.closed:
        found.append(figure_row(ctx, NAME, "GET req/s vs etcd", "req/s", lambda load: load.rps,
                                service, baseline_name="etcd range",
                                baseline_loads=result.closed["etcd"],
                                note="stretch: ratio >= 0.5, informational"))
        # What the stack itself can do: a bare Flask app with the token check, against etcd.
        found.append(figure_row(ctx, NAME, "read ceiling req/s vs etcd", "req/s",
                                lambda load: load.rps, ceiling, baseline_name="etcd range",
                                baseline_loads=result.closed["etcd"],
                                note="the ceiling for any Flask + JWT service on this "
                                     "gunicorn, informational"))
    return found
