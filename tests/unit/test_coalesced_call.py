"""Threads that ask at once share a call, but none gets an answer from a call that began
before it asked."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lazyconfig.coherence.coalesced import CoalescedCall


class Counter:
    """Returns how many times it was called; each call can be held until released."""

    def __init__(self):
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> int:
        self.calls += 1
        number = self.calls
        self.entered.set()
        assert self.release.wait(10)
        return number


def test_calls_one_after_another_each_run():
    counter = Counter()
    shared = CoalescedCall(counter)
    assert [shared(), shared(), shared()] == [1, 2, 3]


def test_callers_arriving_during_a_call_share_the_next_one_not_that_one():
    counter = Counter()
    counter.release.clear()
    shared = CoalescedCall(counter)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(shared)
        assert counter.entered.wait(5)  # call 1 has begun
        late = [pool.submit(shared) for _ in range(5)]
        time.sleep(0.2)  # let them all queue behind call 1
        assert counter.calls == 1
        counter.release.set()
        assert first.result(5) == 1
        assert [f.result(5) for f in late] == [2] * 5  # one more call, shared by all five
    assert counter.calls == 2


def test_a_failure_reaches_every_caller_that_shared_the_call():
    entered, release = threading.Event(), threading.Event()
    failures = iter([True, True])

    def failing() -> int:
        entered.set()
        release.wait(10)
        if next(failures, False):
            raise ConnectionError("database gone")
        return 7
    shared = CoalescedCall(failing)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(shared)
        assert entered.wait(5)
        late = [pool.submit(shared) for _ in range(3)]
        time.sleep(0.2)
        release.set()
        with pytest.raises(ConnectionError):
            first.result(5)
        for future in late:
            with pytest.raises(ConnectionError):
                future.result(5)
    assert shared() == 7  # and the next call tries again
