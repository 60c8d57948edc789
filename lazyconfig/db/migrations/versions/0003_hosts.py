"""A table of hosts, so readers can skip the per-read head query

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

A reader may answer from memory without asking the change log's head while it holds a
read lease (lazyconfig/read_lease.py); the lease needs to know which other hosts write.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('hosts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('seen_at', sa.Double(), nullable=False),
    sa.Column('writes', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hosts'))
    )


def downgrade() -> None:
    op.drop_table('hosts')
