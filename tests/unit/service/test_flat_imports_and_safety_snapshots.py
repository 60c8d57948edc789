"""Flat import documents, and every write that snapshots first naming its snapshot: the rules,
on in-memory storage."""
from __future__ import annotations

import pytest

from lazyconfig.errors import InvalidDocument, UnknownKey, ValidationFailed

LOADS, CACHE, RULES = "max_concurrent_loads", "cache_size_limit", "feature.rules"


@pytest.fixture
def json_key(service):
    service.put_rule({"key": RULES, "value_type": "json", "default": None})
    return RULES


def test_a_flat_document_imports_like_an_export_nested_json_values_included(service, storage,
                                                                           json_key):
    service.set(LOADS, 9)
    result = service.import_configuration({LOADS: 6, json_key: {"allow": ["a", "b"]}},
                                          user="ops")
    assert (service.get(LOADS), service.get(json_key)) == (6, {"allow": ["a", "b"]})
    assert {(c.key, c.action, c.user) for c in result.changes} == {
        (LOADS, "import", "ops"), (json_key, "import", "ops")}
    assert storage.tables.snapshots[result.safety_snapshot_id].data[LOADS] == {"runtime": 9}
    assert result.snapshot_id == result.safety_snapshot_id


def test_one_invalid_value_refuses_the_whole_flat_document(service, storage):
    service.set(LOADS, 9)
    changes, snapshots = len(storage.tables.changes), len(storage.tables.snapshots)
    with pytest.raises(ValidationFailed) as refused:
        service.import_configuration({LOADS: 6, CACHE: -1})
    assert set(refused.value.errors) == {CACHE}
    with pytest.raises(UnknownKey, match="nope"):
        service.import_configuration({LOADS: 6, "nope": 1})
    assert service.get(LOADS) == 9
    assert (len(storage.tables.changes), len(storage.tables.snapshots)) == (changes, snapshots)


def test_a_flat_dry_run_and_a_second_import_change_nothing(service, storage):
    changes, snapshots = len(storage.tables.changes), len(storage.tables.snapshots)
    preview = service.import_configuration({LOADS: 6}, dry_run=True)
    assert preview.diff == [{"key": LOADS, "old_value": 4, "new_value": 6, "source": "runtime"}]
    assert preview.safety_snapshot_id is None and service.get(LOADS) == 4
    assert (len(storage.tables.changes), len(storage.tables.snapshots)) == (changes, snapshots)
    service.import_configuration({LOADS: 6})
    changes = len(storage.tables.changes)
    again = service.import_configuration({LOADS: 6})
    assert again.changes == [] and again.safety_snapshot_id is None
    assert len(storage.tables.changes) == changes


def test_a_key_named_like_an_export_field_is_read_as_an_export_document(service):
    with pytest.raises(InvalidDocument, match="version"):
        service.import_configuration({"revision": 3, LOADS: 6})
    assert service.get(LOADS) == 4


def test_a_batch_names_the_snapshot_it_took_first(service, storage):
    service.set(LOADS, 9)
    written = service.write_values({LOADS: 6, CACHE: 2048}, snapshot_description="before")
    snapshot = storage.tables.snapshots[written.snapshot_id]
    assert snapshot.data == {LOADS: {"runtime": 9}}
    assert snapshot.info.description == "before" and written.safety_snapshot_id == snapshot.info.id
    assert service.write_values({LOADS: 7}).snapshot_id is None
    assert service.unset(LOADS).snapshot_id is None


def test_reset_import_and_rollback_name_their_safety_snapshot_alike(service, storage):
    service.set(LOADS, 9)
    reset = service.reset()
    assert reset["safety_snapshot_id"] == reset["snapshot_id"]
    assert storage.tables.snapshots[reset["safety_snapshot_id"]].data == {LOADS: {"runtime": 9}}
    imported = service.import_configuration({LOADS: 5})
    assert imported["safety_snapshot_id"] == imported["snapshot_id"] != reset["snapshot_id"]
    restored = service.rollback_to_snapshot(reset["snapshot_id"])
    assert restored["snapshot_id"] == reset["snapshot_id"]  # the one restored
    assert storage.tables.snapshots[restored["safety_snapshot_id"]].data == {
        LOADS: {"runtime": 5}}
    assert service.get(LOADS) == 9


def test_an_import_diffs_and_logs_in_key_order_whatever_order_the_document_has(service):
    result = service.import_configuration({LOADS: 9, CACHE: 4096})
    assert [row["key"] for row in result.diff] == sorted([LOADS, CACHE])
    assert [c.key for c in result.changes] == sorted([LOADS, CACHE])
