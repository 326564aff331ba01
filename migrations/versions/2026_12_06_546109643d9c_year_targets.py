"""year targets: the dashboard's yearly targets, one row per (year, metric), edited by
operators (dashboard/services.py) with optimistic locking

Revision ID: 546109643d9c
Revises: c3d9e2f1a6b8
Create Date: 2026-12-06 14:26:20.032516

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '546109643d9c'
down_revision = 'c3d9e2f1a6b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('year_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('target', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('target >= 0', name=op.f('ck_year_targets_target_positive')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_year_targets_year_range')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_year_targets_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_year_targets')),
    sa.UniqueConstraint('year', 'metric', name=op.f('uq_year_targets_year'))
    )


def downgrade():
    op.drop_table('year_targets')
