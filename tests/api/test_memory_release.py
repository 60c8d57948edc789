"""A worker hands memory back (a full collection and malloc_trim) after any response that
left it GROWTH larger than its last hand-back did, and again once it has no request in
flight if that hand-back ran beside others; responses that grew nothing pay one read of
/proc/self/statm (issue 15, finding 4; the served scenario is tests/reliability/
test_memory_scenario.py)."""
from __future__ import annotations

import platform

import pytest

from lazyconfig.api import memory

from .conftest import PREFIX

MIB = 1 << 20


class Sizes:
    """A scripted resident size, and the hand-backs, which bring it down to `after`."""

    def __init__(self, monkeypatch, size: int):
        self.size, self.after, self.released = size, size, 0
        monkeypatch.setattr(memory, "resident", lambda: self.size)
        monkeypatch.setattr(memory, "release_memory", self._release)

    def _release(self) -> None:
        self.released += 1
        self.size = self.after


@pytest.fixture
def sizes(monkeypatch):
    return Sizes(monkeypatch, 100 * MIB)


def test_only_a_response_that_grew_the_worker_hands_memory_back(sizes):
    release = memory.Release(growth=16 * MIB)
    sizes.size = 110 * MIB
    release.after_response()
    assert sizes.released == 0
    sizes.size = 117 * MIB  # 17 MiB above the last hand-back
    release.after_response()
    assert sizes.released == 1 and release.floor == 100 * MIB
    sizes.size = sizes.after = 140 * MIB  # memory that stays (the state grew)
    release.after_response()
    sizes.size = 150 * MIB
    release.after_response()  # measured from where the last hand-back left it: not yet
    assert sizes.released == 2 and release.floor == 140 * MIB


def test_a_hand_back_beside_other_requests_runs_again_when_the_worker_is_idle(sizes):
    release = memory.Release(growth=16 * MIB)
    release.started(), release.started()
    sizes.size, sizes.after = 200 * MIB, 150 * MIB  # the other request still holds 50
    release.finished()
    release.after_response()
    assert sizes.released == 1 and release.pending
    sizes.after = 100 * MIB
    release.finished()  # the last one ends: its memory was freed but not handed back
    release.after_response()
    assert sizes.released == 2 and not release.pending and release.floor == 100 * MIB
    release.after_response()
    assert sizes.released == 2


def test_memory_is_handed_back_after_the_body_is_sent(client, viewer, sizes):
    small = client.get(f"{PREFIX}/values/load_timeout", headers=viewer)
    small.close()
    assert sizes.released == 0
    large = client.get(f"{PREFIX}/values", headers=viewer)
    sizes.size += memory.GROWTH
    assert sizes.released == 0  # not while the body is still being sent
    large.close()
    assert sizes.released == 1


def test_malloc_trim_and_mallopt_are_found_on_glibc():
    if platform.libc_ver()[0] == "glibc":
        assert memory._TRIM is not None and memory._MALLOPT is not None
    memory.tune_malloc()
    memory.release_memory()
    assert memory.resident() > 0
