"""chain core terms: umbrella terms of a whole chain for chain inference (燃料电池, 光伏)

Revision ID: 3f854641c2ce
Revises: 794b652892d4
Create Date: 2026-11-22 02:33:37.789854

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3f854641c2ce'
down_revision = '794b652892d4'
branch_labels = None
depends_on = None


def upgrade():
    # Existing chains start with no core terms; `flask seed` fills those of seed_data.
    with op.batch_alter_table('chains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('core_terms', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('chains', schema=None) as batch_op:
        batch_op.drop_column('core_terms')
