"""PostgreSQL notifies listeners from a trigger on the change log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Every write used to send its own `SELECT pg_notify(...)`: one more round trip while it
holds the database-wide write lock. A statement-level trigger on `changes` sends the same
notification from inside the INSERT, and PostgreSQL still delivers it only on commit.
SQLite has no NOTIFY (its watchers poll), so this migration does nothing there.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHANNEL = "lazyconfig_changes"  # lazyconfig.db.repositories.changes.NOTIFY_CHANNEL, as of this revision


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The payload is empty: listeners re-read the log, and identical payloads in one
    # transaction collapse into one notification. OR REPLACE: dropping the tables (as a
    # reset by hand might) leaves the function behind.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION lazyconfig_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$""")
    op.execute("CREATE TRIGGER changes_notify AFTER INSERT ON changes "
               "FOR EACH STATEMENT EXECUTE FUNCTION lazyconfig_notify_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS changes_notify ON changes")
    op.execute("DROP FUNCTION IF EXISTS lazyconfig_notify_change()")
