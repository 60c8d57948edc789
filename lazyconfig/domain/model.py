"""Plain records the engine hands out: a change-log entry and a key's current entry."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

SOURCES = ("default", "service", "file", "environment", "runtime")  # lowest to highest
WRITABLE_SOURCES = ("service", "runtime")


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type: 1, 1.0 and True are different values to a configuration."""
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Change:
    """One row of the change log; `revision` is its global, increasing id."""

    revision: int
    timestamp: datetime
    key: str
    old_value: Any
    new_value: Any
    source: str
    action: str
    user: str | None
    description: str | None
    batch_id: str | None = None
    request_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # Shallow (asdict deep-copies every value): callers serialise it, never change it.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["timestamp"] = self.timestamp.isoformat()
        return data


@dataclass(frozen=True)
class ConfigEntry:
    """A key's effective value, where it came from, and every layer present."""

    key: str
    value: Any
    source: str
    layers: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class SnapshotInfo:
    """A snapshot's metadata; `timestamp` is the spec's name for its creation time."""

    id: int
    description: str | None
    tags: tuple[str, ...]
    created_at: datetime
    created_by: str | None
    revision: int
    key_count: int
    pinned: bool

    def as_dict(self) -> dict[str, Any]:
        created = self.created_at.isoformat()
        return {"id": self.id, "description": self.description, "tags": list(self.tags),
                "timestamp": created, "created_at": created, "created_by": self.created_by,
                "revision": self.revision, "key_count": self.key_count, "pinned": self.pinned}


@dataclass(frozen=True)
class Snapshot:
    """A snapshot's metadata and the persisted layers it captured ({key: {source: value}})."""

    info: SnapshotInfo
    data: dict[str, dict[str, Any]]
