"""Export and import: a round trip restores the values, dry_run applies nothing, and an
import is validated as a whole and snapshotted before it applies."""
from __future__ import annotations

import json

from lazyconfig import ConfigurationValidationRule

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
