"""ConfigClient against a real server: every call an operator script needs, and failures
as exceptions that carry the server's message."""
from __future__ import annotations

import pytest

from lazyconfig.client import (ConfigClient, Conflict, Forbidden, NotFound, ServiceUnavailable,
                               Unauthorized, ValidationFailed)
from tests.support.servers import free_port

pytestmark = pytest.mark.slow
INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"
THREADS = "client_indexer_threads"  # a custom key only these tests define


def test_values_validation_history_and_revert(client_as):
    client = client_as("editor", "alice")
    entry = client.set(INTERVAL, 30.0, description="faster checks")
    assert (entry.value, entry.source, entry.updated_by) == (30.0, "runtime", "alice")
    assert client.get(INTERVAL) == 30.0 and client.values()[INTERVAL] == 30.0
    result = client.update({STRATEGY: "AGGRESSIVE", INTERVAL: 15.0}, description="tuning",
                           snapshot_description="before tuning")
    assert result.success and result.snapshot_created
    assert client.validate(INTERVAL, 12.0) == []
    assert client.validate(INTERVAL, -1.0)

    history = client.history(INTERVAL)
    assert [h.new_value for h in history.history][:2] == [15.0, 30.0]
    reverted = client.revert(INTERVAL, history.history[1].revision, "back to 30")
    assert reverted.value == 30.0
    assert client.notifications(limit=1)[-1].action == "revert"


def test_snapshots_diff_rollback_and_import(client_as):
    editor, admin = client_as("editor"), client_as("admin")
    editor.set("load_timeout", 12.0)
    snapshot = editor.create_snapshot("known good", ["client"])
    assert editor.snapshot(snapshot.id).values["load_timeout"] == {"runtime": 12.0}
    assert editor.snapshots(page_size=1).snapshots[0].id == snapshot.id
    editor.set("load_timeout", 99.0)
    editor.set("max_concurrent_loads", 16)
    diff = editor.diff(snapshot.id)
    assert [d.key for d in diff.changed] == ["load_timeout"]
    dry = editor.rollback(snapshot.id, keys=["load_timeout"], dry_run=True)
    assert editor.get("load_timeout") == 99.0
    done = editor.rollback(snapshot.id, keys=["load_timeout"])
    assert done.diff == dry.diff and editor.get("load_timeout") == 12.0
    assert editor.get("max_concurrent_loads") == 16

    document = admin.export()
    document["values"]["max_reloads_per_cycle"] = 8
    assert admin.import_configuration(document, dry_run=True).diff[0].key == \
        "max_reloads_per_cycle"
    assert admin.get("max_reloads_per_cycle") == 5
    admin.reset(["max_concurrent_loads"])
    assert admin.get("max_concurrent_loads") == 4


def test_rules_and_status(client_as):
    editor, admin = client_as("editor"), client_as("admin")
    rule = admin.put_rule(THREADS, type="int", default=8, min=1, max=64,
                          description="worker threads of the indexer")
    assert (rule.key, rule.type, rule.default, rule.min, rule.max, rule.origin) == (
        THREADS, "int", 8, 1, 64, "custom")
    assert editor.rule(THREADS) == rule and THREADS in {r.key for r in editor.rules()}
    status = editor.status()
    assert status.values[THREADS] == 8 and status.custom_keys >= 1
    assert status.validation_status.valid and status.revision == editor.notifications(
        limit=1)[-1].revision


def test_writes_with_preconditions_reset_and_snapshot_deletion(client_as):
    editor, admin = client_as("editor"), client_as("admin")
    before = editor.entry(STRATEGY).version
    batch = editor.update({STRATEGY: "CONSERVATIVE"}, create_snapshot=True,
                          expected_versions={STRATEGY: before})
    assert batch.snapshot_created and [c.new_value for c in batch.changes] == ["CONSERVATIVE"]
    with pytest.raises(Conflict):
        editor.update({STRATEGY: "AGGRESSIVE"}, expected_versions={STRATEGY: before})
    with pytest.raises(Conflict):
        editor.unset(STRATEGY, if_version=before)
    assert editor.unset(STRATEGY, if_version=batch.revision).source == "default"

    editor.set("load_timeout", 13.0)
    first = editor.create_snapshot("first")
    editor.set("load_timeout", 14.0)
    second = editor.create_snapshot("second")
    diff = editor.diff(first.id, against=second.id)
    assert (diff.from_snapshot, diff.to_snapshot) == (first.id, second.id)
    assert [(d.key, d.old_value, d.new_value) for d in diff.changed] == [
        ("load_timeout", 13.0, 14.0)]
    reset = admin.reset(["load_timeout"], description="back to the default")
    assert reset.reset == ("load_timeout",) and admin.get("load_timeout") == 30.0
    assert admin.snapshot(reset.snapshot_id).values["load_timeout"] == {"runtime": 14.0}
    admin.delete_snapshot(reset.snapshot_id)
    with pytest.raises(NotFound):
        admin.snapshot(reset.snapshot_id)


def test_failures_raise_with_the_servers_message(client_as, server):
    editor = client_as("editor")
    with pytest.raises(ValidationFailed) as refused:
        editor.set(INTERVAL, -5.0)
    assert refused.value.status == 400 and INTERVAL in refused.value.errors
    assert "greater than 0" in refused.value.message
    with pytest.raises(NotFound, match="no_such_key"):
        editor.get("no_such_key")
    with pytest.raises(NotFound, match="4242"):
        editor.rollback(4242)
    with pytest.raises(Forbidden, match="editor role"):
        client_as("viewer").set(INTERVAL, 20.0)
    with pytest.raises(Unauthorized):
        ConfigClient(server.url, "not-a-token").get(INTERVAL)
    version = editor.entry(INTERVAL).version
    editor.set(INTERVAL, 21.0)
    with pytest.raises(Conflict, match="version mismatch"):
        editor.set(INTERVAL, 22.0, if_version=version)
    with pytest.raises(ServiceUnavailable, match="cannot reach"):
        ConfigClient(f"http://127.0.0.1:{free_port()}", "t", timeout=2).get(INTERVAL)


def test_a_write_a_policy_covers_is_held_then_approved_and_applied(client_as):
    from lazyconfig.client import ChangeRequested
    admin, alice, bob = client_as("admin"), client_as("editor", "alice"), client_as("editor", "bob")
    key = "client_four_eyes_limit"  # a custom key: the policy holds no other test's writes
    admin.put_rule(key, type="int", default=1, min=0, max=100)
    admin.set_policies([{"pattern": key, "approvals": 1}])
    try:
        with pytest.raises(ChangeRequested) as held:
            alice.set(key, 7, description="more")
        request = held.value.change_request
        assert (request.state, request.author, request.diff[0]["after"]) == ("pending", "alice", 7)
        with pytest.raises(Forbidden):
            alice.decide(request.id, "approve")
        assert bob.decide(request.id, "approve").approved_by == ("bob",)
        applied = bob.decide(request.id, "apply")
        assert applied.state == "applied" and alice.get(key) == 7
        assert request.id in [r.id for r in admin.change_requests("applied")]
        assert admin.change_request(request.id).applied_revision == applied.applied_revision
    finally:
        admin.set_policies([])
