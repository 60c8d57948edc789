"""Scenario 9: a read of every key at a past revision (`engine.values_at`, what
`GET /values?at_revision=N` serves) on 10,000 keys and 1,000,000 change-log rows, at the
middle of the history; and at its start and end, to show that the cost follows the number
of keys, not the position in the log. Baseline: reading the 10,000 current value rows
(`SELECT key, value FROM config_values`), the least any read of every key costs.
"""
from __future__ import annotations

import time

from sqlalchemy import text

from lazyconfig import bootstrap
from lazyconfig.db.connection import make_engine
from lazyconfig.settings import Settings

from .. import seed
from ..context import Context, Row, alternate, median
from .scale import _discard, _migrated

SCENARIO = "9. point-in-time"
FULL = seed.Scale(keys=10_000, changes=1_000_000, snapshots=0)
QUICK = seed.Scale(keys=500, changes=20_000, snapshots=0)
NAME = "point_in_time"


def run(ctx: Context) -> list[Row]:
    scale = QUICK if ctx.quick else FULL
    url = _migrated(ctx, NAME)
    try:
        seconds = seed.seed(url, scale)
        note = (f"{scale.keys:,} custom keys (+25 built-in), {scale.changes:,} change-log rows "
                f"(seeded by SQL in {seconds:.0f} s); in process, one engine")
        return _rows(ctx, url, scale, note)
    finally:
        _discard(ctx, NAME)


def _rows(ctx: Context, url: str, scale: seed.Scale, note: str) -> list[Row]:
    env = ctx.env(url, "point-in-time")
    engine = bootstrap(Settings.from_env(env), env=env, watch=False)
    db = make_engine(url)
    middle = scale.changes // 2
    try:
        _check(engine, scale, middle)
        read, baseline = alternate(lambda: _timed(engine.values_at, middle),
                                   lambda: _timed(_current_rows, db), ctx.runs)
        positions = {"start": 2 * scale.keys, "end": scale.changes}
        spread = {name: median([_timed(engine.values_at, revision) for _ in range(ctx.runs)])
                  for name, revision in positions.items()}
    finally:
        engine.close()
        db.dispose()
    keys = f"{scale.keys:,}"
    return [
        Row(SCENARIO, f"values_at({middle:,}) of {keys} keys, s", "s", median(read), 2.0,
            "max", ctx.database, runs=read, note=f"{note}; target: at most 2 s"),
        Row(SCENARIO, f"values_at({middle:,}) / reading the current {keys} rows", "s",
            median(read), None, "max", ctx.database, "SELECT of the current value rows",
            median(baseline), read, baseline, f"{note}; informational"),
        *[Row(SCENARIO, f"values_at({positions[name]:,}) ({name} of the log), s", "s",
              seconds, None, "max", ctx.database, f"values_at({middle:,})", median(read),
              runs=[seconds], baseline_runs=read,
              note=f"{note}; informational: the same read elsewhere in the log")
          for name, seconds in spread.items()],
    ]


def _check(engine, scale: seed.Scale, revision: int) -> None:
    """The read answers what the seeded history says (a key's value is its last change)."""
    past = engine.values_at(revision).entries
    wanted = {name: layers["runtime"] for name, layers in scale.values_at(revision).items()}
    got = {key: past[key].value for key in wanted}
    if got != wanted:
        raise AssertionError(f"values_at({revision}) differs from the seeded history")


def _current_rows(db) -> int:
    with db.connect() as conn:
        return len(conn.execute(text("SELECT key, value FROM config_values")).all())


def _timed(call, *args) -> float:
    began = time.perf_counter()
    call(*args)
    return time.perf_counter() - began
