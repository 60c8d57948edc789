"""Scenario 5: a database with 10,000 keys, 1,000,000 change-log rows and 1,000 snapshots.

Reads, writes and the notification list must stay within 1.5 × their latency on an empty
database; create_snapshot and rollback of every key must stay under 100 ms and 2 s (and are
shown beside the plain database work they amount to); a worker stays under 150 MB.
"""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from functools import partial
from datetime import timedelta
from pathlib import Path
from typing import Sequence

from sqlalchemy import Column, MetaData, String, Table, bindparam, create_engine
from sqlalchemy.engine import make_url

from lazyconfig.db import migrate
from lazyconfig.db.base import BigId, JSONValue, UTCDateTime, utcnow
from lazyconfig.db.connection import make_engine
from lazyconfig import ConfigurationEngine, bootstrap
from lazyconfig.service import compaction
from lazyconfig.service.compaction import LogRetention
from lazyconfig.settings import Settings

from .. import seed
from ..context import Context, Row, alternate, median
from ..latency import ApiClient, percentile
from . import start_all

SCENARIO = "5. scale"
KEY = "load_timeout"  # a built-in key, so the seeded and the empty database serve the same
# A deployment that keeps 1,000 snapshots raises the retention limit (default 100); so do
# we, or the first snapshot taken would spend its time deleting 900 of them.
RETENTION = {"LAZYCONFIG_SNAPSHOT_MAX_COUNT": "1000000"}
SETTLE_SECONDS = 1  # before reading a worker's memory after the last request
OPERATIONS = {  # name: (method, path, body of the n-th request)
    "GET value": ("GET", f"/values/{KEY}", lambda n: None),
    "PUT value": ("PUT", f"/values/{KEY}", lambda n: {"value": 30.0 + n % 2}),
    "GET notifications?limit=50": ("GET", "/notifications?limit=50", lambda n: None),
}

# Baselines: the bare database work a snapshot and a rollback amount to, on our own tables.
BASELINE = MetaData()
BLOBS = Table("bench_blobs", BASELINE, Column("id", BigId, primary_key=True),
              Column("data", JSONValue))
VALUES = Table("bench_values", BASELINE, Column("key", String(128), primary_key=True),
               Column("value", JSONValue), Column("revision", BigId))
CHANGES = Table("bench_changes", BASELINE, Column("id", BigId, primary_key=True),
                Column("at", UTCDateTime), Column("key", String(128)),
                Column("old_value", JSONValue), Column("new_value", JSONValue),
                Column("source", String(16)), Column("action", String(16)),
                Column("actor", String(200)))


def run(ctx: Context) -> list[Row]:
    scale = seed.QUICK if ctx.quick else seed.FULL
    seeded_url, empty_url = _migrated(ctx, "scale_seeded"), _migrated(ctx, "scale_empty")
    seconds = seed.seed(seeded_url, scale)
    note = (f"{scale.keys:,} custom keys (+25 built-in), {scale.changes:,} change-log rows, "
            f"{scale.snapshots:,} snapshots each of all {scale.keys:,} keys (seeded by SQL in "
            f"{seconds:.0f} s); snapshot retention raised to keep them")
    try:
        with ExitStack() as stack:
            servers = start_all(stack, {
                name: ctx.server(url, f"scale-{name}", migrate=False, extra_env=RETENTION)
                for name, url in (("seeded", seeded_url), ("empty", empty_url))})
            rows = _latency_rows(ctx, servers["seeded"], servers["empty"], note)
            rows += _compaction_rows(ctx, servers["seeded"], servers["empty"], seeded_url,
                                     scale, note)
            rows.append(_memory_row(ctx, servers["seeded"], servers["empty"], scale, note))
        rows += _engine_rows(ctx, seeded_url, scale, note)
    finally:
        for name in ("scale_seeded", "scale_empty"):
            _discard(ctx, name)
    return rows


