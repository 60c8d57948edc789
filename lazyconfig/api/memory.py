"""Hand memory back to the operating system after any request that grew the worker.

A request that builds many short-lived objects (a rollback of 10,000 keys, a page of large
values, an export) leaves its freed memory in the allocator for reuse, so a worker's
resident size stayed at the high-water mark of its largest request. Two things bring it
back (docs/architecture.md, "Worker model"; the figures are in bench/HISTORY.md, entry 8):

- at start, glibc's threshold for serving an allocation from its own mapping is fixed
  (mallopt), so a large block (a value, a response body) is unmapped when freed instead of
  staying in a heap that only grows;
- after each response, the worker reads its resident size (/proc/self/statm, a few
  microseconds); when it is GROWTH above the size left by the last hand-back, a full
  collection and malloc_trim return what the request freed. Other responses pay nothing more.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import threading

from flask import Flask, Response, g

GROWTH = 16 << 20  # resident bytes gained since the last hand-back that start the next one
MMAP_THRESHOLD = 128 << 10  # glibc's default start, kept: larger blocks get mappings of their own
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _libc():
    # glibc only; elsewhere the collection alone still frees what is in cycles.
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


_LIBC = _libc()
_TRIM = getattr(_LIBC, "malloc_trim", None)
_MALLOPT = getattr(_LIBC, "mallopt", None)


_statm: tuple[int, int] | None = None  # (pid, an open /proc/self/statm of that process)


def resident() -> int:
    """This process's resident size in bytes: one read of a file kept open (a few
    microseconds, a fifth of opening it each time), opened again in a forked child."""
    global _statm
    if _statm is None or _statm[0] != os.getpid():
        _statm = (os.getpid(), os.open("/proc/self/statm", os.O_RDONLY))
    return int(os.pread(_statm[1], 128, 0).split()[1]) * _PAGE


class Release:
    """Hands memory back once resident size has grown GROWTH past where the last hand-back
    left it, and again when the worker next has no request in flight if that one ran while
    others still held memory; one thread at a time, the others go on. Change streams stop
    counting as in flight once answered: they wait for hours, holding little."""

    def __init__(self, growth: int = GROWTH):
        self.growth = growth
        self.floor = resident()
        self.in_flight = 0
        self.pending = False  # the last hand-back ran while other requests were in flight
        self._count, self._busy = threading.Lock(), threading.Lock()

    def started(self) -> None:
        with self._count:
            self.in_flight += 1

    def finished(self) -> None:
        with self._count:
            self.in_flight -= 1

    def after_response(self) -> None:
        size = resident()
        self.floor = min(self.floor, size)  # others' memory may have gone back meanwhile
        if size - self.floor < self.growth and not (self.pending and self.in_flight == 0):
            return
        if not self._busy.acquire(blocking=False):
            self.pending = True  # the thread handing back now may have started before us
            return
        try:
            while True:
                self.pending = False
                release_memory()
                self.floor = resident()
                if self.in_flight:  # they hold memory yet: the last of them hands it back
                    self.pending = True
                if self.in_flight or not self.pending:
                    return
        finally:
            self._busy.release()


def tune_malloc() -> None:
    """Fix glibc's mmap threshold: left to itself it rises to the largest block freed (up to
    32 MiB), after which large blocks come from the heap and stay resident once freed."""
    if _MALLOPT is not None:
        _MALLOPT(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def init_app(app: Flask) -> None:
    tune_malloc()
    release = Release()

    @app.before_request
    def _started() -> None:
        g.memory_counted = True
        release.started()

    @app.after_request
    def _after(response: Response) -> Response:
        counted = g.pop("memory_counted", False)
        if counted and response.mimetype == "text/event-stream":
            release.finished()  # a stream waits; it no longer counts as in flight
            counted = False

        def closed() -> None:  # after the body is sent, not before
            if counted:
                release.finished()
            release.after_response()
        response.call_on_close(closed)
        return response


def release_memory() -> None:
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
