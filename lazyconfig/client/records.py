"""What ConfigClient returns: small frozen records of the API's answers, one per kind
(snapshots and their diffs are in snapshot_records.py).

Each record is built by `from_json`, which ignores fields it does not know (a newer server
may send more) and raises MalformedResponse when a field it needs is missing or of the
wrong type. Every record keeps the answer's JSON object whole in `.json`, so nothing the
server sent is lost, and `record["field"]` reads that JSON, as the client's dicts did.
A field the API documents is required; one it documents as nullable, or that newer
servers add (`BatchResult.snapshot_id`), may be absent and reads as None.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from .json_object import JsonObject, Record


@dataclass(frozen=True, kw_only=True)
class ValueEntry(Record):
    """A key's effective value, the layer it comes from and every layer present; its
    version (the revision of its last change, also its ETag) and its last writer."""

    key: str
    value: Any
    source: str
    layers: dict[str, Any]
    version: int
    updated_at: datetime | None
    updated_by: str | None
    sensitive: bool

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(key=read.text("key"), value=read.value("value"), source=read.text("source"),
                   layers=read.mapping("layers"), version=read.integer("version"),
                   updated_at=read.optional_moment("updated_at"),
                   updated_by=read.optional_text("updated_by"),
                   sensitive=read.flag("sensitive"), json=read.data)


@dataclass(frozen=True, kw_only=True)
class Change(Record):
    """One change-log entry: a notification, a history row, an event of the stream."""

    revision: int
    timestamp: datetime
    key: str
    old_value: Any
    new_value: Any
    source: str
    action: str
    user: str | None
    description: str | None
    batch_id: str | None
    request_id: str | None

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(revision=read.integer("revision"), timestamp=read.moment("timestamp"),
                   key=read.text("key"), old_value=read.value("old_value"),
                   new_value=read.value("new_value"), source=read.text("source"),
                   action=read.text("action"), user=read.optional_text("user"),
                   description=read.optional_text("description"),
                   batch_id=read.optional_text("batch_id"),
                   request_id=read.optional_text("request_id"), json=read.data)


@dataclass(frozen=True, kw_only=True)
class History(Record):
    """One page of a key's changes, newest first, and how many there are in all."""

    key: str
    total: int
    history: tuple[Change, ...]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(key=read.text("key"), total=read.integer("total"),
                   history=read.records("history", Change.from_json), json=read.data)


@dataclass(frozen=True, kw_only=True)
class DiffRow(Record):
    """What a rollback or an import does (or would do) to a key's effective value."""

    key: str
    old_value: Any
    new_value: Any
    source: str

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(key=read.text("key"), old_value=read.value("old_value"),
                   new_value=read.value("new_value"), source=read.text("source"),
                   json=read.data)


@dataclass(frozen=True, kw_only=True)
class BatchResult(Record):
    """A batch of values applied together (all or none): the revision it left, its
    changes, and the snapshot taken first when one was asked for (`snapshot_id`, also
    `safety_snapshot_id` as every write that takes one names it; None from older servers)."""

    success: bool
    results: dict[str, bool]
    revision: int
    snapshot_created: bool
    snapshot_id: int | None
    safety_snapshot_id: int | None
    changes: tuple[Change, ...]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(success=read.flag("success"), results=read.mapping("results"),
                   revision=read.integer("revision"),
                   snapshot_created=read.flag("snapshot_created"),
                   snapshot_id=read.optional_integer("snapshot_id"),
                   safety_snapshot_id=read.optional_integer("safety_snapshot_id"),
                   changes=read.records("changes", Change.from_json), json=read.data)


@dataclass(frozen=True, kw_only=True)
class ResetResult(Record):
    """Runtime overrides removed, after a safety snapshot (`snapshot_id`, also named
    `safety_snapshot_id` by servers that name it so for every write)."""

    reset: tuple[str, ...]
    snapshot_id: int
    safety_snapshot_id: int | None
    revision: int
    changes: tuple[Change, ...]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(reset=read.strings("reset"), snapshot_id=read.integer("snapshot_id"),
                   safety_snapshot_id=read.optional_integer("safety_snapshot_id"),
                   revision=read.integer("revision"),
                   changes=read.records("changes", Change.from_json), json=read.data)


@dataclass(frozen=True, kw_only=True)
class DryRunnable(Record):
    """What every write that can be a dry run answers (dry_runnable reads it)."""

    dry_run: bool
    diff: tuple[DiffRow, ...]
    safety_snapshot_id: int | None
    revision: int
    changes: tuple[Change, ...]


