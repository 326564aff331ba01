"""The whole database (and the uploaded files) to a portable archive and back: `flask backup`
and `flask restore`, across SQLite and PostgreSQL.

The archive is a zip file:

- ``manifest.json``: format version, Alembic revision, app version, creation time, the source
  database's dialect, and per table its columns, their codecs, its row count and the SHA-256
  of its data file; per uploaded file its size and SHA-256.
- ``tables/<table>.jsonl``: one JSON array per row (values in the manifest's column order),
  tables in dependency order (``metadata.sorted_tables``), rows in primary-key order.
- ``uploads/<path>``: every file under UPLOAD_DIR (media attachments, story images and their
  thumbnails), except the upload folder's scratch space.

Values are written so that either database reads them back as they were: datetimes in ISO 8601
(timezone-aware ones in UTC), dates ISO, decimals as strings (no float rounding), bytes in
base64, JSON columns as their exact JSON text (so a JSON ``null`` and an SQL NULL stay apart),
list columns (TextList) as their stored text. The listings' ``search_vector`` is not saved: it
is a tsvector on PostgreSQL and plain text on SQLite, so restore computes it again from the
listing's text with the same tokenizer (textsearch.Document), on whichever database it lands.

Restore refuses, before it writes anything: an archive whose checksums or row counts do not
match its manifest (corrupt or tampered), an archive of another format version or Alembic
revision than the database, and a database that already holds data, unless ``force`` wipes it
first. Everything is inserted in one transaction with plain INSERTs into a freshly migrated
database, so the append-only history tables (deal_history, stage_changes: PostgreSQL refuses
UPDATE and DELETE on them) need no exception; only the explicit wipe of ``force`` removes
history, with TRUNCATE on PostgreSQL (the append-only triggers guard UPDATE and DELETE) inside
the same transaction, so a restore that fails leaves the old content in place. Afterwards the
PostgreSQL sequences are moved past the restored ids so new rows get fresh ones.

Rows are streamed in batches both ways (a server-side cursor on PostgreSQL), so memory does
not grow with the tables.
"""
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from matchmaker.backup.database import (
    MIGRATION_FILLED,
    app_version,
    current_revision,
    holds_data,
    inspect_target,
    rebuild_search_vectors,
    reset_sequences,
    row_counts,
    wipe,
)
from matchmaker.backup.values import (
    BATCH,
    DERIVED,
    codec_of,
    decode,
    encode,
    read_expression,
    rows_in_order,
    saved_columns,
    write_expression,
)
from matchmaker.extensions import sqlite_writes

__all__ = ["BATCH", "DERIVED", "MIGRATION_FILLED", "BackupError", "CorruptArchiveError",
           "NotEmptyError", "RevisionMismatchError", "Summary", "codec_of", "create_backup",
           "current_revision", "decode", "encode", "holds_data", "inspect_target",
           "read_expression", "read_manifest", "rebuild_search_vectors", "reset_sequences",
           "restore_backup", "row_counts", "rows_in_order", "saved_columns", "verify_archive",
           "wipe"]

FORMAT = "matchmaker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "tables/"
UPLOADS_DIR = "uploads/"
SKIPPED_UPLOAD_DIRS = {".tmp"}  # media/storage.py's scratch space: half-written files


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


class NotEmptyError(BackupError):
    """The target database holds data (restore needs --force to wipe it)."""


class RevisionMismatchError(BackupError):
    """The archive was made at another Alembic revision than the database's."""


class CorruptArchiveError(BackupError):
    """The archive is unreadable or does not match its manifest."""


@dataclass
class Summary:
    """What a backup wrote or a restore inserted: rows per table, files, the revision."""

    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    file_bytes: int = 0
    wiped: dict[str, int] = field(default_factory=dict)


# --- backup ---------------------------------------------------------------------------------

def _upload_files(upload_dir: Path | None) -> list[Path]:
    if upload_dir is None or not upload_dir.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(upload_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_UPLOAD_DIRS)
        found += [Path(root) / name for name in sorted(files)]
    return found


