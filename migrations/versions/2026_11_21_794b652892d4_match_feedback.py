"""match feedback: one verdict per user on a recommended (need, output) pair

Revision ID: 794b652892d4
Revises: a7e85d07486b
Create Date: 2026-11-21 23:48:45.491757

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '794b652892d4'
down_revision = 'a7e85d07486b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('match_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('output_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("verdict = 'relevant' OR reason IS NOT NULL", name=op.f('ck_match_feedback_declined_has_reason')),
    sa.CheckConstraint("verdict IN ('relevant', 'declined')", name=op.f('ck_match_feedback_verdict_known')),
    sa.ForeignKeyConstraint(['need_id'], ['tech_needs.id'], name=op.f('fk_match_feedback_need_id_tech_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['output_id'], ['research_outputs.id'], name=op.f('fk_match_feedback_output_id_research_outputs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_match_feedback_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_feedback')),
    sa.UniqueConstraint('need_id', 'output_id', 'user_id', name=op.f('uq_match_feedback_need_id'))
    )
    with op.batch_alter_table('match_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_feedback_output_id'), ['output_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_feedback_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('match_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_feedback_user_id'))
        batch_op.drop_index(batch_op.f('ix_match_feedback_output_id'))

    op.drop_table('match_feedback')