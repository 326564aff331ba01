"""list search index: each listing's search_vector (a GIN-indexed tsvector of its text's
tokens on PostgreSQL, normalised text on SQLite; see matchmaker/textsearch.py), filled for the
existing rows, and indexes that serve the lists' newest-first order

Revision ID: a2aae1643a12
Revises: 96fedcb487b6
Create Date: 2026-12-06 04:36:10.987068

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from matchmaker.textsearch import Document  # plain Python: the tokenizer, not app models

# revision identifiers, used by Alembic.
revision = 'a2aae1643a12'
down_revision = '96fedcb487b6'
branch_labels = None
depends_on = None

SEARCH_VECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
TABLES = {"research_outputs": ("abstract", "institution_id", "institutions"),
          "tech_needs": ("description", "enterprise_id", "enterprises")}


def _fill(table: str, body: str, org_column: str, org_table: str) -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    rows = bind.execute(sa.text(
        f"SELECT t.id, t.title, t.{body}, t.keywords, o.name, o.name_en FROM {table} t "
        f"JOIN {org_table} o ON o.id = t.{org_column}")).all()
    value = "CAST(:v AS tsvector)" if postgres else ":v"
    for row_id, title, text, keywords, name, name_en in rows:
        document = Document.of(title, text, (keywords or "").split("\n"), name, name_en)
        bind.execute(sa.text(f"UPDATE {table} SET search_vector = {value} WHERE id = :id"),
                     {"v": document.tsvector() if postgres else document.plain(), "id": row_id})


def upgrade():
    for table, (body, org_column, org_table) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('search_vector', SEARCH_VECTOR, nullable=True))
            batch_op.create_index(f'ix_{table}_listing_order', ['published_at', 'id'],
                                  unique=False)
        _fill(table, body, org_column, org_table)
        if op.get_bind().dialect.name == "postgresql":
            op.create_index(f'ix_{table}_search_vector', table, ['search_vector'], unique=False,
                            postgresql_using='gin')


def downgrade():
    for table in reversed(TABLES):
        if op.get_bind().dialect.name == "postgresql":
            op.drop_index(f'ix_{table}_search_vector', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_listing_order')
            batch_op.drop_column('search_vector')
