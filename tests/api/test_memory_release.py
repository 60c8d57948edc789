"""After a large response has been sent, the worker hands memory back (a full collection
and malloc_trim); ordinary responses do not pay for that."""
from __future__ import annotations

import platform

from lazyconfig.api import memory

from .conftest import PREFIX


def test_memory_is_released_after_a_large_response_is_sent(client, viewer, monkeypatch):
    released = []
    monkeypatch.setattr(memory, "release_memory", lambda: released.append(True))
    monkeypatch.setattr(memory, "LARGE_RESPONSE", 2000)

    small = client.get(f"{PREFIX}/values/load_timeout", headers=viewer)
    assert small.status_code == 200 and len(small.data) < 2000
    small.close()
    assert released == []

    large = client.get(f"{PREFIX}/values", headers=viewer)
    assert large.status_code == 200 and len(large.data) >= 2000
    assert released == []  # not while the body is still being sent
    large.close()
    assert released == [True]


def test_malloc_trim_is_found_on_glibc():
    if platform.libc_ver()[0] == "glibc":
        assert memory._TRIM is not None
    memory.release_memory()
