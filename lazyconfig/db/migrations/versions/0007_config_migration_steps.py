"""Config-migration steps applied

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

One row per config-migration step applied to this database, so each runs once
(docs/config-migrations.md).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('config_migration_steps',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('applied_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_by', sa.String(length=200), nullable=True),
    sa.Column('revision', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_migration_steps'))
    )


def downgrade() -> None:
    op.drop_table('config_migration_steps')
