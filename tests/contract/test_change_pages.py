"""Pages of the change log are cut by the database: a history page far down the log, a
notifications page and a replay page each read no more rows than they return (issue 15,
finding 4). The page contract runs on the fake and the real repositories; the row count is
measured on the real ones, at the database driver's cursor."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from lazyconfig.db import migrate
from lazyconfig.db.connection import LARGE_ROW, make_engine
from lazyconfig.db.unit_of_work import SqlStorage
from tests.support.fetched_rows import Fetched

from test_storage_contract import RULE, row, seeded, storage  # noqa: F401  (a fixture)

OTHER = "other_key"
LOG = 300  # changes in the log: 200 of RULE.key, 100 of OTHER, interleaved


def written(storage) -> None:
    seeded(storage)
    rows = [row(OTHER if n % 3 == 2 else RULE.key, n, n + 1) for n in range(LOG)]
    with storage.writing() as uow:
        uow.changes.append_many(rows)
        uow.commit()


def revisions(changes) -> list[int]:
    return [c.revision for c in changes]


def test_a_history_page_is_the_right_slice_newest_first(storage):
    written(storage)
    mine = [n + 1 for n in range(LOG) if n % 3 != 2]  # RULE.key's revisions, oldest first
    with storage.reading() as uow:
        assert revisions(uow.changes.newest_first(5)) == [300, 299, 298, 297, 296]
        page = uow.changes.newest_first(4, offset=150, key=RULE.key)
        assert revisions(page) == mine[::-1][150:154]
        assert uow.changes.newest_first(10, offset=195, key=RULE.key)[-1].revision == mine[0]
        assert uow.changes.newest_first(10, offset=LOG, key=RULE.key) == []
        assert revisions(uow.changes.latest(3, key=OTHER)) == [294, 297, 300]
        assert revisions(uow.changes.latest(2, since=295, key=RULE.key)) == [296, 298]


@pytest.fixture
def counted(database_url):
    """(SqlStorage, Fetched): a real storage whose every fetched row is counted."""
    fetched = Fetched(database_url)
    yield SqlStorage(fetched.database), fetched
    fetched.database.dispose()


def rows_read(counted, read) -> tuple[list, int]:
    storage, fetched = counted
    with storage.reading() as uow:
        fetched.rows = 0
        found = read(uow.changes)
        return found, fetched.rows


def test_a_history_page_far_down_the_log_reads_only_its_rows(counted):
    written(counted[0])
    page, read = rows_read(counted, lambda log: log.newest_first(10, offset=180, key=RULE.key))
    assert len(page) == 10 and read == 10
    total, read = rows_read(counted, lambda log: log.count(RULE.key))
    assert total == 200 and read == 1


def test_notification_and_replay_pages_read_only_their_rows(counted):
    written(counted[0])
    newest, read = rows_read(counted, lambda log: log.latest(7))
    assert revisions(newest) == list(range(294, 301)) and read == 7
    after, read = rows_read(counted, lambda log: log.latest(5, since=10, key=OTHER))
    assert revisions(after) == [12, 15, 18, 21, 24] and read == 5


def large_changes(storage, count: int = 6) -> None:
    """`count` changes whose values weigh 2,004 bytes each as JSON text (1,002 + 1,002)."""
    seeded(storage)
    with storage.writing() as uow:
        uow.changes.append_many([row(RULE.key, "a" * 1000, "b" * 1000) for _ in range(count)])
        uow.commit()


def test_a_page_stops_at_its_bytes_as_well_as_its_rows(storage):
    large_changes(storage)
    with storage.reading() as uow:
        log = uow.changes
        # Rows are kept while the page weighs less than max_bytes before them: 0, 2,004 and
        # 4,008 bytes, then 6,012 stops it.
        assert revisions(log.since(0, max_bytes=5000)) == [1, 2, 3]
        assert revisions(log.since(3, limit=2, max_bytes=10 ** 9)) == [4, 5]
        assert revisions(log.latest(10, max_bytes=4000)) == [5, 6]  # the newest that fit
        assert revisions(log.newest_first(10, offset=1, max_bytes=1)) == [5]  # at least one
        assert revisions(log.latest(10, since=4, key=RULE.key, max_bytes=1)) == [5]
        assert log.since(6, max_bytes=1) == []


def test_a_page_of_large_values_reads_only_the_rows_it_keeps(counted):
    large_changes(counted[0])
    page, read = rows_read(counted, lambda log: log.since(0, max_bytes=5000))
    assert revisions(page) == [1, 2, 3] and read == 3
    page, read = rows_read(counted, lambda log: log.newest_first(5, offset=2, max_bytes=3000))
    assert revisions(page) == [4, 3] and read == 2


def test_on_postgresql_a_connection_that_read_a_large_row_is_not_kept(database_url):
    """libpq keeps a connection's input buffer as large as the largest row it read: such a
    connection is closed when it goes back to the pool, others are kept."""
    if not database_url.startswith("postgresql"):
        pytest.skip("libpq's buffers: PostgreSQL only")
    database = make_engine(database_url)
    migrate.run(database)
    connects = []
    event.listen(database, "connect", lambda *_: connects.append(True))
    storage = SqlStorage(database)
    try:
        seeded(storage)
        with storage.writing() as uow:
            uow.changes.append_many([row(RULE.key, 1, 2), row(RULE.key, 2, "x" * LARGE_ROW)])
            uow.commit()
        for _ in range(2):
            with storage.reading() as uow:
                assert revisions(uow.changes.latest(1, since=0)) == [1]
        before = len(connects)
        for _ in range(2):
            with storage.reading() as uow:
                assert revisions(uow.changes.latest(1)) == [2]
        assert len(connects) == before + 1  # the second read needed a new connection
    finally:
        database.dispose()