# -- databases ---------------------------------------------------------------------------
def _migrated(ctx: Context, name: str) -> str:
    """An empty database at the schema's head. On PostgreSQL, a schema of its own in the
    bench database, since the seeded and the empty one must be served side by side."""
    if ctx.database == "sqlite":
        url = ctx.fresh_database_url(name)
    else:
        _discard(ctx, name)
        _pg_admin(ctx, f'CREATE SCHEMA "{name}"')
        query = {"options": f"-csearch_path={name}"}
        url = make_url(ctx.pg_url).update_query_dict(query).render_as_string(hide_password=False)
    db = make_engine(url)
    try:
        migrate.run(db)
    finally:
        db.dispose()
    return url


def _discard(ctx: Context, name: str) -> None:
    if ctx.database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ctx.workdir / name}.db{suffix}").unlink(missing_ok=True)
    else:
        _pg_admin(ctx, f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _pg_admin(ctx: Context, statement: str) -> None:
    db = create_engine(ctx.pg_url)
    try:
        with db.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        db.dispose()


# -- latency over HTTP, seeded against empty ---------------------------------------------
def _latency_rows(ctx: Context, seeded, empty, note: str) -> list[Row]:
    token = ctx.token("editor")
    requests = 50 if ctx.quick else 200
    on_seeded, on_empty = [], []
    for _ in range(ctx.runs):
        a, b = _latencies((seeded.url, empty.url), token, requests)
        on_seeded.append(a)
        on_empty.append(b)
    rows = []
    for name in OPERATIONS:
        for q in (50, 99):
            a = [percentile(run[name], q) * 1000 for run in on_seeded]
            b = [percentile(run[name], q) * 1000 for run in on_empty]
            rows.append(Row(SCENARIO, f"{name} p{q} ms, seeded/empty", "ms", median(a), 1.5,
                            "max", ctx.database, "empty database", median(b), a, b,
                            f"{note}; gunicorn, 2 workers; {requests} sequential requests per "
                            "run and server over one keep-alive connection, the two servers "
                            "taking turns request by request"))
    return rows


def _latencies(urls: Sequence[str], token: str, requests: int) -> list[dict[str, list[float]]]:
    """One run: `requests` of each operation on each server, the servers taking turns
    request by request (A, B, B, A, ...), each over a fresh keep-alive connection. A p99 of
    200 is the second-worst request: with whole runs in turns (A, B, A, B), one slow spell
    of this shared machine decided it, and ratios landed both sides of 1.5 between runs."""
    with ExitStack() as stack:
        clients = [stack.enter_context(ApiClient(url, token)) for url in urls]
        for client in clients:
            client.call("GET", f"/values/{KEY}")  # connected, and the worker caught up
        found = [{name: [] for name in OPERATIONS} for _ in clients]
        turn = list(zip(clients, found))
        for name, (method, path, body) in OPERATIONS.items():
            for n in range(requests):
                for client, times in (turn if n % 2 == 0 else reversed(turn)):
                    times[name].append(client.timed(method, path, body(n)))
        return found


# -- change-log compaction beside writers ------------------------------------------------
def _compaction_rows(ctx: Context, seeded, empty, url: str, scale: seed.Scale,
                     note: str) -> list[Row]:
    """Compact the seeded log to its newest tenth in one process, step by step as a server
    does, while PUTs go to the seeded and the empty server in turns: what compaction costs,
    the longest the write lock was held for it, and what writers saw meanwhile."""
    env = ctx.env(url, "scale-compaction", **RETENTION)
    engine = bootstrap(Settings.from_env(env), env=env, watch=False)
    retention = LogRetention(max_entries=scale.changes // 10)
    steps: list[float] = []
    began = time.perf_counter()
    compactor = threading.Thread(target=_compact_in_steps, args=(engine, retention, steps),
                                 name="bench-compaction")
    compactor.start()
    on_seeded, on_empty = [], []
    try:
        with ApiClient(seeded.url, ctx.token("editor")) as a, \
                ApiClient(empty.url, ctx.token("editor")) as b:
            n = 0
            while compactor.is_alive() or n < 20:
                for client, times in ((a, on_seeded), (b, on_empty))[::1 - 2 * (n % 2)]:
                    times.append(client.timed("PUT", f"/values/{KEY}", {"value": 30.0 + n % 2}))
                n += 1
    finally:
        compactor.join()
        seconds = time.perf_counter() - began
        removed = sum(r["removed"] for r in engine.change_log.records(len(steps) + 1)
                      if r["user"] == "bench")
        engine.close()
    what = (f"{note}; one process compacting the log to its newest "
            f"{retention.max_entries:,} revisions ({removed:,} changes removed in "
            f"{len(steps)} steps of at most {compaction.BATCH:,}, {seconds:.1f} s)")
    p50 = percentile(on_seeded, 50) * 1000, percentile(on_empty, 50) * 1000
    return [
        Row(SCENARIO, "change-log compaction, changes removed per second", "1/s",
            removed / seconds, None, "min", ctx.database, runs=[removed / seconds],
            note=what),
        Row(SCENARIO, "change-log compaction, longest step (write lock held), ms", "ms",
            max(steps) * 1000, None, "max", ctx.database,
            runs=sorted(s * 1000 for s in steps)[-5:], note=what),
        Row(SCENARIO, "PUT value p50 ms while compacting, seeded/empty", "ms", p50[0], 1.5,
            "max", ctx.database, "empty database", p50[1], [t * 1000 for t in on_seeded],
            [t * 1000 for t in on_empty], note=(
                f"{what}; {len(on_seeded)} PUTs on each server meanwhile, in turns")),
    ]


def _compact_in_steps(engine: ConfigurationEngine, retention: LogRetention,
                      steps: list[float]) -> None:
    """What ChangeLogCompaction.compact does, timing each step (one write transaction)."""
    operation = partial(compaction.step, retention=retention, batch=compaction.BATCH,
                        user="bench")
    while True:
        began = time.perf_counter()
        removed, _ = engine.pipeline.run(operation).result
        if not removed:
            return
        steps.append(time.perf_counter() - began)
        compaction.rest_after(steps[-1])


# -- a worker's memory after the requests that touch everything --------------------------
def _memory_row(ctx: Context, seeded, empty, scale: seed.Scale, note: str) -> Row:
    before = [round(_rss_mb(pid)) for pid in sorted(seeded.worker_pids())]
    with ApiClient(seeded.url, ctx.token("editor")) as client:
        pages = -(-scale.snapshots // 100)
        for page in range(1, pages + 1):
            client.call("GET", f"/snapshots?page={page}&page_size=100")
        client.call("GET", f"/snapshots/{scale.snapshots}")
        client.call("GET", "/snapshots/1/diff?against=current")
        rollback = client.timed("POST", "/snapshots/1/rollback", {})
    pids = sorted(seeded.worker_pids())
    at_once = [round(_rss_mb(pid)) for pid in pids]
    # A worker hands memory back once a large response has been sent (lazyconfig/api/
    # memory.py), which overlaps the client's reading of that response: read after it.
    time.sleep(SETTLE_SECONDS)
    rss = {pid: _rss_mb(pid) for pid in pids}
    peak = [round(_rss_mb(pid, "VmHWM")) for pid in pids]
    idle = [round(_rss_mb(pid)) for pid in sorted(empty.worker_pids())]
    return Row(SCENARIO, "worker resident memory (VmRSS), largest worker", "MB",
               max(rss.values()), 150, "max", ctx.database, runs=list(rss.values()),
               note=f"{note}; per worker, after the latency runs ({before} MB) and then "
                    f"listing all snapshots, one snapshot, a diff and a rollback of "
                    f"{scale.keys:,} keys through the API (that rollback took {rollback:.2f} s), "
                    f"read {SETTLE_SECONDS} s after its response; at the response: {at_once} "
                    f"MB; peak during the run (VmHWM): {peak} MB; workers on the empty "
                    f"database: {idle} MB")


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


# -- snapshot and rollback through the engine, against the bare database work ------------
def _engine_rows(ctx: Context, url: str, scale: seed.Scale, note: str) -> list[Row]:
    env = ctx.env(url, "scale-engine", **RETENTION)
    engine = bootstrap(Settings.from_env(env), env=env, watch=False)
    db = make_engine(url)
    try:
        BASELINE.create_all(db)
        layers = engine.get_snapshot(engine.create_snapshot("scale: warm-up"))["values"]
        snapshot, blob = alternate(lambda: _timed(engine.create_snapshot, "scale"),
                                   lambda: _timed(_insert_blob, db, layers), ctx.runs)
        # The API rollback left the values of snapshot 1; the newest seeded snapshot differs
        # from them in every key, and each rollback's safety snapshot from the next state.
        rollback, bulk = alternate(_rollbacks(engine, scale.snapshots, scale.keys),
                                   _bulk_writes(db, layers), ctx.runs)
    finally:
        engine.close()
        db.dispose()
    keys = f"{scale.keys:,}"
    return [
        Row(SCENARIO, f"create_snapshot of {keys} keys", "ms", median(snapshot) * 1000, 100,
            "max", ctx.database, runs=[s * 1000 for s in snapshot], note=note),
        Row(SCENARIO, f"create_snapshot of {keys} keys, against json.dumps + INSERT", "ms",
            median(snapshot) * 1000, None, "max", ctx.database,
            "json.dumps + one INSERT, same values", median(blob) * 1000,
            [s * 1000 for s in snapshot], [s * 1000 for s in blob], note),
        Row(SCENARIO, f"rollback of {keys} keys", "s", median(rollback), 2, "max",
            ctx.database, runs=rollback, note=f"{note}; in-process ConfigurationEngine; "
                                              "includes its safety snapshot"),
        Row(SCENARIO, f"rollback of {keys} keys, against executemany", "s", median(rollback),
            None, "max", ctx.database, f"executemany UPDATE + INSERT, {keys} rows each",
            median(bulk), rollback, bulk, note),
    ]


def _timed(call, *args) -> float:
    began = time.perf_counter()
    call(*args)
    return time.perf_counter() - began


def _rollbacks(engine: ConfigurationEngine, first_target: int, keys: int):
    target = first_target

    def rollback() -> float:
        nonlocal target
        began = time.perf_counter()
        result = engine.rollback_to_snapshot(target)
        seconds = time.perf_counter() - began
        if len(result["changes"]) != keys:
            raise RuntimeError(f"rollback to {target} changed {len(result['changes'])} keys, "
                               f"not {keys}")
        target = result["safety_snapshot_id"]
        return seconds
    return rollback


def _insert_blob(db, layers: dict) -> None:
    with db.begin() as conn:
        conn.execute(BLOBS.insert(), {"data": layers})  # the column type does the json.dumps


def _bulk_writes(db, layers: dict):
    values = {key: layer["runtime"] for key, layer in layers.items()}
    with db.begin() as conn:
        conn.execute(VALUES.insert(), [{"key": k, "value": v, "revision": 0}
                                       for k, v in values.items()])
    update = VALUES.update().where(VALUES.c.key == bindparam("k")).values(
        value=bindparam("v"), revision=bindparam("r"))
    run = 0

    def write() -> float:
        nonlocal run
        run += 1
        at = utcnow()
        updates = [{"k": k, "v": v + run, "r": run} for k, v in values.items()]
        changes = [{"at": at + timedelta(microseconds=n), "key": k, "old_value": v + run - 1,
                    "new_value": v + run, "source": "runtime", "action": "rollback",
                    "actor": "bench"} for n, (k, v) in enumerate(values.items())]
        began = time.perf_counter()
        with db.begin() as conn:
            conn.execute(update, updates)
            conn.execute(CHANGES.insert(), changes)
        return time.perf_counter() - began
    return write
