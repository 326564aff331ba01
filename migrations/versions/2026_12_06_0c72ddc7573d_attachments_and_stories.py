"""attachments and stories: files on research outputs and technology needs (public, after an
NDA, or private), landed-project stories and product exhibits written by brokers, and their
images; the bytes live on disk under UPLOAD_DIR, the rows hold their metadata (media/)

Revision ID: 0c72ddc7573d
Revises: 546109643d9c
Create Date: 2026-12-06 14:27:20.221775

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0c72ddc7573d'
down_revision = '546109643d9c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('output_id', sa.Integer(), nullable=True),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('visibility', sa.String(length=12), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('brochure', 'patent_certificate', 'product_photo', 'other')", name=op.f('ck_attachments_kind_known')),
    sa.CheckConstraint("visibility IN ('public', 'after_nda', 'private')", name=op.f('ck_attachments_visibility_known')),
    sa.CheckConstraint('(output_id IS NULL) <> (need_id IS NULL)', name=op.f('ck_attachments_one_listing')),
    sa.ForeignKeyConstraint(['need_id'], ['tech_needs.id'], name=op.f('fk_attachments_need_id_tech_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['output_id'], ['research_outputs.id'], name=op.f('fk_attachments_output_id_research_outputs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('token', name=op.f('uq_attachments_token'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_output_id'), ['output_id'], unique=False)

    op.create_table('stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('output_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('story', 'exhibit')", name=op.f('ck_stories_kind_known')),
    sa.CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name=op.f('ck_stories_published_has_date')),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_stories_status_known')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_stories_author_id_users')),
    sa.ForeignKeyConstraint(['chain_id'], ['chains.id'], name=op.f('fk_stories_chain_id_chains')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_stories_deal_id_deals')),
    sa.ForeignKeyConstraint(['output_id'], ['research_outputs.id'], name=op.f('fk_stories_output_id_research_outputs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stories')),
    sa.UniqueConstraint('ref', name=op.f('uq_stories_ref'))
    )
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stories_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stories_chain_id'), ['chain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stories_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stories_output_id'), ['output_id'], unique=False)
        batch_op.create_index('ix_stories_status_published_at', ['status', 'published_at'], unique=False)

    op.create_table('story_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('alt', sa.String(length=200), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_images_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_story_images_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_images')),
    sa.UniqueConstraint('token', name=op.f('uq_story_images_token'))
    )
    with op.batch_alter_table('story_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_images_story_id'), ['story_id'], unique=False)



def downgrade():
    with op.batch_alter_table('story_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_images_story_id'))

    op.drop_table('story_images')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_status_published_at')
        batch_op.drop_index(batch_op.f('ix_stories_output_id'))
        batch_op.drop_index(batch_op.f('ix_stories_deal_id'))
        batch_op.drop_index(batch_op.f('ix_stories_chain_id'))
        batch_op.drop_index(batch_op.f('ix_stories_author_id'))

    op.drop_table('stories')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_output_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_need_id'))

    op.drop_table('attachments')
