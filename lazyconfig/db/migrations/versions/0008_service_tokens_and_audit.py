"""Service tokens, revoked token ids and the audit log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Opaque `lzc_` service tokens keep only a hash of their secret; token_revocations holds
the ids of revoked tokens (signed tokens' jti, service tokens' `lzc_<id>`) until they would
expire, its newest id being what every process polls; audit_log records token issue and
revocation (docs/auth.md).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _json():
    return lazyconfig.db.base.JSONText().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _time():
    return lazyconfig.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('service_tokens',
    sa.Column('id', ID, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('keys', _json(), nullable=True),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', _time(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('expires_at', _time(), nullable=True),
    sa.Column('last_used_at', _time(), nullable=True),
    sa.Column('revoked_at', _time(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_tokens'))
    )
    op.create_table('token_revocations',
    sa.Column('id', ID, nullable=False),
    sa.Column('token_id', sa.String(length=200), nullable=False),
    sa.Column('revoked_at', _time(), nullable=False),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('expires_at', _time(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token_revocations')),
    sa.UniqueConstraint('token_id', name=op.f('uq_token_revocations_token_id'))
    )
    op.create_table('audit_log',
    sa.Column('id', ID, nullable=False),
    sa.Column('at', _time(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('detail', _json(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
    op.drop_table('audit_log')
    op.drop_table('token_revocations')
    op.drop_table('service_tokens')
