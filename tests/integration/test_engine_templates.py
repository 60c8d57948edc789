"""Templates through the engine, on SQLite and PostgreSQL: every built-in applies, its dry
run is what apply does, drift names what an operator changed afterwards, and a template
with a value today's rules refuse changes nothing."""
from __future__ import annotations

import pytest

from lazyconfig.domain.template_catalog import builtin_templates
from lazyconfig.errors import (Conflict, InvalidDocument, PreconditionFailed,
                               TemplateNotFound, ValidationFailed)

from .database import same

BUILTINS = sorted(builtin_templates())
MIB = 1 << 20


def _state(engine, tables):
    return engine.entries(), tables.values(), tables.change_count(), len(tables.snapshots())


@pytest.mark.parametrize("name", BUILTINS)
def test_each_builtin_applies_as_its_dry_run_said_and_leaves_no_drift(engine, tables, name):
    engine.set("max_concurrent_loads", 7)  # differs from every built-in's value
    head = engine.revision
    before_values = tables.values()
    planned = engine.apply_template(name, dry_run=True, user="ops")
    assert planned.safety_snapshot_id is None and planned.changes == []
    assert tables.values() == before_values and engine.revision == head
    done = engine.apply_template(name, user="ops")
    assert done.diff == planned.diff and done.diff, name
    assert [c.key for c in done.changes] == [d["key"] for d in done.diff]
    assert {c.action for c in done.changes} == {"template"}
    assert all(c.user == "ops" for c in done.changes)
    safety = tables.snapshots()[-1]
    assert safety.id == done.safety_snapshot_id and safety.data["max_concurrent_loads"] == {
        "runtime": 7}
    wanted = builtin_templates()[name].resolve()
    for key, value in wanted.items():
        assert engine.get(key) == value, key
    for row in done.diff:
        assert same(tables.values()[(row["key"], "runtime")], row["new_value"])
    assert engine.template_drift(name) == {"name": name, "version": 1, "drift": [],
                                           "in_sync": True}
    again = engine.apply_template(name, user="ops")  # nothing left to do
    assert again.diff == [] and again.changes == [] and again.safety_snapshot_id is None


def test_drift_names_the_key_an_operator_changed_after_apply(engine):
    engine.apply_template("throughput", {"memory_budget": 8192 * MIB}, user="ops")
    assert engine.get("cache_size_limit") == 2048 * MIB
    assert engine.template_drift("throughput", {"memory_budget": 8192 * MIB})["in_sync"]
    engine.set("max_concurrent_loads", 3, user="someone")
    drift = engine.template_drift("throughput", {"memory_budget": 8192 * MIB})
    assert drift["drift"] == [{"key": "max_concurrent_loads", "template_value": 16,
                               "current_value": 3, "source": "runtime"}]
    # At the default budget the derived keys differ too.
    assert {d["key"] for d in engine.template_drift("throughput")["drift"]} == {
        "max_concurrent_loads", "cache_size_limit",
        "lazy_loading_unloading_min_memory_savings_threshold"}


def test_a_template_value_todays_rules_refuse_is_refused_whole(engine, tables):
    engine.create_template({"name": "fast-checks", "description": "checks often",
                            "params": {"seconds": {"type": "float", "default": 5.0}},
                            "values": {"max_concurrent_loads": 8},
                            "derived": {"reloading_check_interval": "seconds",
                                        "memory_cleanup_interval": "seconds * 2"}},
                           user="alice")
    before = _state(engine, tables)
    with pytest.raises(ValidationFailed) as refused:
        engine.apply_template("fast-checks", {"seconds": 86_400.0}, user="ops")
    assert set(refused.value.errors) == {"memory_cleanup_interval"}  # over a day
    with pytest.raises(ValidationFailed):
        engine.apply_template("fast-checks", {"seconds": 86_400.0}, dry_run=True)
    # A rule tightened after the template was stored refuses its literal value too.
    engine.put_rule({**engine.get_rule("max_concurrent_loads").to_record(), "max_value": 4})
    before = _state(engine, tables)
    with pytest.raises(ValidationFailed) as refused:
        engine.apply_template("fast-checks", user="ops")
    assert set(refused.value.errors) == {"max_concurrent_loads"}
    assert _state(engine, tables) == before


def test_definitions_are_checked_when_stored_and_versions_grow(engine, tables):
    bad = [{"name": "Bad Name", "values": {"cache_enabled": True}},
           {"name": "x", "values": {"no_such_key": 1}},
           {"name": "x", "values": {}},
           {"name": "x", "derived": {"cache_size_limit": "__import__('os').system('true')"}},
           {"name": "x", "derived": {"cache_size_limit": "budget ** 2"},
            "params": {"budget": {"type": "int", "default": 1}}},
           {"name": "x", "derived": {"cache_size_limit": "other // 2"}},
           {"name": "x", "params": {"n": {"type": "complex", "default": 1}},
            "values": {"cache_enabled": True}},
           {"name": "x", "params": {"n": {"type": "int", "default": "many"}},
            "values": {"cache_enabled": True}},
           {"name": "x", "values": {"cache_enabled": True}, "extra": 1}]
    for definition in bad:
        with pytest.raises(InvalidDocument):
            engine.create_template(definition)
    with pytest.raises(ValidationFailed):  # a value today's rules refuse, at the defaults
        engine.create_template({"name": "x", "values": {"max_concurrent_loads": 0}})
    with pytest.raises(Conflict):
        engine.create_template({"name": "balanced", "values": {"cache_enabled": True}})
    made = engine.create_template({"name": "cache-off", "values": {"cache_enabled": False}},
                                  user="alice")
    assert (made["version"], made["author"], made["builtin"]) == (1, "alice", False)
    with pytest.raises(Conflict):
        engine.create_template({"name": "cache-off", "values": {"cache_enabled": False}})
    replaced = engine.replace_template("cache-off", {"values": {"cache_enabled": False,
                                                               "cache_size_limit": 0}},
                                       user="bob")
    assert (replaced["version"], replaced["author"]) == (2, "bob")
    assert [t["name"] for t in engine.list_templates()] == [*BUILTINS_ORDER, "cache-off"]
    done = engine.apply_template("cache-off", user="ops")
    assert done.version == 2 and done.changes[0].description == "template cache-off version 2"
    engine.delete_template("cache-off")
    for call in (lambda: engine.get_template("cache-off"),
                 lambda: engine.delete_template("cache-off"),
                 lambda: engine.apply_template("cache-off")):
        with pytest.raises(TemplateNotFound):
            call()
    with pytest.raises(Conflict):
        engine.delete_template("balanced")


BUILTINS_ORDER = list(builtin_templates())


def test_apply_honours_expected_revision_and_unknown_params(engine, tables):
    with pytest.raises(PreconditionFailed):
        engine.apply_template("diagnostics", expected_revision=engine.revision + 5)
    with pytest.raises(InvalidDocument):
        engine.apply_template("throughput", {"budget": 1})
    with pytest.raises(InvalidDocument):
        engine.apply_template("throughput", {"memory_budget": 1})  # under its minimum
    assert tables.values() == {}
    done = engine.apply_template("memory-constrained", {"memory_budget": "1073741824"},
                                 expected_revision=engine.revision)
    assert engine.get("cache_size_limit") == 64 * MIB and done.revision == engine.revision
