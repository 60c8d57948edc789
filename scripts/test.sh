#!/usr/bin/env bash
# Install lazyconfig with its test dependencies into .venv and run the whole suite.
# Set LAZYCONFIG_TEST_DATABASE_URL to run it on PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The console's browser tests drive Debian's chromium (tests/console); Playwright's own
# browser downloads are never used. Without apt-get they skip, except in CI, where they fail.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
