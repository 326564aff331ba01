"""contact requests from the public showcase: a visitor's question about a public output or
need, stored first and routed to the broker on duty for its chain (who marks it handled)

Revision ID: ff6c1d04ece9
Revises: 0c72ddc7573d
Create Date: 2026-12-06 14:28:10.380472

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'ff6c1d04ece9'
down_revision = '0c72ddc7573d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_title', sa.String(length=200), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notice_version', sa.String(length=20), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('broker_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("email <> '' OR phone <> ''", name=op.f('ck_contact_requests_reachable')),
    sa.CheckConstraint("side IN ('output', 'need')", name=op.f('ck_contact_requests_side_known')),
    sa.CheckConstraint("status IN ('open', 'handled')", name=op.f('ck_contact_requests_status_known')),
    sa.ForeignKeyConstraint(['broker_id'], ['users.id'], name=op.f('fk_contact_requests_broker_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['chain_id'], ['chains.id'], name=op.f('fk_contact_requests_chain_id_chains'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_contact_requests_handled_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_requests'))
    )
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.create_index('ix_contact_requests_broker_status', ['broker_id', 'status'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_requests_broker_status')

    op.drop_table('contact_requests')
