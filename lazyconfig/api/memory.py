"""Hand memory back to the operating system after a large response.

A rollback or import of 10,000 keys builds tens of megabytes of short-lived objects (rows,
changes, a diff, the JSON answer). Python keeps the freed memory for reuse, so a worker's
resident size stayed at the high-water mark of its largest request (bench scenario 5). Once such a response has been sent, a full
collection and glibc's malloc_trim return most of it; ordinary responses skip this.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc

from flask import Flask, Response

LARGE_RESPONSE = 1 << 20  # bytes of response body from which memory is handed back


def _malloc_trim():
    # glibc only; elsewhere the collection alone still frees what is in cycles.
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None


_TRIM = _malloc_trim()


def init_app(app: Flask) -> None:
    app.after_request(_release_after_large)


def _release_after_large(response: Response) -> Response:
    if (response.content_length or 0) >= LARGE_RESPONSE:
        response.call_on_close(release_memory)  # after the body is sent, not before
    return response


def release_memory() -> None:
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
