"""Named watchers: who they are, what they acknowledged, when they were last seen
(service/clients.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import ChangeRow, WatchClientRow


class WatchClientRepository:
    def __init__(self, session: Session):
        self.session = session

    def save_many(self, reports: list[dict[str, Any]]) -> None:
        """Upsert each report {id, host, version, transport, acked, seen_at}; an
        acknowledged revision only grows, a missing one (None) keeps the stored one."""
        for report in reports:
            row = self.session.get(WatchClientRow, report["id"])
            if row is None:
                self.session.add(WatchClientRow(**report))
                continue
            acked = report["acked"]
            if acked is None or (row.acked is not None and row.acked > acked):
                acked = row.acked
            row.host, row.version = report["host"] or row.host, report["version"] or row.version
            row.transport, row.acked = report["transport"], acked
            row.seen_at = max(row.seen_at, report["seen_at"])
        self.session.flush()

    def seen_since(self, since: datetime) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(WatchClientRow).where(WatchClientRow.seen_at >= since)
                                    .order_by(WatchClientRow.id))
        return [{"id": r.id, "host": r.host, "version": r.version, "transport": r.transport,
                 "acked": r.acked, "seen_at": r.seen_at} for r in rows]

    def forget(self, seen_before: datetime) -> int:
        return self.session.execute(delete(WatchClientRow)
                                    .where(WatchClientRow.seen_at < seen_before)).rowcount

    def committed_after(self, revisions: set[int]) -> dict[int, datetime]:
        """For each revision, when the first change after it in the kept log was committed
        (revisions with none after them are left out)."""
        found = {}
        for revision in revisions:
            at = self.session.scalar(select(func.min(ChangeRow.at))
                                     .where(ChangeRow.id > revision))
            if at is not None:
                found[revision] = at
        return found
