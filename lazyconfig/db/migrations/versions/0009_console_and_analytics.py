"""Console accounts; daily change counts, undo delays and refusals for change analytics

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

console_users holds the accounts `lazyconfig user add` makes (argon2 hashes).
GET /analytics/changes must answer in under 300 ms over 1,000,000 changes, and reading a
million rows takes longer than that on either database, so a trigger on `changes` keeps
per-day counts by key and by user (change_counts) and, for each revert or rollback, the
seconds since the change it took back (change_undos); existing changes are counted here.
validation_refusals holds refused values, recorded in batches (docs/console.md).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UNDO = "('revert', 'rollback')"
SQLITE_DAY, POSTGRES_DAY = "substr(at, 1, 10)", "to_char(timezone('UTC', at), 'YYYY-MM-DD')"
# One row per change: its key's and its user's count of the day go up by one.
SQLITE_TRIGGER = f"""
CREATE TRIGGER changes_count AFTER INSERT ON changes BEGIN
    INSERT INTO change_counts (day, dimension, name, action, changes)
    VALUES (substr(NEW.at, 1, 10), 'key', NEW.key, NEW.action, 1),
           (substr(NEW.at, 1, 10), 'user', coalesce(NEW.actor, ''), NEW.action, 1)
    ON CONFLICT (day, dimension, name, action) DO UPDATE SET changes = changes + 1;
    INSERT INTO change_undos (at, key, seconds)
    SELECT NEW.at, NEW.key, (julianday(NEW.at) - julianday(c.at)) * 86400.0 FROM changes c
    WHERE NEW.action IN {UNDO} AND c.key = NEW.key AND c.id < NEW.id
    ORDER BY c.id DESC LIMIT 1;
END"""


def _counts(table: str, day: str) -> str:
    """The per-day counts of `table`'s changes (by key, then by user)."""
    return (f"SELECT {day}, 'key', key, action, count(*) FROM {table} GROUP BY 1, 3, 4 "
            f"UNION ALL SELECT {day}, 'user', coalesce(actor, ''), action, count(*) "
            f"FROM {table} GROUP BY 1, 3, 4")


def _undos(table: str, seconds: str) -> str:
    """Each revert or rollback in `table` with the seconds since its key's change before."""
    return (f"SELECT n.at, n.key, {seconds} FROM {table} n JOIN changes p ON p.id = "
            "(SELECT max(c.id) FROM changes c WHERE c.key = n.key AND c.id < n.id) "
            f"WHERE n.action IN {UNDO}")


POSTGRES_SECONDS = "extract(epoch FROM n.at - p.at)"
SQLITE_SECONDS = "(julianday(n.at) - julianday(p.at)) * 86400.0"
# One statement, however many rows (a 10,000-key rollback is one COPY): counted together.
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION lazyconfig_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_counts (day, dimension, name, action, changes)
    {_counts('new_changes', POSTGRES_DAY)}
    ON CONFLICT (day, dimension, name, action)
    DO UPDATE SET changes = change_counts.changes + EXCLUDED.changes;
    INSERT INTO change_undos (at, key, seconds) {_undos('new_changes', POSTGRES_SECONDS)};
    RETURN NULL;
END
$$"""


def upgrade() -> None:
    op.create_table('console_users',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_console_users'))
    )
    op.create_table('change_counts',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'dimension', 'name', 'action', name=op.f('pk_change_counts'))
    )
    op.create_table('change_undos',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('seconds', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_undos'))
    )
    op.create_index(op.f('ix_change_undos_at'), 'change_undos', ['at'], unique=False)
    op.create_table('validation_refusals',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_refusals'))
    )
    op.create_index(op.f('ix_validation_refusals_at'), 'validation_refusals', ['at'],
                    unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute("INSERT INTO change_counts (day, dimension, name, action, changes) "
               + _counts("changes", POSTGRES_DAY if postgres else SQLITE_DAY))
    op.execute("INSERT INTO change_undos (at, key, seconds) "
               + _undos("changes", POSTGRES_SECONDS if postgres else SQLITE_SECONDS))
    if postgres:
        op.execute(POSTGRES_FUNCTION)
        op.execute("CREATE TRIGGER changes_count AFTER INSERT ON changes REFERENCING NEW TABLE "
                   "AS new_changes FOR EACH STATEMENT EXECUTE FUNCTION "
                   "lazyconfig_count_changes()")
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS changes_count ON changes")
        op.execute("DROP FUNCTION IF EXISTS lazyconfig_count_changes()")
    else:
        op.execute("DROP TRIGGER IF EXISTS changes_count")
    op.drop_index(op.f('ix_validation_refusals_at'), table_name='validation_refusals')
    op.drop_table('validation_refusals')
    op.drop_index(op.f('ix_change_undos_at'), table_name='change_undos')
    op.drop_table('change_undos')
    op.drop_table('change_counts')
    op.drop_table('console_users')
