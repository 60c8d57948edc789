"""Value rows: the persisted layers, one row per (key, source)."""
from __future__ import annotations

import functools
from typing import Any, Iterable, Mapping

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..base import detached
from ..models import ValueRow

# Every write runs these; built once, they skip SQLAlchemy's per-call statement building.
_VALUES = ValueRow.__table__
_LAYERS = select(_VALUES.c.key, _VALUES.c.source, _VALUES.c.value)
_LAYERS_OF = _LAYERS.where(_VALUES.c.key.in_(bindparam("keys", expanding=True)))
_REMOVED = object()  # a deleted (key, source) in ValueRepository._written


@functools.cache
def _upsert(dialect: str):
    """INSERT ... ON CONFLICT (key, source) DO UPDATE of value rows, once per dialect."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_VALUES)
    return stmt.on_conflict_do_update(
        index_elements=[_VALUES.c.key, _VALUES.c.source],
        set_={c: stmt.excluded[c] for c in
              ("value", "revision", "updated_at", "updated_by", "description")})


class ValueRepository:
    def __init__(self, session: Session):
        self.session = session
        self._written: dict[tuple[str, str], Any] = {}  # (key, source) -> value or _REMOVED

    def layers(self, keys: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """The persisted layers as {key: {source: value}}, for all keys or the given ones.
        Plain columns, not ORM objects, so a read after a bulk upsert is never stale."""
        if keys is None:
            rows = self.session.execute(_LAYERS)
        else:
            rows = self.session.execute(_LAYERS_OF, {"keys": list(keys)})
        layers: dict[str, dict[str, Any]] = {}
        for key, source, value in rows:
            layers.setdefault(key, {})[source] = value
        return layers

    def written_layers(self, before: Mapping[str, dict[str, Any]],
                       keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """What layers(keys) would read back after this session's put_many and delete_many,
        given the layers `before` them, without reading."""
        layers = {key: dict(before.get(key, {})) for key in keys}
        for (key, source), value in self._written.items():
            if key in layers:
                if value is _REMOVED:
                    layers[key].pop(source, None)
                else:
                    layers[key][source] = value
        return {key: found for key, found in layers.items() if found}

    def put_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert or replace (key, source) rows in one statement."""
        if rows:
            self.session.execute(_upsert(self.session.get_bind().dialect.name), rows)
            self._written.update(((row["key"], row["source"]), detached(row["value"]))
                                 for row in rows)

    def delete_many(self, pairs: Iterable[tuple[str, str]]) -> None:
        by_source: dict[str, list[str]] = {}
        for key, source in pairs:
            by_source.setdefault(source, []).append(key)
        for source, keys in by_source.items():
            self.session.execute(
                delete(ValueRow).where(ValueRow.source == source, ValueRow.key.in_(keys)))
            self._written.update(((key, source), _REMOVED) for key in keys)
