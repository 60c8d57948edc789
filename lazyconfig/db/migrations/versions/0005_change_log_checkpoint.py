"""The change log's checkpoint and the record of compactions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Compaction removes the oldest changes of the log; the checkpoint keeps each key's last
removed change, so versions and reads at every kept revision stay exact, and
change_compactions records who compacted, when, and up to which revision
(docs/operations.md, "Change-log retention").
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('change_checkpoint',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('revision', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('value', lazyconfig.db.base.JSONText().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_change_checkpoint'))
    )
    op.create_table('change_compactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('through', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_compactions'))
    )


def downgrade() -> None:
    op.drop_table('change_compactions')
    op.drop_table('change_checkpoint')
