"""Write ceiling: the service's PUT of one value reduced to its essential work, the token
check and one transaction that updates the key's row and appends a change row, on the same
kind of database with the service's connection settings (SQLite in WAL mode with immediate
write transactions, or PostgreSQL with the same pool). `gunicorn
bench.baselines.write_app:app` with LAZYCONFIG_DATABASE_URL, after `write_store.prepare`."""
from __future__ import annotations

import json
import os
import threading

from flask import request

from lazyconfig.db.connection import WRITE_OPTION, make_engine

from . import write_store
from .jwt_app import PREFIX, authorize, create_app

app = create_app()
db = make_engine(os.environ["LAZYCONFIG_DATABASE_URL"])  # connects on first use, per worker
# A worker's threads write one at a time, as the service's do (its engine lock): otherwise
# on SQLite dozens of threads poll the write lock with growing sleeps, and the "ceiling"
# would measure SQLite's busy handler.
writer = threading.Lock()


@app.put(f"{PREFIX}/values/<string:key>")
def put_value(key: str):
    user = authorize("editor")
    value = json.dumps(request.get_json()["value"])
    with writer, db.connect().execution_options(**{WRITE_OPTION: True}) as conn, \
            conn.begin():
        write_store.write(conn, key, value, user)
    return {"key": key, "value": json.loads(value)}
