"""The rules of rollback, import, reset, revert and rule changes, on in-memory storage."""
from __future__ import annotations

import pytest

from lazyconfig import ConfigurationValidationRule
from lazyconfig.errors import Conflict, SnapshotNotFound, UnknownKey, ValidationFailed

LOADS, CACHE, STRATEGY = "max_concurrent_loads", "cache_size_limit", "lazy_loading_unloading_strategy"


def test_rollback_restores_the_layers_and_takes_a_safety_snapshot_first(service, storage):
    service.set(LOADS, 6, user="ann")
    snapshot = service.create_snapshot("six")
    service.update({LOADS: 9, CACHE: 4096})
    result = service.rollback_to_snapshot(snapshot, user="bob")
    assert (service.get(LOADS), service.get(CACHE)) == (6, 104857600)
    safety = storage.tables.snapshots[result.safety_snapshot_id]
    assert safety.data == {LOADS: {"runtime": 9}, CACHE: {"runtime": 4096}}
    assert {c.key: (c.action, c.user) for c in result.changes} == {
        LOADS: ("rollback", "bob"), CACHE: ("rollback", "bob")}
    assert result.revision == service.revision == storage.tables.changes[-1].revision


def test_a_rollback_that_breaks_todays_rules_changes_nothing(service, storage):
    service.put_rule({"key": "colour", "value_type": "string", "default": "red"})
    service.set("colour", "blue")
    snapshot = service.create_snapshot()
    service.put_rule({"key": "colour", "value_type": "enum", "default": "red",
                      "choices": ["red", "green", "blue"]})
    service.set("colour", "green")
    service.put_rule({"key": "colour", "value_type": "enum", "default": "red",
                      "choices": ["red", "green"]})
    before = len(storage.tables.changes)
    with pytest.raises(ValidationFailed, match="cannot be restored under today's rules"):
        service.rollback_to_snapshot(snapshot)
    assert service.get("colour") == "green" and len(storage.tables.changes) == before


def test_a_dry_run_rollback_diffs_and_writes_nothing(service, storage):
    snapshot = service.create_snapshot()
    service.set(LOADS, 7)
    commits = storage.commits
    preview = service.rollback_to_snapshot(snapshot, dry_run=True)
    assert preview["diff"] == [{"key": LOADS, "old_value": 7, "new_value": 4, "source": "default"}]
    assert preview.safety_snapshot_id is None and service.get(LOADS) == 7
    assert storage.commits == commits + 1  # the pipeline's transaction, with nothing in it
    assert len(storage.tables.snapshots) == 1


def test_rollback_of_chosen_keys_and_unknown_snapshots(service):
    snapshot = service.create_snapshot()
    service.update({LOADS: 8, CACHE: 2048})
    service.rollback_to_snapshot(snapshot, keys=LOADS)
    assert (service.get(LOADS), service.get(CACHE)) == (4, 2048)
    with pytest.raises(UnknownKey):
        service.rollback_to_snapshot(snapshot, keys=["nope"])
    with pytest.raises(SnapshotNotFound):
        service.rollback_to_snapshot(99)


def test_import_applies_only_what_differs_and_keeps_masked_secrets(service, storage):
    service.put_rule({"key": "token", "value_type": "string", "default": "", "sensitive": True})
    service.set("token", "s3cret")
    document = service.export()
    assert document["values"]["token"] == "***"
    document["values"][LOADS] = 12
    result = service.import_configuration(document, user="ops")
    assert [c.key for c in result.changes] == [LOADS] and service.get("token") == "s3cret"
    assert storage.tables.snapshots[result.snapshot_id].info.description == "Before import"
    again = service.import_configuration(document)
    assert again.changes == [] and again.snapshot_id is None


def test_an_import_with_one_bad_value_applies_none(service):
    with pytest.raises(ValidationFailed) as refused:
        service.import_configuration({"version": 1, "values": {LOADS: 9, CACHE: -1}})
    assert set(refused.value.errors) == {CACHE} and service.get(LOADS) == 4


def test_reset_removes_runtime_overrides_only_after_a_snapshot(service, storage):
    service.set(LOADS, 9)
    service.set(CACHE, 2048, source="service")
    result = service.reset()
    assert result.reset == [LOADS] and service.get(LOADS) == 4 and service.get(CACHE) == 2048
    assert storage.tables.snapshots[result.snapshot_id].data[LOADS] == {"runtime": 9}
    with pytest.raises(UnknownKey):
        service.reset(["nope"])
    with pytest.raises(Conflict):
        service.reset(expected_revision=service.revision - 1)


def test_revert_gives_back_a_past_value_checked_by_todays_rule(service):
    first = service.write_values({LOADS: 6}).revision
    service.set(LOADS, 9)
    reverted = service.revert(LOADS, first, user="cat")
    assert service.get(LOADS) == 6 and reverted[0].action == "revert"
    assert reverted.entries[LOADS].value == 6
    assert service.revert(CACHE, 0)[0].new_value == 104857600  # never changed: its value now
    with pytest.raises(ValidationFailed, match="does not exist"):
        service.revert(LOADS, service.revision + 5)


def test_a_rule_must_fit_the_values_already_stored(service):
    service.set(LOADS, 40)
    with pytest.raises(ValidationFailed, match="current runtime value"):
        service.put_rule({**service.get_rule(LOADS).to_record(), "max_value": 32})
    with pytest.raises(ValidationFailed, match="keeps its type"):
        service.put_rule({"key": LOADS, "value_type": "string", "default": "x"})
    assert service.get_rule(LOADS).max_value != 32


def test_a_validator_applies_in_this_process_on_top_of_the_stored_rule(service):
    service.add_validation_rule(ConfigurationValidationRule(
        key=LOADS, validator=lambda v: v % 2 == 0, error_message="must be even"))
    assert service.set(LOADS, 3) is False and service.get(LOADS) == 4
    assert service.validate(LOADS, 3) == ["must be even"] and service.set(LOADS, 6)


def test_stale_versions_are_refused_before_the_write(service):
    version = service.write_values({LOADS: 5}).entries[LOADS].version
    service.set(LOADS, 6)
    with pytest.raises(Conflict) as stale:
        service.write_values({LOADS: 7}, expected_versions={LOADS: version})
    assert stale.value.current == {LOADS: service.get_entry(LOADS).version}


def test_a_refused_precondition_carries_the_entries_current_at_the_refusal(service):
    version = service.write_values({LOADS: 5}).entries[LOADS].version
    service.set(LOADS, 6, user="ann")
    with pytest.raises(Conflict) as stale:
        service.write_values({LOADS: 7}, expected_versions={LOADS: version})
    [(key, entry)] = stale.value.entries.items()
    assert (key, entry.value, entry.updated_by) == (LOADS, 6, "ann")
    with pytest.raises(Conflict) as moved:
        service.reset(expected_revision=0)
    assert moved.value.current == service.revision and moved.value.entries is None
