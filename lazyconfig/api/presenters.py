"""Engine results as the API shows them: sensitive values masked for everyone but admins."""
from __future__ import annotations

from typing import Any, Iterable

from ..domain import Change, ConfigEntry
from ..domain.redaction import Redaction
from .context import engine, sees_sensitive


def redaction() -> Redaction:
    """How this request's caller may see values."""
    return engine().redaction(sees_sensitive())


def entry(item: ConfigEntry, decision=None) -> dict[str, Any]:
    """A key's value, source, layers, version and last change; with a targeting
    `decision`, the value and the layer that decided it for one context."""
    shown = redaction()
    value, source = (item.value, item.source) if decision is None else (decision.value,
                                                                        decision.layer)
    return {"key": item.key, "value": shown.value(item.key, value), "source": source,
            "layers": shown.layers(item.key, item.layers), "version": item.version,
            "updated_at": item.updated_at, "updated_by": item.updated_by,
            "sensitive": shown.is_sensitive(item.key)}


def past(configuration, shown_key=lambda key: True) -> dict[str, Any]:
    """The values at a past revision of the keys `shown_key` admits, in GET /values' shape:
    the log holds no layers."""
    shown = redaction()
    entries = {k: e for k, e in configuration.entries.items() if shown_key(k)}
    return {"values": [{"key": k, "value": shown.value(k, e.value), "source": e.source,
                        "layers": {}, "version": e.version, "updated_at": e.updated_at,
                        "updated_by": e.updated_by, "sensitive": shown.is_sensitive(k)}
                       for k, e in sorted(entries.items())],
            "count": len(entries), "revision": configuration.revision}


def changes(items: Iterable[Change]) -> list[dict[str, Any]]:
    """Change-log entries fresh from a write."""
    shown = redaction()
    return [shown.change(change) for change in items]


def write_result(result) -> dict[str, Any]:
    """A reset, rollback or import result with its changes masked."""
    return {**result, "changes": changes(result["changes"])}


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """The engine's summary masks always; admins get the real values."""
    if sees_sensitive():
        data = {**data, "values": {k: e.value for k, e in engine().entries().items()}}
    return data


def rule(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "default": redaction().value(record["key"], record["default"])}
