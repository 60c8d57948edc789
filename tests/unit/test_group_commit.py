"""GroupCommit on its own: writes queued while the lock is held run as one group, a group is
at most MAX_GROUP long, and a failure of the group's runner never leaves a writer waiting."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lazyconfig.coherence.group_commit import MAX_GROUP, GroupCommit


def _wait_for_queue(commit: GroupCommit, length: int) -> None:
    deadline = time.monotonic() + 10
    while commit.waiting() < length:
        assert time.monotonic() < deadline, f"{commit.waiting()} of {length} writes queued"
        time.sleep(0.005)


def _submit_while_locked(commit: GroupCommit, lock: threading.RLock, count: int) -> list:
    """`count` writes from as many threads, submitted while `lock` is held, then let go."""
    with ThreadPoolExecutor(count) as pool:
        with lock:
            futures = [pool.submit(commit.submit, n) for n in range(count)]
            _wait_for_queue(commit, count)
        return [f.result(timeout=10) for f in futures]


def _runner(groups: list[list[int]], fail_with: BaseException | None = None):
    def run(group):
        groups.append([queued.operation for queued in group])
        if fail_with is not None:
            raise fail_with
        for queued in group:
            queued.succeed(queued.operation * 10, [queued.operation], None)
    return run


def test_a_lone_write_runs_alone():
    groups: list[list[int]] = []
    lock = threading.RLock()
    assert GroupCommit(lock, _runner(groups)).submit(7).outcome() == 70
    assert groups == [[7]]


def test_writes_queued_behind_the_lock_run_as_one_group_in_order():
    groups: list[list[int]] = []
    lock = threading.RLock()
    commit = GroupCommit(lock, _runner(groups))
    done = _submit_while_locked(commit, lock, 12)
    assert [d.outcome() for d in done] == [n * 10 for n in range(12)]
    assert len(groups) == 1 and sorted(groups[0]) == list(range(12))
    assert all(d.changes == [d.operation] for d in done)


def test_a_group_is_at_most_max_group_long():
    groups: list[list[int]] = []
    lock = threading.RLock()
    commit = GroupCommit(lock, _runner(groups))
    done = _submit_while_locked(commit, lock, MAX_GROUP + 5)
    assert sorted(d.outcome() for d in done) == [n * 10 for n in range(MAX_GROUP + 5)]
    assert [len(g) for g in groups] == [MAX_GROUP, 5]


def test_a_runner_that_raises_fails_every_unfinished_write_of_its_group():
    groups: list[list[int]] = []
    lock = threading.RLock()
    commit = GroupCommit(lock, _runner(groups, fail_with=RuntimeError("boom")))
    done = _submit_while_locked(commit, lock, 4)
    for queued in done:
        with pytest.raises(RuntimeError, match="boom"):
            queued.outcome()
    assert len(groups) == 1


def test_a_write_its_runner_leaves_unfinished_fails_instead_of_waiting_for_ever():
    lock = threading.RLock()
    commit = GroupCommit(lock, lambda group: None)  # marks nothing done
    with pytest.raises(RuntimeError, match="unfinished"):
        commit.submit(1).outcome()
