"""deal match quality: the match quality (the calibrated probability a broker judges the
candidate usable, as the match card shows it) kept with a deal started from a match, beside
its raw match_score; NULL on the deals started before

Revision ID: 5d2b8e41c7a3
Revises: c8a4f2e7b915
Create Date: 2026-12-07 00:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d2b8e41c7a3'
down_revision = 'c8a4f2e7b915'
branch_labels = None
depends_on = None


def upgrade():
    # No backfill: the quality of an old deal's match depends on the list it was in when the
    # deal started, which is gone; its pages fall back to the raw score, labelled as such.
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_quality', sa.Double(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_deals_match_quality_range'),
            'match_quality IS NULL OR match_quality BETWEEN 0 AND 1')


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deals_match_quality_range'), type_='check')
        batch_op.drop_column('match_quality')
