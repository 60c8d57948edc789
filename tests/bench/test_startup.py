"""The start-up benchmark's machinery: one round of `python -m bench.startup` writes a
figure for each command against `python -c pass`. The 150 ms target is not checked: a busy
test machine says nothing about it."""
from __future__ import annotations

import pytest

import json
import math
import subprocess
import sys
from pathlib import Path


pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_one_round_times_each_command_against_python(tmp_path):
    out = tmp_path / "startup.json"
    done = subprocess.run([sys.executable, "-m", "bench.startup", "--runs", "1", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert set(results["figures"]) == {"python -c pass", "lazyconfig --help",
                                       "lazyconfig get (remote)", "lazyconfig get (local)"}
    for name, row in results["figures"].items():
        assert math.isfinite(row["median_ms"]) and row["median_ms"] > 0, name
        assert len(row["runs_ms"]) == 1
    assert results["figures"]["python -c pass"]["ratio_to_baseline"] == 1.0
    assert results["import_lazyconfig_cli_us"] > 0
