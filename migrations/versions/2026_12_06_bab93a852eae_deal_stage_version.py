"""deal stage version: optimistic locking on deal_stages (two operators editing one stage),
and stage_changes, the append-only record of what operators changed on the stages (refused
UPDATE/DELETE on PostgreSQL, as deal_history)

Revision ID: bab93a852eae
Revises: 2dc05d961fa1
Create Date: 2026-12-06 16:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'bab93a852eae'
down_revision = '2dc05d961fa1'
branch_labels = None
depends_on = None


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION stage_changes_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stage_changes is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER stage_changes_append_only
BEFORE UPDATE OR DELETE ON stage_changes
FOR EACH STATEMENT EXECUTE FUNCTION stage_changes_refuse_change()
"""


def upgrade():
    with op.batch_alter_table('deal_stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))
    with op.batch_alter_table('deal_stages', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)

    op.create_table('stage_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_stage_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['stage_id'], ['deal_stages.id'], name=op.f('fk_stage_changes_stage_id_deal_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_changes'))
    )
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_changes_stage_id'), ['stage_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS stage_changes_append_only ON stage_changes')
        op.execute('DROP FUNCTION IF EXISTS stage_changes_refuse_change()')
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_changes_stage_id'))
        batch_op.drop_index('ix_stage_changes_at')

    op.drop_table('stage_changes')
    with op.batch_alter_table('deal_stages', schema=None) as batch_op:
        batch_op.drop_column('version')
