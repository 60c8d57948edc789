#!/usr/bin/env bash
# Install lazyconfig, build or upgrade the embedded database, and serve the REST API with
# gunicorn on port 7000. Without LAZYCONFIG_JWT_SECRET (embedded SQLite only) the server
# generates a secret in ./instance and prints an admin token to use as YOUR_TOKEN.
# Extra arguments go to gunicorn, e.g. `scripts/serve.sh --bind 0.0.0.0:7000`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
.venv/bin/alembic upgrade head
echo "lazyconfig: more tokens with: .venv/bin/lazyconfig token create --user NAME --role viewer|editor|admin"
exec .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app "$@"
