"""Scenario 9: backup and verify of 10,000 keys + 1,000,000 changes (seeded by SQL, not
through the API), against a plain `pg_dump` / `sqlite3 .backup` of the same database,
alternating, in the same run. Verify includes the trial restore into a scratch SQLite
database and the state hash of what it restored (docs/backups.md)."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from lazyconfig.db import migrate
from lazyconfig.db.connection import make_engine
from lazyconfig.service import backups

from .. import seed
from ..context import Context, Row, alternate, median

NAME = "9 backups"
FULL = seed.Scale(keys=10_000, changes=1_000_000, snapshots=10)
QUICK = seed.Scale(keys=500, changes=20_000, snapshots=2)
BACKUP_TARGET_SECONDS = 10.0
DUMP_RATIO_TARGET = 3.0
MAX_RUNS = 3  # a full round (backup, dump, verify) takes about a minute here


def run(ctx: Context) -> list[Row]:
    scale = QUICK if ctx.quick else FULL
    url = ctx.fresh_database_url("backups")
    database = make_engine(url)
    try:
        migrate.run(database)
        seeded = seed.seed(url, scale)
        note = (f"{scale.keys:,} keys, {scale.changes:,} changes, {scale.snapshots} snapshots "
                f"of all keys (seeded by SQL in {seeded:.0f} s)")
        return _measure(ctx, database, url, note)
    finally:
        database.dispose()


def _measure(ctx: Context, database, url: str, note: str) -> list[Row]:
    backup, dump = ctx.workdir / "bench.lcbackup", ctx.workdir / "bench.dump"
    runs = min(ctx.runs, MAX_RUNS)

    def take() -> float:
        began = time.perf_counter()
        backups.create(database, backup, "bench")
        return time.perf_counter() - began
    taken, dumped = alternate(take, lambda: _plain_dump(ctx, url, dump), runs)
    verified = []
    for _ in range(runs):
        began = time.perf_counter()
        backups.verify(backup)
        verified.append(time.perf_counter() - began)
    tool = "pg_dump" if ctx.database == "postgresql" else "sqlite3 .backup"
    size = (f"; backup {backup.stat().st_size / 2**20:.0f} MiB, {tool} "
            f"{dump.stat().st_size / 2**20:.0f} MiB")
    backup.unlink(missing_ok=True)
    dump.unlink(missing_ok=True)
    return [
        Row(NAME, "backup s", "s", median(taken), BACKUP_TARGET_SECONDS, "max", ctx.database,
            runs=taken, note=note + size),
        Row(NAME, f"backup s / {tool} s", "s", median(taken), DUMP_RATIO_TARGET, "max",
            ctx.database, baseline_name=tool, baseline=median(dumped), runs=taken,
            baseline_runs=dumped, note="alternating, same database, same run"),
        Row(NAME, f"verify s (checksums + trial restore) / {tool} s", "s", median(verified),
            None, "max", ctx.database, baseline_name=tool, baseline=median(dumped),
            runs=verified, baseline_runs=dumped, note="informational"),
    ]


def _plain_dump(ctx: Context, url: str, target: Path) -> float:
    """Seconds a plain dump of the database takes with its own tool."""
    target.unlink(missing_ok=True)
    parsed = make_url(url)
    if ctx.database == "postgresql":
        command = ["pg_dump", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
                   "-U", parsed.username or "postgres", "-f", str(target), parsed.database]
        env = {**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})}
    else:
        command = ["sqlite3", parsed.database, f".backup '{target}'"]
        env = dict(os.environ)
    began = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True, timeout=600)
    return time.perf_counter() - began
