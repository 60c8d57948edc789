"""gunicorn entry point: `lazyconfig serve` runs `lazyconfig.wsgi:application()`, and the
checkout's `wsgi.py` calls `application()` for `gunicorn -c gunicorn.conf.py wsgi:app`."""
import gc
import os
import socket
import logging
import time

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from lazyconfig import create_app
from lazyconfig.api.context import EXTENSION
from lazyconfig.errors import StorageUnavailable
from lazyconfig.logs import configure
from lazyconfig.settings import Settings

log = logging.getLogger("lazyconfig.wsgi")
RETRY_LIMIT = 10.0  # seconds between attempts, at most


def app_once_the_database_answers():
    """The app, once its engine could load from the database. A worker started during an
    outage (to replace one that died) waits for the database instead of failing to boot:
    gunicorn stops the whole server, healthy workers too, when a worker fails to boot."""
    delay = 0.5
    while True:
        try:
            return create_app()
        except (StorageUnavailable, DBAPIError, PoolTimeout) as exc:
            log.warning("worker start: the database is unavailable (%s); trying again in "
                        "%.1f s", str(exc).splitlines()[0], delay)
            time.sleep(delay)
            delay = min(delay * 2, RETRY_LIMIT)


def application():
    """One worker's WSGI app: logging configured, the app built once the database answers.
    A factory, so importing this module builds nothing."""
    # The server's logs go to stderr as JSON lines (LAZYCONFIG_LOG_FORMAT=text for plain
    # text): one per request, one per configuration change, and errors with their request ids.
    configure(Settings.from_env())
    app = app_once_the_database_answers()
    # Every worker runs a scheduler of change requests; the database lets one apply each.
    app.extensions[EXTENSION].start_scheduler(
        f"scheduler@{socket.gethostname()}:{os.getpid()}")
    # What the worker has built so far (the app, its libraries, the loaded configuration)
    # lives as long as the worker: keep it out of the collector's full passes. A full
    # collection over it was a pause for every request of the worker.
    gc.freeze()
    return app
