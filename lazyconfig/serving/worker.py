"""The gunicorn worker `lazyconfig serve` runs: uvicorn's, serving the Flask app through
WsgiOnThreads behind Streams (watchers on the loop), WholeRequests and GuardedHttpProtocol;
WebSockets on uvicorn's websockets (sans-I/O) protocol.

gunicorn still loads the WSGI app (`lazyconfig.wsgi:application()`); the worker wraps it,
so the app, its factory and every WSGI test stay as they are.
"""
from __future__ import annotations

import logging
import resource
from typing import Any, Callable

from gunicorn.arbiter import Arbiter
from uvicorn import Server
from uvicorn_worker import UvicornWorker

from ..settings import Settings
from .protocol import GuardedHttpProtocol
from .threads import WsgiOnThreads


class LazyconfigWorker(UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {"loop": "asyncio", "lifespan": "off", "access_log": False,
                                     "ws": "websockets-sansio", "ws_max_size": 64 * 1024}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.settings = Settings.from_env()
        guarded = type("Guarded", (GuardedHttpProtocol,),
                       {"header_timeout": self.settings.header_timeout})
        self.CONFIG_KWARGS = {**self.CONFIG_KWARGS, "http": guarded}
        super().__init__(*args, **kwargs)
        self.config.timeout_graceful_shutdown = self.cfg.graceful_timeout
        self.before_shutdown: list[Callable[[], None]] = []
        self.flask_app: Any = None

    def init_process(self) -> None:
        _raise_file_limit()
        # websockets logs "connection open" for every WebSocket; uvicorn's line says as much.
        logging.getLogger("websockets.server").setLevel(logging.WARNING)
        super().init_process()

    def load_wsgi(self) -> None:
        # After the fork, like everything that imports the api package (see protocol.py).
        from ..api.metrics import EXTENSION as METRICS
        from .streams import Streams
        from .whole_requests import WholeRequests
        super().load_wsgi()
        self.flask_app = self.wsgi
        threads = WsgiOnThreads(self.flask_app, self.cfg.threads)
        front = threads
        if METRICS in getattr(self.flask_app, "extensions", {}):  # ours, not a bench baseline
            front = self.streams = Streams(threads, threads.pool, self.flask_app,
                                           _max_watchers(self.settings))
            # Watchers end first at shutdown: they resume on a worker that is up.
            self.before_shutdown.append(self.streams.close)
        self.wsgi = WholeRequests(front, self.settings.max_body_bytes,
                                  self.settings.body_timeout)

    async def _serve(self) -> None:
        # uvicorn_worker's _serve, with a Server that ends waiting requests first.
        self.config.app = self.wsgi
        server = _Server(self.config, self.before_shutdown)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            raise SystemExit(Arbiter.WORKER_BOOT_ERROR)


class _Server(Server):
    """Before waiting for open requests to finish, end the streams and blocking queries
    (their clients reconnect, with Last-Event-ID, to a worker that is up)."""

    def __init__(self, config: Any, before_shutdown: list[Callable[[], None]]):
        super().__init__(config=config)
        self.before_shutdown = before_shutdown

    async def shutdown(self, sockets: Any = None) -> None:
        for step in self.before_shutdown:
            step()
        await super().shutdown(sockets=sockets)


def _raise_file_limit() -> None:
    """Idle connections cost a descriptor each: allow as many as the host lets us."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _max_watchers(settings: Settings) -> int:
    """LAZYCONFIG_MAX_WATCHERS, or LAZYCONFIG_MAX_WAITING_CLIENTS when that is set and lower."""
    if settings.max_waiting_clients is None:
        return settings.max_watchers
    return min(settings.max_watchers, settings.max_waiting_clients)
