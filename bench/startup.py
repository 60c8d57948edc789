"""python -m bench.startup [--runs N] [--out PATH]: how long the `lazyconfig` command takes
from start to exit, against `python -c pass` measured in the same run.

Measured: `lazyconfig --help`, a remote `get` (a real gunicorn on loopback, SQLite, one
worker), and for scale a local `get` (which opens the engine on the database). The commands
run in turns (baseline, then each command, round after round, the order rotating) so a
machine that slows down slows them alike; each figure is the median of N runs' wall time,
with the ratio to the baseline's median and the difference in milliseconds. The figures go
to bench/startup.json; bench/README.md quotes a run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from lazyconfig.auth import create_token
from tests.support.servers import BIN, ROOT, GunicornServer, server_env

OUT = Path(__file__).resolve().parent / "startup.json"
SECRET = "startup-benchmark-secret-that-is-long-enough-0123456789"
KEY = "lazy_loading_unloading_check_interval"
TARGET_MS = 150.0  # issue 21: --help and remote commands, on the machine that runs it
WARM_UP = 2


def commands(url: str, token: str, database_url: str) -> dict[str, list[str]]:
    command = str(BIN / "lazyconfig")
    return {"python -c pass": [sys.executable, "-c", "pass"],
            "lazyconfig --help": [command, "--help"],
            "lazyconfig get (remote)": [command, "--url", url, "--token", token, "get", KEY],
            "lazyconfig get (local)": [command, "--database-url", database_url, "get", KEY]}


def wall_seconds(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr.decode()}")
    return elapsed


def measure(argvs: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, list]:
    """Wall seconds of each command, `runs` rounds after WARM_UP, in rotating order."""
    names = list(argvs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(WARM_UP + runs):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            elapsed = wall_seconds(argvs[name], env)
            if round_ >= WARM_UP:
                times[name].append(elapsed)
    return times


def figures(times: dict[str, list[float]]) -> dict[str, dict]:
    baseline = statistics.median(times["python -c pass"]) * 1000
    found = {}
    for name, runs in times.items():
        median = statistics.median(runs) * 1000
        found[name] = {"median_ms": round(median, 1), "min_ms": round(min(runs) * 1000, 1),
                       "max_ms": round(max(runs) * 1000, 1),
                       "ratio_to_baseline": round(median / baseline, 2),
                       "over_baseline_ms": round(median - baseline, 1),
                       "runs_ms": [round(r * 1000, 1) for r in runs]}
    return found


def import_time_us(env: dict[str, str], runs: int = 5) -> int:
    """`python -X importtime`: the cumulative microseconds of importing lazyconfig.cli, the
    median of `runs` fresh interpreters."""
    found = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import lazyconfig.cli"],
                              env=env, capture_output=True, text=True, check=True)
        line = [row for row in done.stderr.splitlines() if row.rstrip().endswith("lazyconfig.cli")]
        found.append(int(line[-1].split("|")[1]))
    return int(statistics.median(found))


def machine() -> dict:
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python":
            platform.python_version(), "platform": platform.platform(), "git": revision,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def run(runs: int, out: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="lazyconfig-startup-") as work:
        work = Path(work)
        database_url = f"sqlite:///{work / 'lazyconfig.db'}"
        env = server_env(database_url, work / "instance", SECRET,
                         LAZYCONFIG_RUN_DIR=str(work / "run"), XDG_CONFIG_HOME=str(work / "xdg"))
        with GunicornServer(env, work / "gunicorn.log", workers=1) as server:
            argvs = commands(server.url, create_token(SECRET, "bench", "viewer", 3600),
                             database_url)
            results = {"machine": machine(), "runs": runs, "warm_up": WARM_UP,
                       "target_ms": TARGET_MS, "import_lazyconfig_cli_us": import_time_us(env),
                       "figures": figures(measure(argvs, runs, env)),
                       "load_average_after": os.getloadavg()}
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="measured rounds (default 20)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"results file (default {OUT})")
    args = parser.parse_args(argv)
    results = run(args.runs, args.out)
    print(f"{'command':<26} {'median ms':>10} {'× python':>9} {'+ ms':>7}")
    for name, row in results["figures"].items():
        print(f"{name:<26} {row['median_ms']:>10} {row['ratio_to_baseline']:>9} "
              f"{row['over_baseline_ms']:>7}")
    print(f"(medians of {args.runs}; written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
