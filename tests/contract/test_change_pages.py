"""Pages of the change log are cut by the database: a history page far down the log, a
notifications page and a replay page each read no more rows than they return (issue 15,
finding 4). The page contract runs on the fake and the real repositories; the row count is
measured on the real ones, at the database driver's cursor."""
from __future__ import annotations

import pytest

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
