"""Scenario 12: 100 change requests scheduled over 2 minutes on a served instance (2
workers), one worker SIGKILLed half-way (issue 20): each must be applied exactly once, none
more than 1 s late; the lateness distribution is reported. No baseline: the target is
absolute. The suite runs 20 over 15 s (tests/serving/test_scheduled_apply_served.py)."""
from __future__ import annotations

import os
import signal
from contextlib import ExitStack

from tests.support import schedule_scenario

from ..context import Context, Row
from . import start_all

SCENARIO = "12. scheduled apply"
FULL, QUICK = (100, 120.0), (5, 3.0)  # requests, seconds they are spread over


def run(ctx: Context) -> list[Row]:
    count, spread = QUICK if ctx.quick else FULL
    url = ctx.fresh_database_url("scheduled_apply")
    with ExitStack() as stack:
        server = start_all(stack, {"service": ctx.server(url, "scheduled_apply")})["service"]

        def kill() -> None:
            os.kill(sorted(server.worker_pids())[0], signal.SIGKILL)
        measured = schedule_scenario.run(server.url, ctx.token("admin"), count, spread, kill)
    late = measured["late"] or [float("nan")]
    note = (f"{count} requests over {spread:.0f} s, 2 workers, one SIGKILLed half-way; "
            f"median {measured['late_median_s']:.3f} s, p95 {measured['late_p95_s']:.3f} s")
    return [
        Row(SCENARIO, "lateness of the latest apply", "s", max(late), 1.0, "max",
            ctx.database, runs=late, note=note),
        Row(SCENARIO, "requests not applied exactly once", "requests",
            float(len(measured["failures"])), 0.0, "max", ctx.database,
            runs=[float(len(measured["failures"]))], note=str(measured["failures"][:5])),
    ]
