"""How long `flask backup` and `flask restore` take on the seed plus generated listings.

    python -m bench.backup                          # SQLite, seed + 20k outputs + 5k needs, 3 runs
    python -m bench.backup --outputs 2000 --needs 500 --repeat 1   # a quick look
    python -m bench.backup --postgres postgresql+psycopg://postgres@127.0.0.1:5432/mm_bkbench

A scratch SQLite file (and, with --postgres, schemas bench_backup_* of that database) is
migrated, loaded with seed_data/ and given --outputs and --needs generated listings
(bench/datagen.py, texts from ../shared/eval-data). Then, --repeat times each: the baseline, a
plain read of every row of every table (SELECT, fetch, nothing written); the backup to a zip;
the restore of that zip into a freshly migrated database (migration not timed). Printed:
rows, archive size, median seconds, rows per second and the ratio of each median to the
baseline's. No thresholds: figures to read.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import machine


def _config(url: str, uploads: Path):
    from config import Config

    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-not-secret",
        "JOBS_MODE": "sync", "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://",
        "MATCH_INDEX_PATH": None, "UPLOAD_DIR": uploads})


def _app(url: str, uploads: Path):
    from flask_migrate import upgrade

    from matchmaker import create_app

    app = create_app(_config(url, uploads))
    with app.app_context():
        upgrade()
    return app


def _postgres_schema(url: str, name: str) -> str:
    """Return url on a new empty schema bench_backup_<name> (dropped first if it exists)."""
    schema = f"bench_backup_{name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _fill(app, outputs: int, needs: int) -> None:
    from werkzeug.security import generate_password_hash

    from bench import datagen
    from matchmaker.extensions import db
    from matchmaker.seed import load_seed

    with app.app_context():
        load_seed(db.session, app.config["SEED_DIR"],
                  password_hash=generate_password_hash("bench", "pbkdf2:sha256:1000"))
        db.session.commit()
        datagen.generate(db.session, outputs, needs, log=lambda *_: None)
        db.session.commit()
        db.session.remove()


def _read_all(app) -> int:
    from matchmaker import backup
    from matchmaker.extensions import db

    rows = 0
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows += sum(1 for _ in backup.rows_in_order(conn, table))
    return rows


def _timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def run(name: str, make_url, args, folder: Path) -> dict:
    from matchmaker import backup
    from matchmaker.extensions import db

    source = _app(make_url("source"), folder / "uploads")
    _fill(source, args.outputs, args.needs)
    archive = folder / f"{name}.zip"
    reads, backups, restores, rows = [], [], [], 0
    for attempt in range(args.repeat):
        seconds, rows = _timed(lambda: _read_all(source))
        reads.append(seconds)
        with source.app_context():
            seconds, _ = _timed(lambda: backup.create_backup(
                db.engine, db.metadata, archive, upload_dir=folder / "uploads"))
        backups.append(seconds)
        uploads = folder / f"uploads-{attempt}"
        target = _app(make_url(f"target{attempt}"), uploads)
        with target.app_context():
            seconds, _ = _timed(lambda folder=uploads: backup.restore_backup(
                db.engine, db.metadata, archive, upload_dir=folder))
            db.engine.dispose()
        restores.append(seconds)
    with source.app_context():
        db.engine.dispose()
    base = statistics.median(reads)
    figures = {"database": name, "rows": rows, "archive_bytes": archive.stat().st_size,
               "read_s": base, "backup_s": statistics.median(backups),
               "restore_s": statistics.median(restores)}
    print(f"\n{name}: {rows} rows, archive {figures['archive_bytes'] / 1e6:.1f} MB, "
          f"median of {args.repeat}")
    for label, key in (("plain read (baseline)", "read_s"), ("backup", "backup_s"),
                       ("restore", "restore_s")):
        value = figures[key]
        print(f"  {label:22} {value:7.2f} s  {rows / value:9.0f} rows/s  "
              f"x{value / base:5.1f} baseline")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outputs", type=int, default=20_000)
    parser.add_argument("--needs", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default="", help="a scratch PostgreSQL database URL")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        folder = Path(tmp)
        run("sqlite", lambda n: f"sqlite:///{folder / n}.sqlite3", args, folder)
        if args.postgres:
            run("postgresql", lambda n: _postgres_schema(args.postgres, n), args, folder)


if __name__ == "__main__":
    main()
