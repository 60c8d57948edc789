"""A stream's replay of what its client missed reads those changes from the change log and
no more: the changes made after the stream opened are the feed's to deliver, and reading
them too would load rows the replay throws away (issue 15, finding 4). Rows are counted at
the database driver's cursor."""
from __future__ import annotations

import pytest

from lazyconfig import bootstrap, create_app
from lazyconfig.db.unit_of_work import SqlStorage
from lazyconfig.settings import Settings
from tests.support.fetched_rows import Fetched

from .conftest import SECRET
from .test_waiting_api import KEY, Stream

MISSED = 2  # changes made before the stream opened, after its Last-Event-ID
LATER = 20  # changes made after it opened, before it replays


@pytest.fixture
def counted(database_url, engine_env):
    """(engine, Flask test client, Fetched): the app on a storage whose rows are counted,
    with no watcher (its polls would count too)."""
    fetched = Fetched(database_url)
    engine = bootstrap(Settings.from_env(engine_env), env=engine_env, watch=False,
                       storage=SqlStorage(fetched.database))
    app = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                      "TESTING": True})
    yield engine, app.test_client(), fetched
    engine.close()
    fetched.database.dispose()


def test_a_replay_reads_only_the_changes_it_missed(counted, as_role):
    engine, client, fetched = counted
    for n in range(1 + MISSED):
        engine.set(KEY, float(n + 1))
    stream = Stream(client, {**as_role("viewer"), "Last-Event-ID": "1"})
    try:
        for n in range(LATER):
            engine.set(KEY, 100.0 + n)
        fetched.rows = 0
        assert [stream.event()["revision"] for _ in range(MISSED)] == [2, 3]
        assert fetched.rows == MISSED
    finally:
        stream.close()
