"""Named watchers and the last revision each acknowledged

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

GET /clients and GET /notifications/{revision}/delivery read this table; each worker
writes what changed at most once a second (service/clients.py, docs/notifications.md).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('watch_clients',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=200), nullable=False),
    sa.Column('transport', sa.String(length=16), nullable=False),
    sa.Column('acked', BIG_ID, nullable=True),
    sa.Column('seen_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_clients'))
    )
    op.create_index(op.f('ix_watch_clients_seen_at'), 'watch_clients', ['seen_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_watch_clients_seen_at'), table_name='watch_clients')
    op.drop_table('watch_clients')
