"""Closed-loop load with wrk: each connection sends its next request as soon as the previous
answer arrives, which measures throughput. bench/wrk/request.lua shapes the requests and
prints the figures as one JSON line."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from .loadgen_types import Load, Target

SCRIPT = Path(__file__).resolve().parent / "wrk" / "request.lua"
MARKER = "BENCH_JSON "


def available() -> bool:
    return shutil.which("wrk") is not None


def version() -> str | None:
    if not available():
        return None
    # wrk has no --version that exits 0; -v prints it first, then its usage.
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip() if out else None


def run(target: Target, seconds: int, connections: int) -> Load:
    # One wrk thread per two cores: on a small machine wrk must leave the server its CPUs.
    threads = max(1, min(connections, (os.cpu_count() or 2) // 2))
    env = {**os.environ, "WRK_METHOD": target.method, "WRK_AUTHORIZATION": target.authorization,
           "WRK_BODY": target.body, "WRK_THREADS": str(threads)}
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--latency", "--timeout", "10s", "-s", str(SCRIPT), target.url]
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=seconds + 60, check=True)
    return parse(done.stdout)


def parse(output: str) -> Load:
    """The Load in wrk's output (the JSON line request.lua's done() writes)."""
    line = next((line for line in output.splitlines() if line.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    figures = json.loads(line[len(MARKER):])
    return Load(generator="wrk", requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                p50_ms=figures["p50_us"] / 1000, p90_ms=figures["p90_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                socket_errors=sum(figures[k] for k in ("connect", "read", "write", "timeout")),
                non_2xx=figures["status"])  # wrk counts statuses above 399; we send no redirects
