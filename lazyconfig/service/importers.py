"""Importing other systems' exports (.env / properties, Consul, etcd): each entry's name is
mapped onto one of our keys and its text parsed by the key's type, then the values go in as
one ordinary import (snapshots.import_values: all or nothing, after a safety snapshot),
with a report of what became of every entry (docs/importers.md)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..domain import Change, ConfigurationValidationRule
from ..domain.foreign import Entry, read_foreign
from ..errors import ValidationFailed
from ..settings import PREFIX
from .results import _Fields
from .sources import env_name

APPLIED, UNCHANGED, UNKNOWN = "applied", "unchanged", "unknown key"


@dataclass(frozen=True, eq=False)
class ForeignImportResult(_Fields):
    format: str
    dry_run: bool
    diff: list[dict[str, Any]]
    snapshot_id: int | None  # the safety snapshot taken first; None if nothing changed
    safety_snapshot_id: int | None
    revision: int
    changes: list[Change]
    report: list[dict[str, Any]]  # per entry of the file: name, key, status


def key_names(rules: Mapping[str, ConfigurationValidationRule]) -> dict[str, str | None]:
    """The names an entry may give a key by: the key itself, its environment variable
    (LAZYCONFIG_LOAD_TIMEOUT) and that without the prefix (LOAD_TIMEOUT), as the environment
    layer names it (sources.env_name). A name two keys share names neither (None), unless
    it is one key's own name."""
    names: dict[str, str | None] = {}
    for key in rules:
        variable = env_name(key)
        for name in (variable, variable[len(PREFIX):]):
            names[name] = key if names.get(name, key) == key else None
    return {**names, **{key: key for key in rules}}


def _name_in(name: str, kind: str, prefix: str | None) -> str | None:
    """The part of an entry's name that names a key: a Consul or etcd path with `prefix`
    taken off and `/` read as `.`; None for a path outside the prefix."""
    if kind == "env":
        return name
    if prefix:
        if not name.startswith(prefix):
            return None
        name = name[len(prefix):]
    return name.strip("/").replace("/", ".")


def mapped(entries: list[Entry], rules: Mapping[str, ConfigurationValidationRule], kind: str,
           prefix: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """({key: parsed value}, the report so far); ValidationFailed naming every entry whose
    text does not parse as its key's type or whose key an earlier entry already gave."""
    names = key_names(rules)
    values: dict[str, Any] = {}
    report, errors, given = [], {}, {}
    for name, text in entries:
        inner = _name_in(name, kind, prefix)
        key = None if inner is None else names.get(inner)
        report.append({"name": name, "key": key, "status": UNKNOWN if key is None else None})
        if key is None:
            continue
        if key in given:
            errors[name] = [f"names the key {key} again (first as {given[key]!r})"]
            continue
        given[key] = name
        try:
            values[key] = rules[key].parse(text)
        except ValueError as exc:
            errors[name] = [f"cannot parse the text as {rules[key].value_type.value}"
                            + ("" if rules[key].sensitive else f": {exc}")]
    if errors:
        raise ValidationFailed(errors, "nothing was imported: " + "; ".join(
            f"{name}: {', '.join(messages)}" for name, messages in errors.items()))
    return values, report


class ForeignImports:
    """ConfigurationEngine's imports of other systems' exports (a mixin: uses the engine's
    replica and import_configuration)."""

    def import_from(self, kind: str, data: bytes, *, prefix: str | None = None,
                    dry_run: bool = False, user: str | None = None,
                    expected_revision: int | None = None, description: str | None = None,
                    request_id: str | None = None) -> ForeignImportResult:
        """Import an export of format `kind` (env, consul or etcd): entries that name no key
        are reported and left out; the rest go in as one import, refused whole (nothing
        changed) when any value is invalid. The report lists every entry of the file."""
        values, report = mapped(read_foreign(kind, data), self.replica.state.rules, kind,
                                prefix)
        done = self.import_configuration(
            {"version": 1, "values": values}, dry_run, user=user,
            expected_revision=expected_revision, request_id=request_id,
            description=description or f"import from {kind}")
        changed = {row["key"] for row in done.diff}
        for row in report:
            if row["status"] is None:
                row["status"] = APPLIED if row["key"] in changed else UNCHANGED
        return ForeignImportResult(kind, dry_run, done.diff, done.snapshot_id,
                                   done.safety_snapshot_id, done.revision, done.changes, report)
