"""Gradual rollouts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

A rollout gives new values of some keys to a growing share of the clients, step by step
(docs/targeting.md); its row holds the step it is at and when that step is due to end, so
whichever process claims the next step can drive it, across restarts.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('rollouts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('definition', lazyconfig.db.base.JSONText().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('step_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('ended_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollouts'))
    )
    op.create_table('rollout_observations',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('rollout_id', BIG_ID, nullable=False),
    sa.Column('new', sa.Boolean(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rollout_id'], ['rollouts.id'],
                            name=op.f('fk_rollout_observations_rollout_id_rollouts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollout_observations'))
    )
    op.create_index('ix_rollout_observations_rollout', 'rollout_observations',
                    ['rollout_id', 'metric', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rollout_observations_rollout', table_name='rollout_observations')
    op.drop_table('rollout_observations')
    op.drop_table('rollouts')
