"""The write ceiling's two tables, a value per key and a change log, and its one write."""
from __future__ import annotations

from sqlalchemy import (Column, Connection, Integer, MetaData, String, Table, Text, insert,
                        update)

from lazyconfig.db.connection import make_engine

metadata = MetaData()
values = Table("bench_ceiling_values", metadata,
               Column("key", String(128), primary_key=True), Column("value", Text),
               Column("revision", Integer, nullable=False))
changes = Table("bench_ceiling_changes", metadata,
                Column("id", Integer, primary_key=True), Column("key", String(128)),
                Column("value", Text), Column("user", String(200)))


def prepare(url: str, keys: list[str]) -> None:
    """Create the two tables in `url` afresh, with one row per key."""
    db = make_engine(url)
    metadata.drop_all(db)
    metadata.create_all(db)
    with db.begin() as conn:
        conn.execute(insert(values), [{"key": k, "value": "0", "revision": 0} for k in keys])
    db.dispose()


def write(conn: Connection, key: str, value: str, user: str) -> None:
    """Update the key's row and log the change (the caller holds the transaction)."""
    conn.execute(update(values).where(values.c.key == key)
                 .values(value=value, revision=values.c.revision + 1))
    conn.execute(insert(changes).values(key=key, value=value, user=user))
