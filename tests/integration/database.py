"""Read the tables directly, bypassing the engine, to check what a call really stored."""
from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, func, select

from lazyconfig.db.models import ChangeRow, RuleRow, SnapshotRow, ValueRow
from lazyconfig.domain import BUILTIN_RULES

DEFAULTS = {rule.key: rule.default_value for rule in BUILTIN_RULES}


class Tables:
    """The four tables as the database holds them, through a connection of our own."""

    def __init__(self, url: str):
        self.db = create_engine(url)

    def _rows(self, stmt) -> list[Any]:
        with self.db.connect() as conn:
            return list(conn.execute(stmt))

    def values(self) -> dict[tuple[str, str], Any]:
        """{(key, source): value} of config_values."""
        table = ValueRow.__table__
        return {(r.key, r.source): r.value for r in self._rows(select(table))}

    def changes(self, since: int = 0) -> list[Any]:
        table = ChangeRow.__table__
        return self._rows(select(table).where(table.c.id > since).order_by(table.c.id))

    def change_count(self) -> int:
        return self._rows(select(func.count()).select_from(ChangeRow.__table__))[0][0]

    def snapshots(self) -> list[Any]:
        table = SnapshotRow.__table__
        return self._rows(select(table).order_by(table.c.id))

    def rules(self) -> dict[str, Any]:
        return {r.key: r for r in self._rows(select(RuleRow.__table__))}

    def execute(self, stmt) -> None:
        with self.db.begin() as conn:
            conn.execute(stmt)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type (30 and 30.0 differ; True and 1 differ)."""
    return type(a) is type(b) and a == b