def dry_runnable(read: JsonObject) -> dict[str, Any]:
    """The fields of every answer of a write that can be a dry run (rollback, import,
    template apply): dry_run, diff, safety_snapshot_id, revision, changes, and the JSON."""
    return {"dry_run": read.flag("dry_run"), "diff": read.records("diff", DiffRow.from_json),
            "safety_snapshot_id": read.optional_integer("safety_snapshot_id"),
            "revision": read.integer("revision"),
            "changes": read.records("changes", Change.from_json), "json": read.data}


@dataclass(frozen=True, kw_only=True)
class RollbackResult(DryRunnable):
    """A snapshot (`snapshot_id`) restored, or with `dry_run` only its diff; the state it
    replaced was saved first as `safety_snapshot_id` (None for a dry run)."""

    snapshot_id: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(snapshot_id=read.integer("snapshot_id"), **dry_runnable(read))


@dataclass(frozen=True, kw_only=True)
class RestoreResult(DryRunnable):
    """A past revision's values (`restored_revision`) made current, or with `dry_run` only
    its diff; the state it replaced was saved first as `safety_snapshot_id` (None for a dry
    run or when nothing changed)."""

    restored_revision: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(restored_revision=read.integer("restored_revision"), **dry_runnable(read))


@dataclass(frozen=True, kw_only=True)
class ReportRow(Record):
    """One entry of another system's export: its name there, the key it names (None: no
    key) and its status: applied, unchanged or unknown key."""

    name: str
    key: str | None
    status: str

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(name=read.text("name"), key=read.optional_text("key"),
                   status=read.text("status"), json=read.data)


@dataclass(frozen=True, kw_only=True)
class ImportResult(DryRunnable):
    """A document's values applied, or with `dry_run` only its diff; the state it replaced
    was saved first as `snapshot_id`, also named `safety_snapshot_id` (None for a dry run
    or when nothing changed). An import of another system's export (`import_from`) names
    its `format` and `report`s what became of each entry."""

    snapshot_id: int | None
    format: str | None = None
    report: tuple[ReportRow, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        foreign = isinstance(data, dict) and "report" in data
        return cls(snapshot_id=read.optional_integer("snapshot_id"),
                   format=read.optional_text("format"),
                   report=read.records("report", ReportRow.from_json) if foreign else (),
                   **dry_runnable(read))


@dataclass(frozen=True, kw_only=True)
class ValidationStatus(Record):
    """Whether every file and environment value passed its rule, and why not."""

    valid: bool
    error_count: int
    errors: dict[str, list[str]]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(valid=read.flag("valid"), error_count=read.integer("error_count"),
                   errors=read.mapping("errors"), json=read.data)


@dataclass(frozen=True, kw_only=True)
class Status(Record):
    """The configuration's summary: its revision, how many keys take their value from
    each source, validation, and the effective values (sensitive ones masked unless the
    token is an admin's)."""

    status: str
    total_values: int
    revision: int
    sources: dict[str, int]
    validation_status: ValidationStatus
    custom_keys: int
    values: dict[str, Any]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(status=read.text("status"), total_values=read.integer("total_values"),
                   revision=read.integer("revision"), sources=read.mapping("sources"),
                   validation_status=read.nested("validation_status",
                                                 ValidationStatus.from_json),
                   custom_keys=read.integer("custom_keys"), values=read.mapping("values"),
                   json=read.data)


@dataclass(frozen=True, kw_only=True)
class Rule(Record):
    """A key's validation rule, with the API's names (`type`, `min`, `max`)."""

    key: str
    type: str
    default: Any
    min: float | None
    max: float | None
    min_exclusive: bool
    choices: tuple[str, ...] | None
    pattern: str | None
    required: bool
    sensitive: bool
    description: str
    unit: str | None
    error_message: str | None
    origin: str

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(key=read.text("key"), type=read.text("type"), default=read.value("default"),
                   min=read.optional_number("min"), max=read.optional_number("max"),
                   min_exclusive=read.flag("min_exclusive"),
                   choices=read.optional_strings("choices"),
                   pattern=read.optional_text("pattern"), required=read.flag("required"),
                   sensitive=read.flag("sensitive"), description=read.text("description"),
                   unit=read.optional_text("unit"),
                   error_message=read.optional_text("error_message"),
                   origin=read.text("origin"), json=read.data)


def validation_errors(data: object) -> list[str]:
    """The messages of a POST /validate answer ([] when the value is valid)."""
    return list(JsonObject(data, "validation").strings("validation_errors"))


__all__ = ["BatchResult", "Change", "DiffRow", "History", "ImportResult", "ResetResult",
           "RollbackResult", "Rule", "Status", "ValidationStatus", "ValueEntry",
           "validation_errors"]
