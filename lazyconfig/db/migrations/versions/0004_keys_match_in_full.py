"""Keys that were a valid name plus a trailing newline

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

Key names were matched with `$`, which also accepts one final newline, so a rule for
"load_timeout\n" could be defined beside "load_timeout" (both list as load_timeout). Names
now match in full (domain/rules.py), and such a rule would no longer load. Each becomes the
name without the newline when that name is free; when it is taken, the rule and its values
go (from snapshots too). Change-log rows stay, as history. No schema change.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import lazyconfig.db.base

revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RULE_COLUMNS = ("value_type", "default", "min_value", "max_value", "min_exclusive", "choices",
                "pattern", "required", "sensitive", "unit", "description", "error_message",
                "origin", "updated_at", "updated_by")
rules = sa.table("config_rules", sa.column("key"), *map(sa.column, RULE_COLUMNS))
values = sa.table("config_values", sa.column("key"))
changes = sa.table("changes", sa.column("key"))
snapshots = sa.table("snapshots", sa.column("id"),
                     sa.column("data", lazyconfig.db.base.JSONValue))


def upgrade() -> None:
    conn = op.get_bind()
    keys = set(conn.scalars(sa.select(rules.c.key)))
    bad = sorted(key for key in keys if key.endswith("\n"))
    if not bad:
        return
    renamed = {key: key[:-1] for key in bad if key[:-1] not in keys}
    for key in bad:
        if key in renamed:
            _rename(conn, key, renamed[key])
        else:
            conn.execute(values.delete().where(values.c.key == key))
            conn.execute(rules.delete().where(rules.c.key == key))
    for snapshot_id, data in conn.execute(sa.select(snapshots.c.id, snapshots.c.data)).all():
        if any(key in data for key in bad):
            conn.execute(snapshots.update().where(snapshots.c.id == snapshot_id)
                         .values(data=_fixed(data, renamed)))


def _rename(conn, old: str, new: str) -> None:
    # The new rule row first: config_values.key refers to it.
    copy = sa.select(sa.literal(new), *(rules.c[name] for name in RULE_COLUMNS))
    conn.execute(rules.insert().from_select(["key", *RULE_COLUMNS],
                                            copy.where(rules.c.key == old)))
    conn.execute(values.update().where(values.c.key == old).values(key=new))
    conn.execute(changes.update().where(changes.c.key == old).values(key=new))
    conn.execute(rules.delete().where(rules.c.key == old))


def _fixed(data: dict, renamed: dict) -> dict:
    fixed = {key: layers for key, layers in data.items() if not key.endswith("\n")}
    for key, layers in data.items():
        if key in renamed and renamed[key] not in fixed:
            fixed[renamed[key]] = layers
    return fixed


def downgrade() -> None:
    pass  # the fixed names are valid at every revision