def _copy_into(archive: zipfile.ZipFile, name: str, chunks: Iterator[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name, "w", force_zip64=True) as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _table_lines(conn: Connection, table: sa.Table, codecs: list[str],
                 counter: dict[str, int]) -> Iterator[bytes]:
    lines = []
    for row in rows_in_order(conn, table):
        values = [encode(v, c) for v, c in zip(row, codecs, strict=True)]
        lines.append(json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n")
        counter[table.name] += 1
        if len(lines) >= BATCH:
            yield "".join(lines).encode("utf-8")
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8")


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            yield chunk


def create_backup(engine: Engine, metadata: sa.MetaData, target: Path, *,
                  upload_dir: Path | None, log: Callable[[str], None] = lambda _: None
                  ) -> Summary:
    """Write the database's content (and the files under upload_dir) to the zip file target.

    The tables are read in one transaction (REPEATABLE READ on PostgreSQL, one read
    transaction on SQLite), so the archive is a consistent snapshot while the app runs on.
    """
    tables = metadata.sorted_tables
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" \
        else {}
    partial = target.with_name(target.name + ".part")
    with engine.connect().execution_options(**options) as conn, conn.begin():
        revision = current_revision(conn)
        if revision is None:
            raise BackupError("the database has no Alembic revision: it was never migrated "
                              "(run `flask db upgrade`)")
        summary = Summary(revision=revision)
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                    "alembic_revision": revision, "app_version": app_version(),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "source_dialect": engine.dialect.name, "tables": [], "uploads": []}
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for table in tables:
                    columns = saved_columns(table)
                    codecs = [codec_of(c) for c in columns]
                    summary.rows[table.name] = 0
                    digest, _ = _copy_into(archive, f"{TABLES_DIR}{table.name}.jsonl",
                                           _table_lines(conn, table, codecs, summary.rows))
                    manifest["tables"].append({
                        "name": table.name, "columns": [c.name for c in columns],
                        "codecs": codecs, "rows": summary.rows[table.name], "sha256": digest})
                    log(f"{table.name:28} {summary.rows[table.name]:8} rows")
                for path in _upload_files(upload_dir):
                    relative = path.relative_to(upload_dir).as_posix()
                    digest, size = _copy_into(archive, UPLOADS_DIR + relative, _file_chunks(path))
                    manifest["uploads"].append({"path": relative, "size": size,
                                                "sha256": digest})
                    summary.files += 1
                    summary.file_bytes += size
                archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return summary


# --- restore --------------------------------------------------------------------------------

def read_manifest(archive: zipfile.ZipFile) -> dict:
    """Return the archive's manifest; raise CorruptArchiveError if it is missing or foreign."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError, zipfile.BadZipFile, OSError) as error:
        raise CorruptArchiveError(f"no readable {MANIFEST} in the archive ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CorruptArchiveError("this is not a matchmaker backup (unknown manifest format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise CorruptArchiveError(
            f"backup format version {manifest.get('format_version')!r} is not the one this "
            f"version reads ({FORMAT_VERSION})")
    _check_shape(manifest)
    return manifest


_TABLE_KEYS = {"name": str, "columns": list, "codecs": list, "rows": int, "sha256": str}
_UPLOAD_KEYS = {"path": str, "size": int, "sha256": str}


def _check_shape(manifest: dict) -> None:
    """Raise CorruptArchiveError unless the manifest has the fields restore relies on."""
    if not isinstance(manifest.get("alembic_revision"), str):
        raise CorruptArchiveError("the manifest names no Alembic revision")
    for key, fields in (("tables", _TABLE_KEYS), ("uploads", _UPLOAD_KEYS)):
        entries = manifest.get(key)
        if not isinstance(entries, list) or not all(
                isinstance(e, dict) and all(isinstance(e.get(f), kind)
                                            for f, kind in fields.items()) for e in entries):
            raise CorruptArchiveError(f"the manifest's {key!r} list is malformed")


def _member_digest(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as member:
        while chunk := member.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_upload_path(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts or \
            path.parts[0] in SKIPPED_UPLOAD_DIRS:
        raise CorruptArchiveError(f"upload path {relative!r} points outside the upload folder")
    return path


def verify_archive(archive: zipfile.ZipFile, manifest: dict, metadata: sa.MetaData) -> None:
    """Check every member against the manifest's checksums, and the tables and columns against
    the models; raise CorruptArchiveError naming the first difference."""
    known = {t.name: t for t in metadata.sorted_tables}
    listed = {entry["name"] for entry in manifest["tables"]}
    if listed != set(known):
        missing, extra = sorted(set(known) - listed), sorted(listed - set(known))
        raise CorruptArchiveError(f"the archive's tables differ from this schema's "
                                  f"(missing: {missing or '-'}, unknown: {extra or '-'})")
    for entry in manifest["tables"]:
        columns = saved_columns(known[entry["name"]])
        expected = [c.name for c in columns]
        if entry["columns"] != expected:
            raise CorruptArchiveError(f"table {entry['name']}: the archive's columns "
                                      f"{entry['columns']} differ from the schema's {expected}")
        if entry["codecs"] != [codec_of(c) for c in columns]:
            raise CorruptArchiveError(f"table {entry['name']}: the archive's value encodings "
                                      f"differ from the schema's")
    members = [(f"{TABLES_DIR}{e['name']}.jsonl", e["sha256"]) for e in manifest["tables"]]
    members += [(UPLOADS_DIR + _safe_upload_path(e["path"]).as_posix(), e["sha256"])
                for e in manifest["uploads"]]
    for name, expected in members:
        try:
            actual = _member_digest(archive, name)
        except KeyError as error:
            raise CorruptArchiveError(f"{name} is missing from the archive") from error
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise CorruptArchiveError(f"{name} cannot be read: {error}") from error
        if actual != expected:
            raise CorruptArchiveError(f"{name} does not match its checksum in the manifest: "
                                      f"the archive is corrupt or was changed")


def _insert_table(conn: Connection, archive: zipfile.ZipFile, table: sa.Table,
                  entry: dict) -> int:
    columns = saved_columns(table)
    codecs = entry["codecs"]
    dialect = conn.dialect.name
    stmt = table.insert().values({c.name: write_expression(c, dialect) for c in columns})
    names = [f"v_{c.name}" for c in columns]
    count, batch = 0, []
    with archive.open(f"{TABLES_DIR}{table.name}.jsonl") as member:
        for number, line in enumerate(member, start=1):
            try:
                values = json.loads(line)
                batch.append({n: decode(v, c)
                              for n, v, c in zip(names, values, codecs, strict=True)})
            except (ValueError, TypeError) as error:
                raise CorruptArchiveError(f"table {table.name}, row {number}: {error}") from error
            if len(batch) >= BATCH:
                conn.execute(stmt, batch)
                count, batch = count + len(batch), []
    if batch:
        conn.execute(stmt, batch)
        count += len(batch)
    if count != entry["rows"]:
        raise CorruptArchiveError(f"table {table.name}: {count} rows in the archive, the "
                                  f"manifest says {entry['rows']}")
    return count


def _restore_uploads(archive: zipfile.ZipFile, manifest: dict, upload_dir: Path | None,
                     *, force: bool) -> tuple[int, int]:
    if not manifest["uploads"]:
        return 0, 0
    if upload_dir is None:
        raise BackupError("the archive holds uploaded files but UPLOAD_DIR is not set")
    files = size = 0
    for entry in manifest["uploads"]:
        relative = _safe_upload_path(entry["path"])
        target = upload_dir.joinpath(*relative.parts)
        if target.exists():
            if _digest_file(target) == entry["sha256"]:
                continue
            if not force:
                raise NotEmptyError(f"the upload folder already holds a different {relative}; "
                                    f"use --force to overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".restoring")
        with archive.open(UPLOADS_DIR + relative.as_posix()) as source, partial.open("wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.replace(partial, target)
        files, size = files + 1, size + entry["size"]
    return files, size


def _digest_file(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _file_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def restore_backup(engine: Engine, metadata: sa.MetaData, source: Path, *,
                   upload_dir: Path | None, force: bool = False,
                   log: Callable[[str], None] = lambda _: None) -> Summary:
    """Load the archive source into the database (migrated to the archive's revision).

    Refuses (BackupError subclasses, nothing written) a corrupt archive, another revision, or
    a database holding data unless force; with force the data is wiped in the same
    transaction as the restore.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise CorruptArchiveError(f"{source} is not a readable zip archive ({error})") from error
    with archive:
        manifest = read_manifest(archive)
        verify_archive(archive, manifest, metadata)
        wanted = manifest["alembic_revision"]
        revision, occupied = inspect_target(engine, metadata, wanted)
        if revision is None:
            raise RevisionMismatchError(
                f"the database was never migrated; run `flask db upgrade {wanted}` (the "
                f"archive's revision) first")
        if revision != wanted:
            raise RevisionMismatchError(
                f"the archive was made at Alembic revision {wanted}, the database is at "
                f"{revision}: restore into a database migrated to {wanted} "
                f"(`flask db upgrade {wanted}` on an empty one), then `flask db upgrade`")
        if occupied and not force:
            described = ", ".join(f"{name} ({n})" for name, n in sorted(occupied.items()))
            raise NotEmptyError(f"the database is not empty: {described}; restore only into "
                                f"an empty database, or use --force to erase all of it first")
        summary = Summary(revision=wanted)
        try:
            _load(engine, metadata, archive, manifest, summary, upload_dir=upload_dir,
                  force=force, wipe_first=bool(occupied), log=log)
        except sa.exc.SQLAlchemyError as error:
            reason = getattr(error, "orig", None) or error
            raise BackupError(f"the database refused the archive's rows ({reason}); nothing "
                              f"was restored") from error
    return summary


def _load(engine: Engine, metadata: sa.MetaData, archive: zipfile.ZipFile, manifest: dict,
          summary: Summary, *, upload_dir: Path | None, force: bool, wipe_first: bool,
          log: Callable[[str], None]) -> None:
    """Insert the archive's rows (after wiping, when wipe_first) in one transaction."""
    tables = metadata.sorted_tables
    entries = {e["name"]: e for e in manifest["tables"]}
    with sqlite_writes(), engine.begin() as conn:
        if conn.dialect.name == "sqlite":  # rows referring to later rows of their table
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        if wipe_first:
            summary.wiped = row_counts(conn, tables)
            wipe(conn, tables)
        else:
            for name in MIGRATION_FILLED:
                conn.execute(metadata.tables[name].delete())
        for table in tables:
            summary.rows[table.name] = _insert_table(conn, archive, table,
                                                     entries[table.name])
            log(f"{table.name:28} {summary.rows[table.name]:8} rows")
        rebuild_search_vectors(conn, metadata)
        reset_sequences(conn, tables)
        summary.files, summary.file_bytes = _restore_uploads(archive, manifest, upload_dir,
                                                             force=force)
