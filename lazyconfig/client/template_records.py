"""Template records: a template, the result of applying one, and its drift. Read as
records.py explains."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from .json_object import JsonObject, Record
from .records import DryRunnable, dry_runnable


@dataclass(frozen=True, kw_only=True)
class Template(Record):
    """A template: literal `values`, `derived` ones as expressions over `params`
    ({name: {type, default, ...}}); sensitive keys' values masked unless the token is an
    admin's. Built-in templates are read-only."""

    name: str
    description: str | None
    version: int
    author: str | None
    builtin: bool
    params: dict[str, Any]
    values: dict[str, Any]
    derived: dict[str, Any]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(name=read.text("name"), description=read.optional_text("description"),
                   version=read.integer("version"), author=read.optional_text("author"),
                   builtin=read.flag("builtin"), params=read.mapping("params"),
                   values=read.mapping("values"), derived=read.mapping("derived"),
                   json=read.data)


@dataclass(frozen=True, kw_only=True)
class TemplateApplied(DryRunnable):
    """A template (`name`, at `version`) applied, or with `dry_run` only its diff; the state
    it replaced was saved first as `safety_snapshot_id` (None for a dry run, or when
    nothing changed)."""

    name: str
    version: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(name=read.text("name"), version=read.integer("version"),
                   **dry_runnable(read))


@dataclass(frozen=True, kw_only=True)
class TemplateDrift(Record):
    """The keys whose value differs from what the template would give: each a dict of
    key, template_value, current_value and source."""

    name: str
    version: int
    in_sync: bool
    drift: tuple[dict[str, Any], ...]

    @classmethod
    def from_json(cls, data: object) -> Self:
        read = JsonObject(data, cls.__name__)
        return cls(name=read.text("name"), version=read.integer("version"),
                   in_sync=read.flag("in_sync"),
                   drift=read.records("drift", lambda item: JsonObject(item, "drift").data),
                   json=read.data)


__all__ = ["Template", "TemplateApplied", "TemplateDrift"]
