"""digested matches: which matches each member of an institution or enterprise has been told
about by the weekly digest of new matches (notifications/digest.py), so that the next digest
brings only the matches new since then

Revision ID: c3d9e2f1a6b8
Revises: 9be33c4b757a
Create Date: 2026-12-06 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3d9e2f1a6b8'
down_revision = '9be33c4b757a'
branch_labels = None
depends_on = None


def upgrade():
    # The primary key (user, need, output) serves the digest's anti-join; need_id and
    # output_id are indexed for the cascades when a listing is deleted.
    op.create_table('digested_matches',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('output_id', sa.Integer(), nullable=False),
    sa.Column('digested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['tech_needs.id'], name=op.f('fk_digested_matches_need_id_tech_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['output_id'], ['research_outputs.id'], name=op.f('fk_digested_matches_output_id_research_outputs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digested_matches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'need_id', 'output_id', name=op.f('pk_digested_matches'))
    )
    with op.batch_alter_table('digested_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digested_matches_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digested_matches_output_id'), ['output_id'], unique=False)


def downgrade():
    with op.batch_alter_table('digested_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digested_matches_output_id'))
        batch_op.drop_index(batch_op.f('ix_digested_matches_need_id'))

    op.drop_table('digested_matches')
