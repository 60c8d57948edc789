"""Runs the scenarios on each database, prints the table and writes the results file."""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from types import ModuleType

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import etcd, loadgen, loadgen_wrk
from .baselines import gunicorn_conf
from .context import Context
from .scenarios import FULL_SECONDS, LOAD_FRACTION, OPEN_SECONDS, ORDER, QUICK_SECONDS

DATABASES = ("sqlite", "postgresql")
PACKAGES = ("flask", "flask-smorest", "flask-jwt-extended", "pyjwt", "sqlalchemy", "alembic",
            "psycopg", "gunicorn", "marshmallow")
ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2  # Context.server's default, for the service and the HTTP baselines alike


@dataclass
class Plan:
    databases: list[str]
    scenarios: list[tuple[str, ModuleType]]  # ("2 http_read", its module)
    quick: bool
    runs: int
    pg_url: str
    skipped: dict[str, str] = field(default_factory=dict)  # what did not run, and why
    merge: bool = False  # keep the other scenarios of an existing results file


def discover(only: set[str]) -> tuple[list[tuple[str, ModuleType]], dict[str, str]]:
    """The scenario modules present, in ORDER; `only` holds numbers or names."""
    found, absent = [], {}
    for number, name in enumerate(ORDER, 1):
        label = f"{number} {name}"
        if only and str(number) not in only and name not in only:
            continue
        if importlib.util.find_spec(f"bench.scenarios.{name}") is None:
            absent[label] = "not written yet"
            continue
        found.append((label, importlib.import_module(f"bench.scenarios.{name}")))
    return found, absent


def prepare_postgres(url: str) -> str | None:
    """Create the database `url` names if it is missing; why not, when unreachable."""
    parsed = make_url(url)
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 5})
    try:
        with server.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": parsed.database}).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    except Exception as exc:  # any failure means: no PostgreSQL figures in this run
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        server.dispose()
    return None


def run_plan(plan: Plan, workdir: Path) -> dict:
    """Every scenario on every database, one at a time (on a small machine two at once only
    share its cores); a scenario that fails is recorded, not fatal."""
    results = {}
    for label, module in plan.scenarios:
        outcomes = {database: run_scenario(plan, label, module, database, workdir / database)
                    for database in plan.databases}
        results[label] = {
            "rows": [row for outcome in outcomes.values() for row in outcome["rows"]],
            "errors": {db: o["error"] for db, o in outcomes.items() if o["error"]},
            "seconds": {db: o["seconds"] for db, o in outcomes.items()}}
    return results


def run_scenario(plan: Plan, label: str, module: ModuleType, database: str,
                 workdir: Path) -> dict:
    """One scenario on one database: its rows as dicts, the traceback if it failed, and how
    long it took."""
    ctx = Context(database, plan.quick, plan.runs, workdir, plan.pg_url)
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    print(f"bench: {label} on {database} ...", flush=True)
    began, rows, error = time.monotonic(), [], None
    try:
        rows = [row.as_dict() for row in module.run(ctx)]
    except Exception:
        error = traceback.format_exc()
        print(f"bench: {label} on {database} failed:\n{error}", flush=True)
    return {"rows": rows, "error": error, "seconds": round(time.monotonic() - began, 1)}


def _command(*args: str) -> str | None:
    try:
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except OSError:
        return None


def _postgres_version(url: str) -> str | None:
    db = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with db.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar()
    except Exception:  # informational only
        return None
    finally:
        db.dispose()


def machine(plan: Plan) -> dict:
    """What the figures were measured on and with (load averages are added around the run)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "packages": versions,
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(plan.pg_url) if "postgresql" in plan.databases else None,
        "git_revision": _command("git", "rev-parse", "HEAD"),
        "git_dirty": bool(_command("git", "status", "--porcelain", "--untracked-files=no")),
        "load_generator": {"closed_loop": loadgen.closed_generator(),
                           "wrk": loadgen_wrk.version(),
                           "open_loop": "python (bench/loadgen_python.py)"},
        "etcd": etcd.version(),
        "gunicorn": {"workers": WORKERS, "worker_class": gunicorn_conf.worker_class,
                     "threads": gunicorn_conf.threads, "keepalive": gunicorn_conf.keepalive},
    }


def execute(plan: Plan, out: Path) -> int:
    """Run the plan, print the table, write `out`; 1 when a scenario failed to run."""
    workdir = Path(tempfile.mkdtemp(prefix="lazyconfig-bench-"))
    info = machine(plan)
    info["load_average_before"] = os.getloadavg()
    began = time.monotonic()
    scenarios = run_plan(plan, workdir)
    info["load_average_after"] = os.getloadavg()
    info["seconds"] = round(time.monotonic() - began, 1)
    document = {"machine": info,
                "settings": {"quick": plan.quick, "runs": plan.runs,
                             "databases": plan.databases,
                             "load_seconds": QUICK_SECONDS if plan.quick else FULL_SECONDS,
                             "open_loop_seconds": QUICK_SECONDS if plan.quick else OPEN_SECONDS,
                             "connections": loadgen.CONNECTIONS,
                             "open_loop_rate": f"{LOAD_FRACTION} x the service's throughput"},
                "skipped": plan.skipped, "scenarios": scenarios}
    if plan.merge and out.exists():
        document = merged(json.loads(out.read_text()), document)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(table([row for entry in scenarios.values() for row in entry["rows"]]))
    for label, reason in plan.skipped.items():
        print(f"bench: skipped {label}: {reason}")
    failed = any(entry["errors"] for entry in scenarios.values())
    if failed:
        print(f"bench: a scenario failed; its servers' logs are in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"bench: {info['seconds']} s; results in {out}")
    return 1 if failed else 0


def merged(old: dict, new: dict) -> dict:
    """`new` over the results in `old`: scenarios run now replace theirs, the others stay,
    and each scenario's "run" indexes the "runs" (machine, revision, load) that measured it."""
    runs = old.get("runs") or [old["machine"]]
    scenarios = {label: {"run": 0, **entry} for label, entry in old["scenarios"].items()}
    scenarios.update({label: {**entry, "run": len(runs)}
                      for label, entry in new["scenarios"].items()})
    return {**new, "runs": [*runs, new["machine"]], "scenarios": scenarios}


COLUMNS = ("scenario", "db", "metric", "value", "baseline", "ratio", "target", "result")


def _number(value: float | None, unit: str = "") -> str:
    if value is None or value != value:  # None or nan
        return "-"
    shown = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{shown} {unit}".strip()


def _cells(row: dict) -> tuple[str, ...]:
    sign = ">=" if row["direction"] == "min" else "<="
    target = "-"
    if row["target"] is not None:
        target = (f"{sign} {row['target']:g}x" if row["baseline_name"]
                  else f"{sign} {row['target']:g} {row['unit']}")
    result = {True: "PASS", False: "FAIL", None: "-"}[row["passed"]]
    baseline = (f"{_number(row['baseline'], row['unit'])} ({row['baseline_name']})"
                if row["baseline_name"] else "-")
    return (row["scenario"], row["database"] or "-", row["metric"],
            _number(row["value"], row["unit"]), baseline,
            f"{row['ratio']:.2f}" if row["ratio"] is not None else "-", target, result)


def table(rows: list[dict]) -> str:
    """The rows as a plain-text table, one line each."""
    lines = [COLUMNS] + [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in lines)
