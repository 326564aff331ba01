"""match weight changes: the append-only history of the matcher's weights as `flask match
tune --apply` sets them (who, when, before, after, the tuning report); refused UPDATE/DELETE
on PostgreSQL

Revision ID: c8a4f2e7b915
Revises: b7e4a91c2d30
Create Date: 2026-12-06 20:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8a4f2e7b915'
down_revision = 'b7e4a91c2d30'
branch_labels = None
depends_on = None

# Rows are only ever inserted: the database refuses the rest, whoever asks (the app also
# refuses in the ORM; SQLite has no such guard beyond the app).
APPEND_ONLY_FUNCTION = """
CREATE FUNCTION match_weight_changes_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'match_weight_changes is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER match_weight_changes_append_only
BEFORE UPDATE OR DELETE ON match_weight_changes
FOR EACH STATEMENT EXECUTE FUNCTION match_weight_changes_refuse_change()
"""


def upgrade():
    op.create_table('match_weight_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=120), nullable=False),
    sa.Column('weights_before', sa.JSON(), nullable=False),
    sa.Column('weights_after', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                            name=op.f('fk_match_weight_changes_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_weight_changes'))
    )
    with op.batch_alter_table('match_weight_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_weight_changes_at'), ['at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS match_weight_changes_append_only '
                   'ON match_weight_changes')
        op.execute('DROP FUNCTION IF EXISTS match_weight_changes_refuse_change()')
    with op.batch_alter_table('match_weight_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_weight_changes_at'))

    op.drop_table('match_weight_changes')
