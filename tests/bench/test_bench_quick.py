"""The benchmark's machinery, end to end: `python -m bench --quick` on the suite's database
writes a results file holding every scenario with numeric figures. Targets are not checked:
figures from a busy test machine say nothing about the service."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.scenarios import ORDER

ROOT = Path(__file__).resolve().parents[2]
OURS = ("1 in_process", "2 http_read", "3 http_write", "4 batch")


def database_arguments() -> list[str]:
    url = os.environ.get("LAZYCONFIG_TEST_DATABASE_URL")
    if not url:
        return ["--db", "sqlite"]
    # A database of its own on the suite's server: the bench drops every table of the one it
    # uses, and the suite's fixtures expect theirs.
    bench_url = make_url(url).set(database="lazyconfig_bench_quick")
    return ["--db", "postgresql", "--pg-url", bench_url.render_as_string(hide_password=False)]


def finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


@pytest.mark.slow
def test_a_quick_run_measures_every_scenario_against_its_baseline(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out),
                           *database_arguments()],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    results = json.loads(out.read_text())
    present = [f"{n} {name}" for n, name in enumerate(ORDER, 1)
               if (ROOT / "bench" / "scenarios" / f"{name}.py").exists()]
    assert set(OURS) <= set(present)
    assert list(results["scenarios"]) == present
    for label, entry in results["scenarios"].items():
        assert entry["errors"] == {}, label
        assert entry["rows"], label
        for row in entry["rows"]:
            assert finite(row["value"]), (label, row["metric"], row["value"])
            assert row["runs"] and all(finite(v) for v in row["runs"]), (label, row["metric"])
            if row["baseline_name"]:
                assert finite(row["baseline"]), (label, row["metric"], row["baseline"])
    machine = results["machine"]
    assert machine["cpu_count"] >= 1 and machine["git_revision"]
    assert machine["load_generator"]["closed_loop"] in ("wrk", "python")
    assert len(machine["load_average_before"]) == len(machine["load_average_after"]) == 3
