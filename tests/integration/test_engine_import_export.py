"""Export and import: a round trip restores the values, dry_run applies nothing, and an
import is validated as a whole and snapshotted before it applies."""
from __future__ import annotations

import json

import pytest

from lazyconfig import ConfigurationValidationRule
from lazyconfig.errors import ValidationFailed
from lazyconfig.service.formats import parse_document

INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"
LOADS = "max_concurrent_loads"


def test_export_lists_every_value_with_its_source(engine):
    engine.set(INTERVAL, 30.0)
    document = engine.export()
    assert document["version"] == 1 and document["revision"] == engine.revision
    assert len(document["values"]) == 25 and document["values"][INTERVAL] == 30.0
    assert document["sources"][INTERVAL] == "runtime" and document["sources"][LOADS] == "default"
    assert json.loads(json.dumps(document)) == document  # plain JSON


def test_round_trip_restores_the_exported_values(engine, make_engine, tables):
    engine.update({INTERVAL: 30.0, STRATEGY: "CONSERVATIVE"})
    saved = json.loads(json.dumps(engine.export()))
    engine.update({INTERVAL: 5.0, STRATEGY: "AGGRESSIVE", LOADS: 16})
    mark, snapshots = engine.revision, len(tables.snapshots())

    result = engine.import_configuration(saved, user="ops")

    assert engine.export()["values"] == saved["values"]
    assert {(c.key, c.new_value, c.action, c.actor) for c in tables.changes(since=mark)} == {
        (STRATEGY, "CONSERVATIVE", "import", "ops"), (INTERVAL, 30.0, "import", "ops"),
        (LOADS, 4, "import", "ops")}
    assert len(tables.snapshots()) == snapshots + 1
    assert tables.snapshots()[-1].id == result["snapshot_id"]
    assert tables.snapshots()[-1].data[LOADS] == {"runtime": 16}
    assert make_engine().export()["values"] == saved["values"]
    # Importing the same document again changes nothing.
    again = engine.import_configuration(saved)
    assert again["changes"] == [] and tables.changes(since=engine.revision) == []


def test_dry_run_shows_the_diff_and_applies_nothing(engine, tables):
    saved = engine.export()
    engine.set(INTERVAL, 5.0)
    count, snapshots, before = tables.change_count(), len(tables.snapshots()), engine.export()
    preview = engine.import_configuration(saved, dry_run=True)
    assert preview["dry_run"] is True and preview["changes"] == [] and preview["snapshot_id"] is None
    assert preview["diff"] == [{"key": INTERVAL, "old_value": 5.0, "new_value": 60.0,
                                "source": "runtime"}]
    assert engine.export() == before
    assert tables.change_count() == count and len(tables.snapshots()) == snapshots


def test_sensitive_values_are_masked_and_a_masked_import_keeps_the_value(engine):
    engine.add_validation_rule(ConfigurationValidationRule(
        key="api_token", default_value="", sensitive=True))
    engine.set("api_token", "s3cret")
    masked = engine.export()
    assert masked["values"]["api_token"] == "***"
    assert engine.export(include_sensitive=True)["values"]["api_token"] == "s3cret"
    assert engine.get_configuration_summary()["values"]["api_token"] == "***"
    engine.import_configuration(masked)
    assert engine.get("api_token") == "s3cret"


# -- flat documents: the shape a config file has, in any of its formats --------------------
FLAT_TEXT = {
    "json": '{"%s": 30.0, "%s": "CONSERVATIVE", "%s": 16}' % (INTERVAL, STRATEGY, LOADS),
    "yaml": f"{INTERVAL}: 30.0\n{STRATEGY}: CONSERVATIVE\n{LOADS}: 16\n",
    "toml": f'{INTERVAL} = 30.0\n{STRATEGY} = "CONSERVATIVE"\n{LOADS} = 16\n',
}


@pytest.mark.parametrize("kind", sorted(FLAT_TEXT))
def test_a_flat_file_imports_once_after_a_snapshot(engine, make_engine, tables, kind):
    engine.set(LOADS, 8, user="setup")
    document = parse_document(FLAT_TEXT[kind], kind)
    mark = engine.revision

    result = engine.import_configuration(document, user="ops")

    assert (engine.get(INTERVAL), engine.get(STRATEGY), engine.get(LOADS)) == (
        30.0, "CONSERVATIVE", 16)
    assert {(c.key, c.new_value, c.action, c.actor) for c in tables.changes(since=mark)} == {
        (INTERVAL, 30.0, "import", "ops"), (STRATEGY, "CONSERVATIVE", "import", "ops"),
        (LOADS, 16, "import", "ops")}
    (snapshot,) = tables.snapshots()
    assert snapshot.id == result["safety_snapshot_id"] == result["snapshot_id"]
    assert snapshot.data == {LOADS: {"runtime": 8}}
    assert make_engine().get(STRATEGY) == "CONSERVATIVE"
    # The same file again: nothing differs, so nothing is written and no snapshot taken.
    count = tables.change_count()
    again = engine.import_configuration(parse_document(FLAT_TEXT[kind], kind))
    assert again["changes"] == [] and again["safety_snapshot_id"] is None
    assert tables.change_count() == count and len(tables.snapshots()) == 1


@pytest.mark.parametrize("kind", sorted(FLAT_TEXT))
def test_one_invalid_value_refuses_the_whole_flat_file(engine, tables, kind):
    engine.set(LOADS, 8, user="setup")
    text = FLAT_TEXT[kind].replace("CONSERVATIVE", "RECKLESS")
    before, count, rows = engine.export(), tables.change_count(), tables.values()
    with pytest.raises(ValidationFailed) as refused:
        engine.import_configuration(parse_document(text, kind))
    assert set(refused.value.errors) == {STRATEGY}
    assert engine.export() == before and tables.values() == rows
    assert tables.change_count() == count and tables.snapshots() == []


def test_a_flat_dry_run_changes_nothing(engine, tables):
    count = tables.change_count()
    preview = engine.import_configuration(parse_document(FLAT_TEXT["toml"], "toml"),
                                          dry_run=True)
    assert preview["dry_run"] is True and preview["safety_snapshot_id"] is None
    assert {d["key"]: d["new_value"] for d in preview["diff"]} == {
        INTERVAL: 30.0, STRATEGY: "CONSERVATIVE", LOADS: 16}
    assert engine.get(STRATEGY) == "BALANCED" and engine.get_entry(STRATEGY).source == "default"
    assert tables.change_count() == count and tables.snapshots() == [] and tables.values() == {}


def test_a_json_keys_nested_value_imports_from_a_flat_yaml_file(engine, tables):
    engine.put_rule({"key": "feature.routes", "value_type": "json", "default": None})
    document = parse_document("feature.routes:\n  eu: [a, b]\n  us: {weight: 2}\n", "yaml")
    engine.import_configuration(document)
    assert engine.get("feature.routes") == {"eu": ["a", "b"], "us": {"weight": 2}}
    assert tables.values()[("feature.routes", "runtime")] == {"eu": ["a", "b"],
                                                             "us": {"weight": 2}}
