"""Snapshot records: a snapshot's metadata, the snapshot with its values, a page of them,
and the diff between two snapshots (or a snapshot and now). Read as records.py explains."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from .json_object import JsonObject, Record


@dataclass(frozen=True, kw_only=True)
class SnapshotInfo(Record):
    """A snapshot's metadata: `timestamp` is when it was taken, `revision` the revision it
    captured; a pinned snapshot is never deleted by retention."""

    id: int
    description: str | None
    tags: tuple[str, ...]
    timestamp: datetime
    created_by: str | None
    revision: int
    key_count: int
    pinned: bool

    @classmethod
    def from_json(cls, data: object) -> Self:
        return cls(**cls._fields(JsonObject(data, cls.__name__)))

    @classmethod
    def _fields(cls, read: JsonObject) -> dict[str, Any]:
        return {"id": read.integer("id"), "description": read.optional_text("description"),
                "tags": read.strings("tags"), "timestamp": read.moment("timestamp"),
                "created_by": read.optional_text("created_by"),
                "revision": read.integer("revision"), "key_count": read.integer("key_count"),
                "pinned": read.flag("pinned"), "json": read.data}


@dataclass(frozen=True, kw_only=True)
class Snapshot(SnapshotInfo):
    """A snapshot with the persisted layers it captured: {key: {source: value}}."""

    values: dict[str, dict[str, Any]]

    @classmethod
    def _fields(cls, read: JsonObject) -> dict[str, Any]:
        return {**super()._fields(read), "values": read.mapping("values")}


@dataclass(frozen=True, kw_only=True)
class SnapshotPage(Record):
    """One page of snapshot metadata, newest first, and how many snapshots there are."""

    snapshots: tuple[SnapshotInfo, ...]
    total: int
    page: int
    page_size: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(snapshots=read.records("snapshots", SnapshotInfo.from_json),
                   total=read.integer("total"), page=read.integer("page"),
                   page_size=read.integer("page_size"), json=read.data)


@dataclass(frozen=True, kw_only=True)
class KeyDiff(Record):
    """One key's persisted layers before and after, with the top value of each."""

    key: str
    old_value: Any
    new_value: Any
    old_layers: dict[str, Any]
    new_layers: dict[str, Any]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(key=read.text("key"), old_value=read.value("old_value"),
                   new_value=read.value("new_value"), old_layers=read.mapping("old_layers"),
                   new_layers=read.mapping("new_layers"), json=read.data)


@dataclass(frozen=True, kw_only=True)
class Diff(Record):
    """Keys added, removed and changed in the persisted values from snapshot
    `from_snapshot` to snapshot `to_snapshot`, or to the current configuration (None). The
    JSON names them `from` and `to`; `from` is a Python keyword."""

    from_snapshot: int
    to_snapshot: int | None
    added: tuple[KeyDiff, ...]
    removed: tuple[KeyDiff, ...]
    changed: tuple[KeyDiff, ...]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(from_snapshot=read.integer("from"),
                   to_snapshot=None if read.value("to") == "current" else read.integer("to"),
                   added=read.records("added", KeyDiff.from_json),
                   removed=read.records("removed", KeyDiff.from_json),
                   changed=read.records("changed", KeyDiff.from_json), json=read.data)


__all__ = ["Diff", "KeyDiff", "Snapshot", "SnapshotInfo", "SnapshotPage"]
