"""seen matches: which counterparts each member of an institution or enterprise has been shown
among the matches of their organisation's listings (recommendations/seen.py), so that pages tell
them which matches are new

Revision ID: 2dc05d961fa1
Revises: 9fb077da4632
Create Date: 2026-12-06 10:55:09.880363

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '2dc05d961fa1'
down_revision = '9fb077da4632'
branch_labels = None
depends_on = None


def upgrade():
    # The primary key (user, side, need, output) serves the one lookup; need_id and output_id
    # are indexed for the cascades when a listing is deleted.
    op.create_table('seen_matches',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('output_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('output', 'need')", name=op.f('ck_seen_matches_side_known')),
    sa.ForeignKeyConstraint(['need_id'], ['tech_needs.id'], name=op.f('fk_seen_matches_need_id_tech_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['output_id'], ['research_outputs.id'], name=op.f('fk_seen_matches_output_id_research_outputs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_seen_matches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'side', 'need_id', 'output_id', name=op.f('pk_seen_matches'))
    )
    with op.batch_alter_table('seen_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_matches_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seen_matches_output_id'), ['output_id'], unique=False)


def downgrade():
    with op.batch_alter_table('seen_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_matches_output_id'))
        batch_op.drop_index(batch_op.f('ix_seen_matches_need_id'))

    op.drop_table('seen_matches')
