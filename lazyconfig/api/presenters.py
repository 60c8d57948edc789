"""Engine results as the API shows them: sensitive values masked for everyone but admins."""
from __future__ import annotations

from typing import Any, Iterable

from ..domain import Change, ConfigEntry
from .auth import sees_sensitive
from .context import engine


def _mask(key: str, value: Any) -> Any:
    return value if sees_sensitive() else engine().mask(key, value)


def entry(item: ConfigEntry) -> dict[str, Any]:
    """A key's value, source, layers, version and last change."""
    return {"key": item.key, "value": _mask(item.key, item.value), "source": item.source,
            "layers": {source: _mask(item.key, v) for source, v in item.layers.items()},
            "version": item.version, "updated_at": item.updated_at,
            "updated_by": item.updated_by, "sensitive": engine().is_sensitive(item.key)}


def changes(items: Iterable[Change]) -> list[dict[str, Any]]:
    """Change-log entries fresh from a write (the engine's readers mask by themselves)."""
    shown = []
    for change in items:
        data = change.as_dict()
        data["old_value"] = _mask(change.key, change.old_value)
        data["new_value"] = _mask(change.key, change.new_value)
        shown.append(data)
    return shown


def write_result(result: dict[str, Any]) -> dict[str, Any]:
    """A reset, rollback or import result with its changes masked."""
    return {**result, "changes": changes(result.get("changes", []))}


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """The engine's summary masks always; admins get the real values."""
    if sees_sensitive():
        data = {**data, "values": {k: e.value for k, e in engine().entries().items()}}
    return data


def rule(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "default": _mask(record["key"], record["default"])}
