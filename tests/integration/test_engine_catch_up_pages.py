"""An engine far behind the change log catches up a page at a time (issue 15, finding 4):
whether it refreshes or a write of its own catches it up under the lock, every change
reaches its subscribers once and in order, and it ends on the same values as the writer."""
from __future__ import annotations

KEY = "max_concurrent_loads"
BEHIND = 11  # changes the follower has not read, with pages of 3: four pages, one short


def follower_behind(make_engine):
    """(writer, follower, revisions the follower's subscriber got): the follower reads the
    log 3 changes at a time and is BEHIND changes behind the writer."""
    writer = make_engine(watch=False)
    follower = make_engine(watch=False)
    follower.replica.page_rows = 3
    got: list[int] = []
    follower.subscribe(lambda change: got.append(change.revision))
    for n in range(BEHIND):
        assert writer.set(KEY, 10 + n, strict=True)
    return writer, follower, got


def test_a_refresh_far_behind_reads_page_after_page(make_engine):
    writer, follower, got = follower_behind(make_engine)
    start = follower.revision
    assert follower.refresh() == writer.revision
    assert got == list(range(start + 1, writer.revision + 1))
    assert follower.get(KEY) == writer.get(KEY) == 10 + BEHIND - 1


def test_a_write_far_behind_catches_up_page_after_page_under_the_lock(make_engine):
    writer, follower, got = follower_behind(make_engine)
    start = follower.revision
    assert follower.set(KEY, 99, strict=True)
    assert got == list(range(start + 1, writer.revision + 2))
    assert follower.get(KEY) == 99 and writer.refresh() == follower.revision
