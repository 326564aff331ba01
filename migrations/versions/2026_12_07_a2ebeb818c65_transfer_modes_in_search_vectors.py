"""transfer modes in the listings' search vectors: each listing's search_vector computed again
with its transfer modes as reserved lexemes ("mode~licence"; matchmaker/textsearch.py), so that a
list search with a mode filter finds its hits through the search index alone on PostgreSQL
instead of probing the mode table once per hit. No schema change; on SQLite the column (the
normalised text) is unchanged by the modes, and this computes it again all the same.

Revision ID: a2ebeb818c65
Revises: 5d2b8e41c7a3
Create Date: 2026-12-07 14:05:00.000000

"""
import sqlalchemy as sa
from alembic import op

from matchmaker.textsearch import Document  # plain Python: the tokenizer, not app models

# revision identifiers, used by Alembic.
revision = 'a2ebeb818c65'
down_revision = '5d2b8e41c7a3'
branch_labels = None
depends_on = None

# table: (body column, organisation column, organisation table, mode table, its listing column)
TABLES = {"research_outputs": ("abstract", "institution_id", "institutions",
                               "research_output_modes", "output_id"),
          "tech_needs": ("description", "enterprise_id", "enterprises",
                         "tech_need_modes", "need_id")}
BATCH = 2000


def _fill(table: str, body: str, org_column: str, org_table: str, mode_table: str,
          owner: str, *, with_modes: bool) -> None:
    """Compute every row's search_vector again, a batch of ids at a time (keyset)."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    value = "CAST(:v AS tsvector)" if postgres else ":v"
    update = sa.text(f"UPDATE {table} SET search_vector = {value} WHERE id = :id")
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT t.id, t.title, t.{body}, t.keywords, o.name, o.name_en FROM {table} t "
            f"LEFT JOIN {org_table} o ON o.id = t.{org_column} WHERE t.id > :last "
            f"ORDER BY t.id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            break
        modes: dict[int, list[str]] = {}
        if with_modes:
            for row_id, mode in bind.execute(sa.text(
                    f"SELECT {owner}, mode FROM {mode_table} "
                    f"WHERE {owner} > :first - 1 AND {owner} < :last + 1"),
                    {"first": rows[0][0], "last": rows[-1][0]}):
                modes.setdefault(row_id, []).append(mode)
        values = []
        for row_id, title, text, keywords, name, name_en in rows:
            document = Document.of(title, text, [k for k in (keywords or "").split("\n") if k],
                                   name, name_en, modes=modes.get(row_id, ()))
            values.append({"v": document.tsvector() if postgres else document.plain(),
                           "id": row_id})
        bind.execute(update, values)
        last = rows[-1][0]


def upgrade():
    for table, spec in TABLES.items():
        _fill(table, *spec, with_modes=True)


def downgrade():
    for table, spec in TABLES.items():
        _fill(table, *spec, with_modes=False)
