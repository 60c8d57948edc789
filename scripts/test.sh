#!/usr/bin/env bash
# Install lazyconfig with its test dependencies into .venv and run the whole suite.
# Set LAZYCONFIG_TEST_DATABASE_URL to run it on PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest "$@"
