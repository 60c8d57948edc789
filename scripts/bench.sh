#!/usr/bin/env bash
# Install lazyconfig (with the bench extra) into .venv and run the benchmark that
# bench/README.md describes. Arguments go to `python -m bench`:
#   [--quick] [--db sqlite|postgresql|both] [--only 1,2,...] [--pg-url URL] [--out PATH]
# Full results go to bench/results.json; --quick writes to a temporary file instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
command -v wrk >/dev/null \
  || echo "bench: wrk is not installed; the Python client measures throughput instead" >&2
command -v etcd >/dev/null || echo "bench: etcd is not installed; no etcd baselines" >&2
exec .venv/bin/python -m bench "$@"
