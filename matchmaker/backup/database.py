"""What backup and restore ask of the database itself: its revision and row counts, the
wipe of --force, PostgreSQL's sequences, and the derived search index (see matchmaker.backup)."""
from importlib import metadata as importlib_metadata

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from matchmaker.backup.values import BATCH
from matchmaker.textsearch import Document

# Tables the migrations fill (the default deal stages): a freshly migrated database holds
# these rows and still counts as empty; restore replaces them with the archive's.
MIGRATION_FILLED = ("deal_stages",)


def current_revision(conn: Connection) -> str | None:
    """Return the database's Alembic revision, or None when it was never migrated."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    revisions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(revisions)) or None


def row_counts(conn: Connection, tables: list[sa.Table]) -> dict[str, int]:
    """Return the number of rows of each table."""
    return {t.name: conn.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}


def holds_data(counts: dict[str, int]) -> dict[str, int]:
    """Return the tables with rows, leaving out those only the migrations fill."""
    return {name: n for name, n in counts.items() if n and name not in MIGRATION_FILLED}


def app_version() -> str:
    """Return the installed matchmaker version (or "unknown" outside an installed checkout)."""
    try:
        return importlib_metadata.version("matchmaker")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def wipe(conn: Connection, tables: list[sa.Table]) -> None:
    """Remove every row of tables, history included (the --force of restore).

    PostgreSQL: one TRUNCATE, which the append-only triggers (BEFORE UPDATE OR DELETE) do not
    refuse; it also restarts the sequences. SQLite: DELETE, children first.
    """
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in tables)
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return
    for table in reversed(tables):
        conn.execute(table.delete())


def reset_sequences(conn: Connection, tables: list[sa.Table]) -> None:
    """Move each PostgreSQL id sequence past the table's largest id (no-op elsewhere)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": conn.dialect.identifier_preparer.quote(table.name),
                                "c": pk[0].name})
        if sequence is None:
            continue
        top = conn.scalar(sa.select(sa.func.max(pk[0])))
        conn.execute(sa.text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                     {"s": sequence, "v": top or 1, "called": top is not None})


def rebuild_search_vectors(conn: Connection, metadata: sa.MetaData) -> None:
    """Compute the listings' search_vector from their text and transfer modes as the app does
    (the derived column the archive leaves out), in batches."""
    specs = (("research_outputs", "abstract", "institution_id", "institutions",
              "research_output_modes", "output_id"),
             ("tech_needs", "description", "enterprise_id", "enterprises",
              "tech_need_modes", "need_id"))
    for name, body, org_column, org_name, modes_name, owner in specs:
        table, org = metadata.tables[name], metadata.tables[org_name]
        modes = metadata.tables[modes_name]
        keywords = sa.type_coerce(table.c.keywords, sa.Text)
        stmt = (sa.select(table.c.id, table.c.title, table.c[body], keywords, org.c.name,
                          org.c.name_en)
                .select_from(table.outerjoin(org, org.c.id == table.c[org_column]))
                .order_by(table.c.id).limit(BATCH))
        # Columns with an onupdate (updated_at, and so the version) are set to themselves:
        # the restored rows keep their times.
        unchanged = {c.name: c for c in table.columns if c.onupdate is not None}
        update = (table.update().where(table.c.id == sa.bindparam("row_id"))
                  .values(search_vector=sa.bindparam("document",
                                                     type_=table.c.search_vector.type),
                          **unchanged))
        last = None
        while True:  # one batch of ids at a time (keyset), so memory stays flat
            page = stmt if last is None else stmt.where(table.c.id > last)
            rows = conn.execute(page).all()
            if not rows:
                break
            of_row: dict[int, list[str]] = {}
            for row_id, mode in conn.execute(
                    sa.select(modes.c[owner], modes.c.mode)
                    .where(modes.c[owner].in_([r[0] for r in rows]))):
                of_row.setdefault(row_id, []).append(mode)
            conn.execute(update, [
                {"row_id": r[0], "document": Document.of(
                    r[1], r[2], [k for k in (r[3] or "").split("\n") if k], r[4], r[5],
                    modes=of_row.get(r[0], ()))}
                for r in rows])
            last = rows[-1][0]


def inspect_target(engine: Engine, metadata: sa.MetaData, revision: str
                   ) -> tuple[str | None, dict[str, int]]:
    """Return the database's revision and, when it is revision (the models' tables exist),
    the row counts of the tables that hold data."""
    with engine.connect() as conn:
        current = current_revision(conn)
        if current != revision:
            return current, {}
        return current, holds_data(row_counts(conn, metadata.sorted_tables))
