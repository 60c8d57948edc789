"""Scenario 8: memory under pathological list requests (issue 15, finding 4). Sixty values of
1 MB are written, then, round after round, eight list requests that ask for much at once
(notifications and a stream replay from revision 0, history pages, an export, snapshots
listed and diffed) and eight that ask for much and find little, all on one gunicorn worker
(tests/support/memory_scenario.py; the test suite runs a smaller version,
tests/reliability/test_memory_scenario.py).

Targets, against the worker's resident size after the writes (its baseline): the peak of a
pathological burst at most 2 × what it returned + 2 × the values stored + 32 MiB above the
baseline; a burst that finds little peaks within 16 MiB of where it started; one second
after any burst, resident size within 20% of the baseline.
"""
from __future__ import annotations

from tests.support import memory_scenario as scenario

from ..context import Context, Row, median

SCENARIO = "8. memory"
MIB = scenario.MIB
VALUES, SIZE = 60, 1_000_000
QUICK_VALUES = 8


def run(ctx: Context) -> list[Row]:
    url = ctx.fresh_database_url("memory")
    count = QUICK_VALUES if ctx.quick else VALUES
    # One worker, so that every request of a burst lands on the worker measured.
    # 1 MB values are over the default cap on a string (64 KiB): raised, as an operator
    # who stores them would.
    with ctx.server(url, "memory", workers=1, extra_env={"LAZYCONFIG_MAX_STRING_VALUE": str(SIZE)},
                    extra_args=("--access-logfile", "/dev/null")) as server:
        [pid] = server.worker_pids()
        client = scenario.Http(server.port, ctx.token("admin"))
        found = scenario.run(client, pid, count=count, size=SIZE, rounds=ctx.runs)
    bursts = found["pathological"], found["quiet"]
    note = (f"{count} values of {SIZE:,} characters, one worker; baseline "
            f"{bursts[0].baseline / MIB:.0f} MB after the writes; a pathological burst "
            f"returned {bursts[0].returned / MIB:.1f} MB ("
            + ", ".join(f"{name} {size / MIB:.1f}" for name, size in
                        bursts[0].answered.items()) + ")")
    return [_peak_row(ctx, bursts[0], note), _quiet_row(ctx, bursts[1], note),
            *[_retained_row(ctx, name, burst, note) for name, burst in
              zip(("pathological", "quiet"), bursts)]]


def _row(ctx: Context, metric: str, unit: str, runs: list[float], target: float,
         note: str) -> Row:
    return Row(SCENARIO, metric, unit, max(runs), target, "max", database=ctx.database,
               runs=runs, note=note)


def _peak_row(ctx: Context, burst: scenario.Figures, note: str) -> Row:
    bound = (2 * burst.returned + 2 * burst.stored + 32 * MIB) / MIB
    runs = [round((peak - burst.baseline) / MIB, 1) for peak in burst.peaks]
    return _row(ctx, "8 pathological list requests at once: worker peak above its baseline "
                f"(median {median(runs):.0f})", "MB", runs, round(bound, 1), note)


def _quiet_row(ctx: Context, burst: scenario.Figures, note: str) -> Row:
    runs = [round((peak - start) / MIB, 1) for start, peak in zip(burst.starts, burst.peaks)]
    return _row(ctx, "8 requests that find little, at once: worker peak above its size "
                "before them", "MB", runs, 16.0, note)


def _retained_row(ctx: Context, name: str, burst: scenario.Figures, note: str) -> Row:
    runs = [round(kept / burst.baseline, 3) for kept in burst.retained]
    return _row(ctx, f"worker resident 1 s after a {name} burst / its baseline", "×", runs,
                1.2, note)
