"""Scenario 9: change analytics over 1,000,000 changes (GET /analytics/changes).

The change log is seeded by bulk SQL (bench/seed.py: 10,000 keys, 1,000,000 changes over ten
days; executemany on SQLite, COPY on PostgreSQL), every 50th change a revert and every 97th a
rollback, spread over 20 users; the database's trigger counts them as it counts every change
(migration 0014), and 20,000 refusals are inserted. Each grouping is asked of a served
gunicorn over the default 30 days (all of it) and, in the same run and in turns, the same
aggregates are run as plain SQL on a connection of their own (the repository's statements,
no HTTP, no Flask). Target: the endpoint under 300 ms.
"""
from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

from sqlalchemy import text
from sqlalchemy.orm import Session

from lazyconfig.db.base import utcnow
from lazyconfig.db.connection import make_engine
from lazyconfig.db.repositories.analytics import ChangeAnalyticsRepository

from .. import seed
from ..context import Context, Row, alternate, median
from ..latency import ApiClient
from .scale import _discard, _migrated

SCENARIO = "9. analytics"
TARGET_MS = 300
FULL = seed.Scale(keys=10_000, changes=1_000_000, snapshots=0)
QUICK = seed.Scale(keys=500, changes=20_000, snapshots=0)
GROUPS = ("day", "key", "user", "action")
LIMIT = 50
REFUSALS = 20_000


def run(ctx: Context) -> list[Row]:
    scale = QUICK if ctx.quick else FULL
    url = _migrated(ctx, "analytics")
    began = time.perf_counter()
    seed.seed(url, scale, partial(_vary, scale))
    _refusals(url, scale)
    note = (f"{scale.changes:,} changes of {scale.keys:,} keys, 2% reverts, 1% rollbacks, "
            f"20 users, {REFUSALS:,} refusals (seeded by SQL in {time.perf_counter() - began:.0f} s)")
    try:
        with ctx.server(url, "analytics", migrate=False) as server:
            client = ApiClient(server.url, ctx.token("viewer"))
            try:
                return [row for group in GROUPS for row in _rows(ctx, client, url, group, note)]
            finally:
                client.close()
    finally:
        _discard(ctx, "analytics")


def _vary(scale: seed.Scale, row: dict) -> dict:
    """Every 97th change a rollback, every 50th a revert; 20 users."""
    if row["id"] > scale.keys:
        if row["id"] % 97 == 0 or row["id"] % 50 == 0:
            row["action"] = "rollback" if row["id"] % 97 == 0 else "revert"
        row["actor"] = f"user{row['id'] % 20}"
    return row


def _refusals(url: str, scale: seed.Scale) -> None:
    step = seed.HISTORY / REFUSALS
    start = utcnow() - seed.HISTORY
    db = make_engine(url)
    try:
        with db.begin() as conn:
            conn.execute(text("INSERT INTO validation_refusals (at, key, action) "
                              "VALUES (:at, :key, 'set')"),
                         [{"at": start + step * n, "key": scale.names[(n * 7) % scale.keys]}
                          for n in range(REFUSALS)])
        if db.dialect.name == "postgresql":
            with db.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE change_counts, change_undos, validation_refusals"))
    finally:
        db.dispose()


def _rows(ctx: Context, client: ApiClient, url: str, group: str, note: str) -> list[Row]:
    path = f"/analytics/changes?group_by={group}&limit={LIMIT}"
    client.call("GET", path)  # warm: the worker's pool, the database's cache
    db = make_engine(url)
    try:
        served, plain = alternate(lambda: client.timed("GET", path) * 1000,
                                  lambda: _plain_ms(db, group), ctx.runs)
    finally:
        db.dispose()
    return [Row(SCENARIO, f"GET /analytics/changes?group_by={group} ms", "ms", median(served),
                TARGET_MS, "max", ctx.database, runs=served, note=note),
            Row(SCENARIO, f"the same aggregates as plain SQL, group_by={group} ms", "ms",
                median(plain), None, "max", ctx.database, runs=plain,
                note="in the same run, in turns with the endpoint")]


def _plain_ms(db, group: str) -> float:
    """The endpoint's four aggregates on a plain session: the database's share of its time."""
    end = utcnow().date()
    start = end - timedelta(days=29)
    began = time.perf_counter()
    with Session(db) as session:
        repository = ChangeAnalyticsRepository(session)
        repository.by_action(start, end)
        if group != "action":
            repository.counts_by(group, start, end, LIMIT)
        repository.median_undo_seconds(start, end)
        repository.refusals_by_key(start, end, LIMIT)
    return (time.perf_counter() - began) * 1000
