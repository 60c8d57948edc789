"""The lease of scheduled backups

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

One row per schedule holds the newest interval slot a process claimed, so that across
workers and instances one process takes each scheduled backup (docs/backups.md).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('backup_schedule',
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('slot', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('holder', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_backup_schedule'))
    )


def downgrade() -> None:
    op.drop_table('backup_schedule')
