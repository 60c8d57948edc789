"""One contract for storage: the in-memory fakes and the SQLAlchemy repositories (on SQLite
or PostgreSQL, whichever the suite runs on) must answer every call alike."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from fakes import FakeStorage
from lazyconfig.db import migrate
from lazyconfig.db.connection import make_engine
from lazyconfig.db.unit_of_work import SqlStorage
from lazyconfig.domain import BUILTIN_RULES
from lazyconfig.domain.past import KeyTrail
from lazyconfig.errors import ChangeLogCompacted

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
RULE = next(r for r in BUILTIN_RULES if r.key == "max_concurrent_loads")


@pytest.fixture(params=["fake", "sql"])
def storage(request, database_url):
    if request.param == "fake":
        yield FakeStorage()
        return
    database = make_engine(database_url)
    migrate.run(database)
    yield SqlStorage(database)
    database.dispose()


def row(key, old, new, action="set", actor="ann"):
    return {"at": AT, "key": key, "old_value": old, "new_value": new, "source": "runtime",
            "action": action, "actor": actor, "description": None, "batch_id": None,
            "request_id": None}


def seeded(storage):
    with storage.writing() as uow:
        uow.rules.put(RULE.to_record(), AT, "system")
        uow.commit()


def test_rules_come_back_as_rules(storage):
    seeded(storage)
    with storage.reading() as uow:
        assert uow.rules.keys() == {RULE.key}
        (stored,) = uow.rules.for_keys([RULE.key])
        assert stored.to_record() == RULE.to_record() and uow.rules.all() == [stored]


def test_changes_get_revisions_in_order_and_answer_queries(storage):
    seeded(storage)
    with storage.writing() as uow:
        first = uow.changes.append_many([row(RULE.key, 4, 5), row(RULE.key, 5, 6, actor="bob")])
        uow.commit()
    assert [c.revision for c in first] == [1, 2] and first[1].user == "bob"
    with storage.reading() as uow:
        assert uow.changes.head() == 2 and uow.changes.count() == 2
        assert uow.changes.since(1) == [first[1]]
        assert uow.changes.latest(1) == [first[1]]
        assert uow.changes.latest(5, since=0, key=RULE.key) == first
        assert uow.changes.value_at(RULE.key, 1) == (True, 5)
        assert uow.changes.value_at(RULE.key, 0) == (True, 4)
        assert uow.changes.value_at("other", 1) == (False, None)
        meta = uow.changes.last_per_key()[RULE.key]
        assert (meta.version, meta.updated_by) == (2, "bob")


def test_values_are_layers_and_uncommitted_work_is_dropped(storage):
    seeded(storage)
    value = {"key": RULE.key, "source": "runtime", "value": 7, "revision": 1, "updated_at": AT,
             "updated_by": "ann", "description": None}
    with storage.writing() as uow:
        uow.values.put_many([value, {**value, "source": "service", "value": 3}])
        assert uow.values.written_layers({}, [RULE.key]) == {RULE.key: {"runtime": 7, "service": 3}}
        uow.commit()
    with storage.writing() as uow:
        uow.values.delete_many([(RULE.key, "service")])
        assert uow.values.layers([RULE.key]) == {RULE.key: {"runtime": 7}}
        # not committed
    with storage.reading() as uow:
        assert uow.values.layers() == {RULE.key: {"runtime": 7, "service": 3}}


def test_snapshots_keep_their_data_and_list_newest_first(storage):
    seeded(storage)
    with storage.writing() as uow:
        old = uow.snapshots.add(description="old", tags=["a"], pinned=True,
                                created_at=AT - timedelta(days=9), created_by="ann",
                                revision=0, data={RULE.key: {"runtime": 5}})
        new = uow.snapshots.add(description="new", tags=[], pinned=False, created_at=AT,
                                created_by="bob", revision=3, data={})
        uow.commit()
    with storage.reading() as uow:
        infos, total = uow.snapshots.page(10)
        assert [i.id for i in infos] == [new.id, old.id] and total == 2
        assert infos[1] == old and old.key_count == 1 and old.tags == ("a",)
        assert uow.snapshots.get(old.id).data == {RULE.key: {"runtime": 5}}
        assert uow.snapshots.retention_listing() == [(new.id, False, AT),
                                                    (old.id, True, AT - timedelta(days=9))]
        assert uow.snapshots.get(new.id + 100) is None
        assert uow.snapshots.exists(old.id) and not uow.snapshots.exists(new.id + 100)
    with storage.writing() as uow:
        assert uow.snapshots.set_pinned(new.id, True) == (replace(new, pinned=True), True)
        assert uow.snapshots.set_pinned(new.id, True)[1] is False  # already pinned
        assert uow.snapshots.set_pinned(new.id + 100, True) is None
        assert uow.snapshots.delete_many([old.id, new.id + 100]) == 1
        uow.commit()
    with storage.reading() as uow:
        assert uow.snapshots.page(10)[1] == 1


def test_hosts_say_who_is_alive_and_writes(storage):
    with storage.writing() as uow:
        now, before = uow.hosts.enlist("a", writes=True)
        assert before is None and uow.hosts.newest_other("a") is None
        uow.hosts.enlist("b", writes=False)
        assert uow.hosts.newest_other("a") is not None
        _, seen_writing = uow.hosts.enlist("a", writes=False)
        assert seen_writing is not None  # a writer stays one
        uow.hosts.forget(seen_before=now + 3600)
        assert uow.hosts.newest_other("b") is None
        uow.commit()


def test_compaction_folds_each_keys_last_change_into_the_checkpoint(storage):
    seeded(storage)
    with storage.writing() as uow:
        uow.changes.append_many([row(RULE.key, 4, 5), row("other", None, 1),
                                 row(RULE.key, 5, 6, actor="bob"), row(RULE.key, 6, 7)])
        uow.commit()
    with storage.writing() as uow:
        assert uow.compactions.through() == 0 and uow.compactions.checkpoint() == {}
        assert (uow.compactions.nth_after(0, 2), uow.compactions.nth_after(3, 2)) == (2, None)
        assert uow.compactions.first_at_or_after(1, 4, AT) == 2
        assert uow.compactions.first_at_or_after(0, 4, AT + timedelta(days=1)) is None
        assert uow.compactions.compact(3, AT, "ops") == 3
        uow.commit()
    with storage.reading() as uow:
        assert uow.compactions.through() == 3 and uow.changes.head() == 4
        assert [c.revision for c in uow.changes.since(0)] == [4]
        assert uow.changes.value_at(RULE.key, 3) == (True, 6)
        assert uow.changes.value_at("other", 4) == (True, 1)
        with pytest.raises(ChangeLogCompacted) as refused:
            uow.changes.value_at(RULE.key, 2)
        assert refused.value.first_kept_revision == 3
        meta = uow.changes.last_per_key()
        assert (meta["other"].version, meta[RULE.key].version) == (2, 4)
        assert meta["other"].updated_by == "ann"
        checkpoint = uow.compactions.checkpoint()
        assert checkpoint[RULE.key][1] == 6 and checkpoint[RULE.key][0].updated_by == "bob"
        assert [(r["through"], r["user"], r["removed"])
                for r in uow.compactions.records()] == [(3, "ops", 3)]


def test_templates_are_stored_replaced_and_deleted(storage):
    record = {"name": "small", "description": "d", "version": 1, "author": "ann",
              "params": {"n": {"type": "int", "default": 1, "description": None, "min": None,
                               "max": None}},
              "values": {RULE.key: 2}, "derived": {}}
    with storage.writing() as uow:
        uow.templates.put(record, AT)
        uow.templates.put({**record, "name": "big"}, AT)
        uow.commit()
    later = AT + timedelta(hours=1)
    with storage.writing() as uow:
        uow.templates.put({**record, "version": 2, "author": "bob"}, later)
        assert uow.templates.delete("big") and not uow.templates.delete("none")
        uow.commit()
    with storage.reading() as uow:
        found = uow.templates.get("small")
        assert [r["name"] for r in uow.templates.all()] == ["small"]
    assert {k: found[k] for k in record} == {**record, "version": 2, "author": "bob"}
    assert (found["created_at"], found["updated_at"]) == (AT, later)


def test_migration_steps_rules_and_snapshot_data_for_config_migrations(storage):
    seeded(storage)
    with storage.writing() as uow:
        info = uow.snapshots.add(description=None, tags=[], pinned=False, created_at=AT,
                                 created_by="ann", revision=0, data={RULE.key: {"runtime": 3}})
        uow.values.put_many([{"key": RULE.key, "source": "runtime", "value": 3, "revision": 1,
                              "updated_at": AT, "updated_by": "ann", "description": None}])
        uow.commit()
    with storage.writing() as uow:
        uow.snapshots.replace_data(info.id, {"a": {"runtime": 1}, "b": {"service": 2}})
        uow.rules.delete([RULE.key])
        uow.key_migrations.record("step-1", "first", AT, "ann", 7)
        uow.commit()
    with storage.reading() as uow:
        snapshot = uow.snapshots.get(info.id)
        assert snapshot.data == {"a": {"runtime": 1}, "b": {"service": 2}}
        assert snapshot.info.key_count == 2
        assert uow.rules.keys() == set() and uow.values.layers() == {}
        assert uow.key_migrations.applied() == {"step-1"}


def test_trails_at_a_revision_and_the_revision_at_a_time(storage):
    other = next(r for r in BUILTIN_RULES if r.key == "load_timeout")
    hour = timedelta(hours=1)
    with storage.writing() as uow:
        for rule in (RULE, other):
            uow.rules.put(rule.to_record(), AT, "system")
        uow.changes.append_many([row(RULE.key, 4, 5), {**row(RULE.key, 5, 6, actor="bob"),
                                                       "at": AT + hour},
                                 {**row(other.key, 30.0, 31.0), "at": AT + 2 * hour}])
        uow.commit()
    with storage.reading() as uow:
        trails = uow.changes.trails_at(1)
        assert trails[RULE.key] == KeyTrail(RULE.key, 1, 5, AT, "ann", "runtime")
        assert trails[other.key] == KeyTrail(other.key, changed_later=True, before=30.0)
        assert uow.changes.trails_at(3)[other.key].value == 31.0
        assert uow.changes.trails_at(0)[RULE.key] == KeyTrail(RULE.key, changed_later=True,
                                                              before=4)
        assert [uow.changes.revision_at(AT + n * hour / 2) for n in (-1, 0, 3, 9)] == [0, 1, 2, 3]
    with storage.writing() as uow:
        uow.compactions.compact(2, AT, "ops")
        uow.commit()
    with storage.reading() as uow:
        assert uow.changes.trails_at(2)[RULE.key] == KeyTrail(RULE.key, 2, 6, AT + hour, "bob")
        with pytest.raises(ChangeLogCompacted):
            uow.changes.trails_at(1)
