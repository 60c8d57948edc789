"""gunicorn settings for lazyconfig: `lazyconfig serve` runs
`gunicorn -c python:lazyconfig.gunicorn_conf 'lazyconfig.wsgi:application()'`, and the
checkout's gunicorn.conf.py imports them for `gunicorn -c gunicorn.conf.py wsgi:app`.

Override any of them on the command line (`--bind 0.0.0.0:7000`, `--workers 4`) or with
GUNICORN_CMD_ARGS; LAZYCONFIG_WORKERS (or WEB_CONCURRENCY) sets the worker count.
"""
import sys

from lazyconfig.settings import InvalidSetting, Settings

try:
    SETTINGS = Settings.from_env()
except InvalidSetting as exc:
    sys.exit(f"lazyconfig: refusing to start: {exc}")  # one line, not gunicorn's traceback

bind = "127.0.0.1:7000"  # the spec's port; loopback unless told otherwise
# Each worker holds its own engine (memory, a watcher thread, a few database connections);
# Settings caps the default from the CPU count.
workers = SETTINGS.workers
# An asyncio worker (uvicorn's) reads every request on its event loop, so a slow or idle
# client holds a socket, not a thread; only a whole request gets one of the worker's
# `threads` to run the Flask app (lazyconfig/serving, docs/architecture.md). A change stream
# or a blocking query holds its thread while it waits (on an in-process condition, with no
# database connection), so the pool is large; idle threads are only made when needed. At
# most threads - RESERVED_THREADS of them wait at once (more get 503 + Retry-After), so
# ordinary requests always find a thread.
worker_class = "lazyconfig.serving.worker.LazyconfigWorker"
threads = 128
RESERVED_THREADS = 16
# The worker's heartbeat comes from its event loop, not from requests: a stream open for
# hours does not count against this.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Every worker builds its own engine after the fork: a preloaded one would share database
# connections across processes and lose its watcher thread in the children.
preload_app = False
# No gunicornc control socket: it lives at one path per user, which several servers on
# one host (or the test suite's) would fight over.
control_socket_disable = True
# No access log: the app writes one JSON line per request itself (lazyconfig.api.observe),
# with the user and request id gunicorn cannot see.
accesslog = None
errorlog = "-"


def on_starting(server):
    """Before any worker starts: refuse to run without a proper signing secret, and tell a
    new user how to get a token (an admin token on the embedded default). Also give the
    workers a shared metrics directory, before anything imports prometheus_client."""
    from lazyconfig import multiprocess_metrics
    multiprocess_metrics.prepare()
    from lazyconfig.cli import startup_notice
    from lazyconfig.errors import SecretError
    try:
        startup_notice(SETTINGS)
    except SecretError as exc:
        print(f"lazyconfig: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def child_exit(server, worker):
    """In the master, when a worker has gone: drop its live gauges from the metrics."""
    from lazyconfig import multiprocess_metrics
    multiprocess_metrics.worker_gone(worker.pid)


def on_exit(server):
    from lazyconfig import multiprocess_metrics
    multiprocess_metrics.cleanup()


def worker_exit(server, worker):
    """Stop the worker's engine (its watcher thread and database connections) on the way out."""
    from lazyconfig.service.bootstrap import close_configuration_engines
    close_configuration_engines()


def post_worker_init(worker):
    """Size the worker's change-stream limit from its thread pool (unless
    LAZYCONFIG_MAX_WAITING_CLIENTS is set), and end its streams as soon as it starts a
    graceful shutdown, so they do not hold it for graceful_timeout."""
    from lazyconfig.api.notifications.waiting import fit_to_threads
    feed = fit_to_threads(worker.flask_app, worker.cfg.threads, RESERVED_THREADS)
    # Clients reconnect, with Last-Event-ID, to a worker that is up.
    worker.before_shutdown.append(feed.close)
