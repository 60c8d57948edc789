"""The client's records read the server's JSON: every field the API answers with has a
typed attribute, fields the client does not know yet stay in `.json`, and an answer
missing a field, or with one of the wrong type, is a MalformedResponse that names it."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from lazyconfig.api.configuration.schemas import (ImportResultSchema, ReportRowSchema,
                                                  ResetResultSchema)
from lazyconfig.api.point_in_time.schemas import RestoreResultSchema
from lazyconfig.api.rules.schemas import RuleSchema
from lazyconfig.api.schemas import ChangeSchema, DiffSchema
from lazyconfig.api.snapshots.schemas import (KeyDiffSchema, RollbackResultSchema,
                                              SnapshotDetailSchema, SnapshotDiffSchema,
                                              SnapshotPageSchema, SnapshotSchema)
from lazyconfig.api.status.schemas import StatusSchema, ValidationStatusSchema
from lazyconfig.api.values.schemas import BatchResultSchema, EntrySchema, HistorySchema
from lazyconfig.client import (ApiError, BatchResult, Change, Diff, DiffRow, History,
                               ImportResult, KeyDiff, MalformedResponse, ReportRow, ResetResult,
                               RestoreResult,
                               RollbackResult, Rule, Snapshot, SnapshotInfo, SnapshotPage,
                               Status, ValidationStatus, ValueEntry)
from lazyconfig.client.json_object import parse

CHANGE = {"revision": 7, "timestamp": "2025-01-02T03:04:05.123456+00:00",
          "key": "load_timeout", "old_value": 30.0, "new_value": 45.0, "source": "runtime",
          "action": "set", "user": "alice", "description": None, "batch_id": None,
          "request_id": "r-1"}
ENTRY = {"key": "load_timeout", "value": 45.0, "source": "runtime",
         "layers": {"default": 30.0, "runtime": 45.0}, "version": 7,
         "updated_at": "2025-01-02T03:04:05.123456+00:00", "updated_by": "alice",
         "sensitive": False}
INFO = {"id": 3, "description": "known good", "tags": ["ops"],
        "timestamp": "2025-01-02T03:04:05+00:00", "created_by": "bob", "revision": 6,
        "key_count": 2, "pinned": False}
ROW = {"key": "load_timeout", "old_value": 45.0, "new_value": 30.0, "source": "default"}
KEY_DIFF = {"key": "load_timeout", "old_value": 30.0, "new_value": 45.0,
            "old_layers": {"runtime": 30.0}, "new_layers": {"runtime": 45.0}}
VALID = {"valid": True, "error_count": 0, "errors": {}}
RULE = {"key": "indexer_threads", "type": "int", "default": 8, "min": 1.0, "max": 64.0,
        "min_exclusive": False, "choices": None, "pattern": None, "required": True,
        "sensitive": False, "description": "threads", "unit": None, "error_message": None,
        "origin": "custom"}
# Each record with an answer as the server writes it (its API schema beside it).
ANSWERS = [
    (ValueEntry, EntrySchema, ENTRY),
    (Change, ChangeSchema, CHANGE),
    (History, HistorySchema, {"key": "load_timeout", "total": 1, "history": [CHANGE]}),
    (BatchResult, BatchResultSchema, {"success": True, "results": {"load_timeout": True},
                                      "revision": 7, "snapshot_created": False,
                                      "snapshot_id": None, "safety_snapshot_id": None,
                                      "changes": [CHANGE]}),
    (ResetResult, ResetResultSchema, {"reset": ["load_timeout"], "snapshot_id": 4,
                                      "safety_snapshot_id": 4, "revision": 7,
                                      "changes": [CHANGE]}),
    (RollbackResult, RollbackResultSchema, {"snapshot_id": 3, "dry_run": False, "diff": [ROW],
                                            "safety_snapshot_id": 4, "revision": 7,
                                            "changes": [CHANGE]}),
    (ImportResult, ImportResultSchema, {"dry_run": True, "diff": [ROW], "snapshot_id": None,
                                        "safety_snapshot_id": None, "revision": 6,
                                        "changes": [], "format": "consul", "report": [
                                            {"name": "a/b", "key": None,
                                             "status": "unknown key"}]}),
    (ReportRow, ReportRowSchema, {"name": "LOAD_TIMEOUT", "key": "load_timeout",
                                  "status": "applied"}),
    (RestoreResult, RestoreResultSchema, {"restored_revision": 3, "dry_run": False,
                                          "diff": [ROW], "safety_snapshot_id": 4,
                                          "revision": 7, "changes": [CHANGE]}),
    (DiffRow, DiffSchema, ROW),
    (ValidationStatus, ValidationStatusSchema, VALID),
    (Status, StatusSchema, {"status": "ok", "total_values": 25, "revision": 7,
                            "sources": {"default": 24, "runtime": 1},
                            "validation_status": VALID, "custom_keys": 0,
                            "values": {"load_timeout": 45.0}}),
    (Rule, RuleSchema, RULE),
    (SnapshotInfo, SnapshotSchema, INFO),
    (Snapshot, SnapshotDetailSchema, {**INFO, "values": {"load_timeout": {"runtime": 30.0}}}),
    (SnapshotPage, SnapshotPageSchema, {"snapshots": [INFO], "total": 1, "page": 1,
                                        "page_size": 20}),
    (KeyDiff, KeyDiffSchema, KEY_DIFF),
    (Diff, SnapshotDiffSchema, {"from": 3, "to": "current", "added": [], "removed": [],
                                "changed": [KEY_DIFF]}),
]
JSON_NAMES = {"from_snapshot": "from", "to_snapshot": "to"}  # attributes the JSON names otherwise
IDS = [record.__name__ for record, _, _ in ANSWERS]


def json_names(record: type) -> set[str]:
    return {JSON_NAMES.get(f.name, f.name) for f in dataclasses.fields(record)} - {"json"}


@pytest.mark.parametrize("record, schema, answer", ANSWERS, ids=IDS)
def test_each_record_reads_every_field_its_api_schema_answers_with(record, schema, answer):
    sent = {field.data_key or name for name, field in schema().dump_fields.items()}
    assert json_names(record) - sent == set()
    assert sent <= json_names(record)
    assert sent <= set(answer), "the example answer lacks a field the server sends"


@pytest.mark.parametrize("record, schema, answer", ANSWERS, ids=IDS)
def test_fields_the_client_does_not_know_are_kept_in_its_json(record, schema, answer):
    read = record.from_json({**answer, "added_by_a_newer_server": [1, 2]})
    assert read.json == {**answer, "added_by_a_newer_server": [1, 2]}
    assert read["added_by_a_newer_server"] == [1, 2]  # as the dicts of the older client
    assert read == record.from_json(answer)
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.json = {}


@pytest.mark.parametrize("record, schema, answer", ANSWERS, ids=IDS)
def test_a_missing_field_or_a_non_object_is_a_malformed_response(record, schema, answer):
    required = next(iter(answer))  # each example answer starts with a field its record needs
    without = {name: value for name, value in answer.items() if name != required}
    with pytest.raises(MalformedResponse, match=f"{record.__name__}: .*'{required}'"):
        record.from_json(without)
    with pytest.raises(MalformedResponse, match=f"{record.__name__}: expected a JSON object"):
        record.from_json([answer])


def test_typed_values_come_from_the_json():
    entry = ValueEntry.from_json(ENTRY)
    assert entry.updated_at == datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    assert (entry.key, entry.value, entry.version, entry.layers["default"]) == (
        "load_timeout", 45.0, 7, 30.0)
    page = History.from_json({"key": "load_timeout", "total": 1, "history": [CHANGE]})
    assert page.history[0] == Change.from_json(CHANGE) and page.history[0].description is None
    snapshot = Snapshot.from_json({**INFO, "values": {}})
    assert isinstance(snapshot, SnapshotInfo) and snapshot.tags == ("ops",)
    to_now = Diff.from_json({"from": 3, "to": "current", "added": [], "removed": [],
                             "changed": []})
    to_other = Diff.from_json({**to_now.json, "to": 5})
    assert (to_now.to_snapshot, to_other.to_snapshot, to_other.from_snapshot) == (None, 5, 3)


def test_an_older_servers_batch_without_snapshot_ids_reads_as_none():
    answer = {"success": True, "results": {}, "revision": 9, "snapshot_created": True,
              "changes": []}
    assert BatchResult.from_json(answer).snapshot_id is None
    assert BatchResult.from_json(answer).safety_snapshot_id is None
    assert BatchResult.from_json({**answer, "snapshot_id": 12}).snapshot_id == 12


@pytest.mark.parametrize("field, value, expected", [
    ("version", "7", "'version' should be an integer, not '7'"),
    ("version", True, "'version' should be an integer, not True"),
    ("key", None, "'key' should be a string, not None"),
    ("layers", [], "'layers' should be an object, not []"),
    ("updated_at", "yesterday", "'updated_at' should be a date and time, not 'yesterday'"),
])
def test_a_field_of_the_wrong_type_is_refused(field, value, expected):
    with pytest.raises(MalformedResponse) as refused:
        ValueEntry.from_json({**ENTRY, field: value})
    assert refused.value.message == f"ValueEntry: {expected}"
    assert isinstance(refused.value, ApiError) and refused.value.status is None


def test_a_nested_error_names_the_path_to_it():
    broken = {key: value for key, value in CHANGE.items() if key != "revision"}
    with pytest.raises(MalformedResponse) as refused:
        History.from_json({"key": "load_timeout", "total": 1, "history": [broken]})
    assert refused.value.message == \
        "History.history: Change: the answer has no 'revision' field"
    with pytest.raises(MalformedResponse, match="Status.validation_status: ValidationStatus"):
        Status.from_json({"status": "ok", "total_values": 0, "revision": 0, "sources": {},
                          "validation_status": {"valid": True}, "custom_keys": 0,
                          "values": {}})
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        parse(b"{not json", "a change event")
