"""broker contact: a broker's phone, contact e-mail, WeChat ID and office hours

Four NOT NULL text columns on brokers, "" when not given: added with a server default of ""
(the existing rows get it), which is then dropped so that the models stay the only source of
defaults.

Revision ID: 9fb077da4632
Revises: 9f6e1478c5ff
Create Date: 2026-12-06 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9fb077da4632'
down_revision = '9f6e1478c5ff'
branch_labels = None
depends_on = None

COLUMNS = {"phone": 40, "contact_email": 254, "wechat_id": 20, "office_hours": 200}


def upgrade():
    with op.batch_alter_table('brokers', schema=None) as batch_op:
        for name, length in COLUMNS.items():
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False,
                                          server_default=""))
    with op.batch_alter_table('brokers', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table('brokers', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
