"""The scheduled-backup lease: which process takes the backup of each interval."""
from __future__ import annotations

import math

from sqlalchemy import Engine, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..connection import WRITE_OPTION
from ..models import BackupScheduleRow
from .hosts import database_clock


def claim_slot(engine: Engine, name: str, interval: float, holder: str) -> int | None:
    """Claim the current interval slot (the database's clock // `interval`) for `holder`;
    the slot when this call won it, None when another process already had it. One
    conditional UPDATE decides, so two claimants never both win a slot."""
    clock = text(database_clock(engine.dialect.name))
    with engine.connect() as conn:  # a read first: most ticks find the slot taken
        now = conn.scalar(select(clock))
        taken = conn.scalar(select(BackupScheduleRow.slot).where(BackupScheduleRow.name == name))
    slot = math.floor(now / interval)
    if taken is not None and taken >= slot:
        return None
    inserting = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        conn.execute(inserting(BackupScheduleRow).values(
            name=name, slot=-1, holder=None, claimed_at=0.0).on_conflict_do_nothing())
        won = conn.execute(update(BackupScheduleRow).where(
            BackupScheduleRow.name == name, BackupScheduleRow.slot < slot).values(
            slot=slot, holder=holder, claimed_at=now)).rowcount
    return slot if won == 1 else None
