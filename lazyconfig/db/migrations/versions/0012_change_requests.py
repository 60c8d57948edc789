"""Change policies and four-eyes change requests, with scheduled apply

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

change_policies names the keys (glob patterns) a write to which needs approvals;
change_requests holds each held write, its content hash (approvals are bound to it), its
state and schedule. The index on (state, scheduled_at) is what every serving process's
scheduler asks each quarter second: the approved requests now due (docs/change-requests.md).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _json():
    return lazyconfig.db.base.JSONText().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _time():
    return lazyconfig.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('change_policies',
    sa.Column('id', ID, nullable=False),
    sa.Column('pattern', sa.String(length=200), nullable=False),
    sa.Column('approvals', sa.Integer(), nullable=False),
    sa.Column('created_at', _time(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_policies'))
    )
    op.create_table('change_requests',
    sa.Column('id', ID, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', _time(), nullable=False),
    sa.Column('updated_at', _time(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('updates', _json(), nullable=False),
    sa.Column('expected_versions', _json(), nullable=False),
    sa.Column('diff', _json(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('approvals_needed', sa.Integer(), nullable=False),
    sa.Column('approvals', _json(), nullable=False),
    sa.Column('scheduled_at', _time(), nullable=True),
    sa.Column('break_glass', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('applied_at', _time(), nullable=True),
    sa.Column('applied_revision', sa.BigInteger(), nullable=True),
    sa.Column('applied_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests'))
    )
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_requests_state'), ['state', 'scheduled_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_requests_state'))
    op.drop_table('change_requests')
    op.drop_table('change_policies')
