"""Point-in-time reads and restore on a seeded history of more than 10,000 changes made
through the engine: the values at a revision equal the state the engine held then and the
state replayed from the log in Python; a restore makes them current again, refused whole
when today's rules refuse a past value; nothing before the compaction point is guessed."""
from __future__ import annotations

import random

import pytest

from lazyconfig.domain import ConfigurationValidationRule
from lazyconfig.errors import ChangeLogCompacted, UnknownKey, ValidationFailed
from lazyconfig.service.compaction import LogRetention

CUSTOM = [f"pit.k{i:03d}" for i in range(110)]
EARLY, LATE = CUSTOM[:80], CUSTOM[80:]  # LATE keys are defined in the middle of the history
BUILTIN = {"max_concurrent_loads": lambda rng: rng.randint(1, 1024),
           "load_timeout": lambda rng: float(rng.randint(1, 600))}


def _define(engine, keys, maximum=10_000):
    for key in keys:
        engine.add_validation_rule(ConfigurationValidationRule(
            key=key, value_type="int", default_value=0, min_value=0, max_value=maximum))


def _seed(engine, rng, rounds=160):
    """A history of batches, unsets and resets; the engine's values after each write, by
    the revision it left."""
    _define(engine, EARLY)
    truth = {engine.revision: dict(engine.replica.state.values)}
    for n in range(rounds):
        if n == rounds // 2:
            _define(engine, LATE)
        defined = EARLY + (LATE if n >= rounds // 2 else [])
        roll = rng.random()
        if roll < 0.08:
            engine.unset(rng.choice(defined))
        elif roll < 0.12:
            engine.reset(rng.sample(defined, 5))
        else:
            updates = {k: rng.randint(0, 10_000) for k in rng.sample(defined, 70)}
            updates.update({k: make(rng) for k, make in BUILTIN.items() if rng.random() < .5})
            engine.write_values(updates)
        truth[engine.revision] = dict(engine.replica.state.values)
    return truth


def _log(engine):
    changes, since = [], 0
    with engine.storage.reading() as uow:
        while page := uow.changes.since(since):
            changes += page
            since = page[-1].revision
    return changes


def _count(engine):
    with engine.storage.reading() as uow:
        return uow.changes.count()


def _replayed(changes, revision, rules, current):
    """The values at `revision` replayed from the log: each key's last new value by then; a
    built-in key never changed by then, its next change's old value (or today's value); a
    custom key never changed by then was not defined yet."""
    values, after = {}, {}
    for change in changes:
        if change.revision <= revision:
            values[change.key] = change.new_value
        else:
            after.setdefault(change.key, change.old_value)
    for key, rule in rules.items():
        if key not in values and rule.origin == "builtin":
            values[key] = after.get(key, current[key])
    return values


def _at(engine, revision=None, **kwargs):
    return {k: e.value for k, e in engine.values_at(revision, **kwargs).entries.items()}


@pytest.fixture
def seeded(make_engine):
    engine = make_engine()
    truth = _seed(engine, random.Random(16))
    return engine, truth


def test_values_at_equal_the_engine_state_then_and_the_replayed_log(seeded):
    engine, truth = seeded
    changes = _log(engine)
    assert len(changes) >= 10_000 and changes[-1].revision == engine.revision
    for revision, values in list(truth.items())[::4]:  # the engine's own state then
        assert _at(engine, revision) == values, revision
    rng = random.Random(1600)
    state = engine.replica.state
    for revision in rng.sample(range(engine.revision + 1), 100):
        assert _at(engine, revision) == _replayed(changes, revision, state.rules,
                                                  state.values), revision
    assert set(_at(engine, 0)) == set(BUILTIN) | {k for k, r in state.rules.items()
                                                  if r.origin == "builtin"}
    # A time reads the newest revision committed by then; past the head is refused.
    for change in random.Random(3).sample(changes, 10):
        newest = max(c.revision for c in changes if c.timestamp <= change.timestamp)
        past = engine.values_at(at=change.timestamp)
        assert past.revision == newest and _at(engine, at=change.timestamp) == _at(engine, newest)
    with pytest.raises(ValidationFailed):
        engine.values_at(engine.revision + 1)


def test_restore_then_read_at_the_new_head_agree(seeded):
    engine, truth = seeded
    rng = random.Random(161)
    for revision in rng.sample(sorted(truth), 2) + [rng.randrange(engine.revision)]:
        wanted, before = _at(engine, revision), dict(engine.replica.state.values)
        planned = engine.restore(revision, dry_run=True)
        count = _count(engine)
        assert planned.changes == [] and planned.safety_snapshot_id is None
        assert _count(engine) == count
        done = engine.restore(revision, user="ops")
        assert done.diff == planned.diff and done.restored_revision == revision
        assert {c.action for c in done.changes} == {"restore"}
        assert {c.user for c in done.changes} == {"ops"}
        assert len(done.changes) == len(done.diff) == _count(engine) - count
        now = _at(engine, engine.revision)
        assert now == {**before, **wanted}  # keys defined since are left alone
        assert engine.get_snapshot(done.safety_snapshot_id)["revision"] == done.revision - len(
            done.changes)
        assert engine.restore(revision).changes == []  # restoring again changes nothing
    # Only some keys: only those are written.
    revision = sorted(truth)[10]
    keys = EARLY[:3] + ["max_concurrent_loads"]
    before = dict(engine.replica.state.values)
    done = engine.restore(revision, keys=keys)
    assert {c.key for c in done.changes} <= set(keys)
    assert engine.replica.state.values == {**before,
                                           **{k: truth[revision][k] for k in keys}}
    with pytest.raises(UnknownKey):
        engine.restore(revision, keys=["no.such.key"])


def test_a_past_value_todays_rule_refuses_is_refused_whole(make_engine):
    engine = make_engine()
    _define(engine, EARLY[:3])
    engine.write_values({EARLY[0]: 9000, EARLY[1]: 1, EARLY[2]: 2})
    past = engine.revision
    engine.write_values({EARLY[0]: 10, EARLY[1]: 11, EARLY[2]: 12})
    engine.put_rule(ConfigurationValidationRule(key=EARLY[0], value_type="int", default_value=0,
                                                min_value=0, max_value=5000))
    before, count = engine.entries(), _count(engine)
    snapshots = engine.list_snapshots()
    for dry_run in (True, False):
        with pytest.raises(ValidationFailed) as refused:
            engine.restore(past, dry_run=dry_run)
        assert list(refused.value.errors) == [EARLY[0]]
    assert engine.entries() == before and _count(engine) == count
    assert engine.list_snapshots() == snapshots
    # The keys today's rules accept can still be restored, by name.
    assert len(engine.restore(past, keys=EARLY[1:3]).changes) == 2


def test_layers_below_runtime_take_back_a_past_value_they_give(make_engine):
    """A past value equal to what the layers below runtime give today is restored by
    removing the runtime override, not by copying it (docs/point-in-time.md)."""
    engine = make_engine({"LAZYCONFIG_MAX_CONCURRENT_LOADS": "8"})
    past = engine.revision
    assert engine.get("max_concurrent_loads") == 8
    engine.set("max_concurrent_loads", 20, strict=True)
    done = engine.restore(past)
    entry = engine.get_entry("max_concurrent_loads")
    assert (entry.value, entry.source) == (8, "environment") and "runtime" not in entry.layers
    assert [(c.key, c.new_value) for c in done.changes] == [("max_concurrent_loads", 8)]


def test_before_the_compaction_point_is_refused_with_410(make_engine):
    engine = make_engine()
    truth = _seed(engine, random.Random(1616), rounds=30)  # about 2,000 changes
    inside = _at(engine, engine.revision - 500)
    engine.change_log.compact(retention=LogRetention(max_entries=1000))
    first = engine.change_log.first_kept_revision()
    assert first == engine.revision - 1000
    assert _at(engine, engine.revision - 500) == inside
    assert _at(engine, first) == truth.get(first, _at(engine, first))
    for read in (lambda: engine.values_at(first - 1), lambda: engine.restore(first - 1),
                 lambda: engine.values_at(0)):
        with pytest.raises(ChangeLogCompacted) as refused:
            read()
        assert refused.value.first_kept_revision == first
