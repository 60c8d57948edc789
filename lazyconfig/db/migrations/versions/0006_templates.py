"""Templates: named, versioned sets of values

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Stored templates (docs/templates.md); the built-in ones ship in the package and are not
stored.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import lazyconfig.db.base  # noqa: F401  (custom column types such as UTCDateTime)

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _json() -> sa.types.TypeEngine:
    return lazyconfig.db.base.JSONText().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('templates',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=True),
    sa.Column('params', _json(), nullable=False),
    sa.Column('values', _json(), nullable=False),
    sa.Column('derived', _json(), nullable=False),
    sa.Column('created_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lazyconfig.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_templates'))
    )


def downgrade() -> None:
    op.drop_table('templates')
