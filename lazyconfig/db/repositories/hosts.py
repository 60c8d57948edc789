"""Host rows: which hosts are alive and which write (coherence/read_lease.py)."""
from __future__ import annotations

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ..models import HostRow


def database_clock(dialect: str) -> str:
    """SQL for the database server's clock in seconds since the epoch: the one clock all
    hosts share (clock_timestamp(), not now(): the time of the statement, not of BEGIN)."""
    if dialect == "postgresql":
        return "extract(epoch from clock_timestamp())::float8"
    return "((julianday('now') - 2440587.5) * 86400.0)"


class HostRepository:
    """Which hosts are alive, and which write (read_lease.py)."""

    def __init__(self, session: Session):
        self.session = session

    def enlist(self, host_id: str, writes: bool) -> tuple[float, float | None]:
        """Mark `host_id` alive now (and a writer, if `writes`; a writer stays one). Returns
        the database's clock and when the host was last seen as a writer before (None if
        it was not one)."""
        clock = text(database_clock(self.session.get_bind().dialect.name))
        now = self.session.scalar(select(clock))
        row = self.session.get(HostRow, host_id)
        if row is None:
            self.session.add(HostRow(id=host_id, seen_at=now, writes=writes))
            self.session.flush()
            return now, None
        seen_writing = row.seen_at if row.writes else None
        row.seen_at, row.writes = now, row.writes or writes
        self.session.flush()
        return now, seen_writing

    def forget(self, seen_before: float) -> None:
        self.session.execute(delete(HostRow).where(HostRow.seen_at < seen_before))

    def newest_other(self, host_id: str) -> float | None:
        """When a host other than `host_id` was last seen."""
        return self.session.scalar(select(func.max(HostRow.seen_at)).where(HostRow.id != host_id))
