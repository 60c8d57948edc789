"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('old_value', lazyconfig.db.base.JSONText().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True),
    sa.Column('new_value', lazyconfig.db.base.JSONText().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_changes'))
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_key_id', ['key', 'id'], unique=False)

    op.create_table('config_rules',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value_type', sa.String(length=16), nullable=False),
    sa.Column('default', lazyconfig.db.base.JSONText().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True),
    sa.Column('min_value', sa.Double(), nullable=True),
    sa.Column('max_value', sa.Double(), nullable=True),
    sa.Column('min_exclusive', sa.Boolean(), nullable=False),
    sa.Column('choices', lazyconfig.db.base.JSONText().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True),
    sa.Column('pattern', sa.String(length=500), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('updated_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_config_rules'))
    )
    op.create_table('snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('tags', lazyconfig.db.base.JSONText().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('created_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('revision', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key_count', sa.Integer(), nullable=False),
    sa.Column('data', lazyconfig.db.base.JSONText().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshots'))
    )
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshots_created_at'), ['created_at'], unique=False)

    op.create_table('config_values',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('value', lazyconfig.db.base.JSONText().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True),
    sa.Column('revision', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('updated_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['key'], ['config_rules.key'], name=op.f('fk_config_values_key_config_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_values')),
    sa.UniqueConstraint('key', 'source', name=op.f('uq_config_values_key_source'))
    )


def downgrade() -> None:
    op.drop_table('config_values')
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshots_created_at'))

    op.drop_table('snapshots')
    op.drop_table('config_rules')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_key_id')

    op.drop_table('changes')
