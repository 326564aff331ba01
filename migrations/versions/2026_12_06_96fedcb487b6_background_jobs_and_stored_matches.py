"""background jobs (the outbox every runner claims from) and stored matches (generations of
ranked sets written by the matching worker, read by pages)

Revision ID: 96fedcb487b6
Revises: 3f854641c2ce
Create Date: 2026-12-06 04:19:16.641637

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '96fedcb487b6'
down_revision = '3f854641c2ce'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('match_generations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('settings_digest', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('building', 'current', 'retired')", name=op.f('ck_match_generations_status_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_generations'))
    )
    with op.batch_alter_table('match_generations', schema=None) as batch_op:
        batch_op.create_index('uq_match_generations_current', ['status'], unique=True, postgresql_where=sa.text("status = 'current'"), sqlite_where=sa.text("status = 'current'"))

    op.create_table('match_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('profile_version', sa.Integer(), nullable=False),
    sa.Column('notice', sa.String(length=40), nullable=True),
    sa.Column('chain_guess', sa.JSON(), nullable=True),
    sa.Column('threshold', sa.Double(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('output', 'need')", name=op.f('ck_match_sets_side_known')),
    sa.ForeignKeyConstraint(['generation_id'], ['match_generations.id'], name=op.f('fk_match_sets_generation_id_match_generations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_sets')),
    sa.UniqueConstraint('generation_id', 'side', 'profile_id', name=op.f('uq_match_sets_generation_id'))
    )
    op.create_table('background_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('queue', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name=op.f('ck_background_jobs_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_background_jobs_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_jobs'))
    )
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_background_jobs_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index('uq_background_jobs_queued_key', ['key'], unique=True, postgresql_where=sa.text("status = 'queued'"), sqlite_where=sa.text("status = 'queued'"))

    op.create_table('stored_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('output_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['tech_needs.id'], name=op.f('fk_stored_matches_need_id_tech_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['output_id'], ['research_outputs.id'], name=op.f('fk_stored_matches_output_id_research_outputs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_id'], ['match_sets.id'], name=op.f('fk_stored_matches_set_id_match_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_matches')),
    sa.UniqueConstraint('set_id', 'rank', name=op.f('uq_stored_matches_set_id'))
    )
    with op.batch_alter_table('stored_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_matches_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_matches_output_id'), ['output_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stored_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_matches_output_id'))
        batch_op.drop_index(batch_op.f('ix_stored_matches_need_id'))

    op.drop_table('stored_matches')
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_background_jobs_queued_key', postgresql_where=sa.text("status = 'queued'"), sqlite_where=sa.text("status = 'queued'"))
        batch_op.drop_index('ix_background_jobs_status_created_at')

    op.drop_table('background_jobs')
    op.drop_table('match_sets')
    with op.batch_alter_table('match_generations', schema=None) as batch_op:
        batch_op.drop_index('uq_match_generations_current', postgresql_where=sa.text("status = 'current'"), sqlite_where=sa.text("status = 'current'"))

    op.drop_table('match_generations')
