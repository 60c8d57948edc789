"""Experiments, their exposures and metric observations

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

An experiment gives the variants of one key's value to shares of the clients
(docs/targeting.md); clients report which variant they saw (one exposure per unit) and
metric observations, which results aggregate per variant and metric in SQL.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('experiments',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('definition', lazyconfig.db.base.JSONText().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('ended_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('winner', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['key'], ['config_rules.key'],
                            name=op.f('fk_experiments_key_config_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiments'))
    )
    op.create_table('experiment_exposures',
    sa.Column('experiment_id', BIG_ID, nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('variant', sa.String(length=64), nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'],
                            name=op.f('fk_experiment_exposures_experiment_id_experiments'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('experiment_id', 'unit', name=op.f('pk_experiment_exposures'))
    )
    op.create_table('experiment_observations',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('experiment_id', BIG_ID, nullable=False),
    sa.Column('variant', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'],
                            name=op.f('fk_experiment_observations_experiment_id_experiments'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_observations'))
    )
    op.create_index('ix_experiment_observations_experiment', 'experiment_observations',
                    ['experiment_id', 'variant', 'metric'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_experiment_observations_experiment', table_name='experiment_observations')
    op.drop_table('experiment_observations')
    op.drop_table('experiment_exposures')
    op.drop_table('experiments')
