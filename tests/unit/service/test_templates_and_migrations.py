"""Templates and config migrations over the in-memory fakes: the rules of each, fast."""
from __future__ import annotations

import pytest

from lazyconfig.domain.key_migrations import Rename, Transform
from lazyconfig.errors import ValidationFailed


def test_apply_writes_only_what_differs_after_a_safety_snapshot(service, storage):
    service.set("metrics_collection_interval", 5.0)
    done = service.apply_template("diagnostics", user="ops")
    assert "metrics_collection_interval" not in [d["key"] for d in done.diff]
    assert done.safety_snapshot_id in storage.tables.snapshots
    assert service.template_drift("diagnostics")["in_sync"]


def test_a_refused_value_leaves_the_fakes_untouched(service, storage):
    service.create_template({"name": "slow", "params": {"n": {"type": "float", "default": 1.0}},
                             "derived": {"load_timeout": "n * 10"}})
    before = (dict(storage.tables.values), len(storage.tables.changes))
    with pytest.raises(ValidationFailed):
        service.apply_template("slow", {"n": -1.0})
    assert (dict(storage.tables.values), len(storage.tables.changes)) == before


def test_a_migration_moves_values_templates_and_snapshots(service, storage):
    service.put_rule({"key": "ttl", "value_type": "float", "default": 1.0})
    service.set("ttl", 2.0)
    snapshot = service.create_snapshot("before")
    service.create_template({"name": "t", "values": {"ttl": 3.0}})
    service.put_rule({"key": "ttl_ms", "value_type": "int", "default": 1000})
    steps = [Rename("r", old="ttl", new="ttl_ms"),
             Transform("s", key="ttl_ms", args={"factor": 1000, "round": "int"})]
    done = service.migrate_configuration(steps)
    assert done.steps == ["r", "s"] and service.get("ttl_ms") == 2000
    assert "ttl" not in storage.tables.rules
    assert storage.tables.snapshots[snapshot].data["ttl_ms"] == {"runtime": 2000}
    assert storage.tables.templates["t"]["values"] == {"ttl_ms": 3000}
    assert set(storage.tables.key_migrations) == {"r", "s"}
    assert service.migrate_configuration(steps).steps == []
