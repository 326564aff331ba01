"""Flask CLI commands: flask seed, flask create-admin, flask match …"""
import getpass
import json
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from matchmaker.auth import passwords
from matchmaker.auth import services as auth_services
from matchmaker.auth.models import User
from matchmaker.domain import Side
from matchmaker.extensions import db
from matchmaker.jobs import JobStatus, enqueue, run_job
from matchmaker.jobs.cli import jobs
from matchmaker.matching.tune import TooLittleFeedbackError, format_report, tune
from matchmaker.recommendations import services as recommendations
from matchmaker.recommendations import store
from matchmaker.recommendations import weights as weight_settings
from matchmaker.seed import load_seed, seed_digest


def register(app: Flask) -> None:
    """Add the project's commands to app.cli."""
    app.cli.add_command(seed)
    app.cli.add_command(create_admin)
    app.cli.add_command(match)
    app.cli.add_command(jobs)
    app.cli.add_command(bench_data)
    from matchmaker.imports.cli import import_command

    app.cli.add_command(import_command)  # flask import outputs|needs FILE
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("seed")
@with_appcontext
@click.option("--accounts/--no-accounts", default=True,
              help="Also create the demo accounts (one per organisation, brokers, an operator).")
@click.option("--if-changed", is_flag=True,
              help="Skip when this database was already loaded with these very seed files.")
def seed(accounts: bool, if_changed: bool) -> None:
    """Load seed_data/ idempotently: a second run creates nothing new."""
    seed_dir = current_app.config["SEED_DIR"]
    stamp_path = Path(current_app.instance_path) / "seed-stamp.json"
    stamp = {"database": db.engine.url.render_as_string(hide_password=True),
             "digest": seed_digest(seed_dir), "accounts": accounts}
    if if_changed and _read_json(stamp_path) == stamp and _has_seed(db.session):
        click.echo("Seed data unchanged since the last load: skipped.")
        return
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    password = current_app.config["DEMO_PASSWORD"]
    password_hash = generate_password_hash(password, method) if method else \
        generate_password_hash(password)
    before = store.listings_fingerprint(db.session)
    loader = load_seed(db.session, seed_dir, password_hash=password_hash, with_accounts=accounts)
    if store.current_generation(db.session) is None or \
            store.listings_fingerprint(db.session) != before:
        enqueue(db.session, "matches.rebuild")  # the worker (or the web process) computes them
    db.session.commit()
    stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
    for label in sorted(set(loader.created) | set(loader.updated)):
        click.echo(f"{label:13} created {loader.created[label]:4}  "
                   f"updated {loader.updated[label]:4}")
    if accounts:
        click.echo(f"Demo accounts: <key>@demo.example.com, e.g. admin@demo.example.com; "
                   f"password from MATCHMAKER_DEMO_PASSWORD (default {password!r}).")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _has_seed(session) -> bool:
    from sqlalchemy import select

    from matchmaker.chains.models import Chain

    return session.scalar(select(Chain.id).limit(1)) is not None


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", default="Operator", show_default=True)
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create an operator account (or reset its password; its sessions then end)."""
    try:
        auth_services.create_admin(db.session, email, password, name,
                                   hash_method=current_app.config.get("PASSWORD_HASH_METHOD"))
    except auth_services.DuplicateEmailError:
        raise click.ClickException(f"{email} belongs to a non-operator account.")
    except auth_services.WeakPasswordError as error:
        db.session.rollback()
        with force_locale("en"):
            raise click.BadParameter(passwords.describe(error.reason), param_hint="password")
    db.session.commit()
    click.echo(f"Operator {email} is ready.")


match = AppGroup("match", help="The matcher's index and the feedback on its matches.")


@match.command("rebuild")
def match_rebuild() -> None:
    """Refit the matcher on every published output and need and store a new generation of
    matches now, in this process (pages switch to it when it is complete). A rebuild job
    that was waiting is the one run here."""
    job = enqueue(db.session, "matches.rebuild")
    db.session.commit()
    click.echo(f"Rebuilding the matches (job {job.id}) …")
    started = time.perf_counter()
    if not run_job(db.session, job.id):
        raise click.ClickException(f"job {job.id} was taken by a worker meanwhile; follow it "
                                   f"with `flask jobs list`")
    db.session.refresh(job)
    if job.status != JobStatus.FINISHED:
        raise click.ClickException(f"the rebuild failed:\n{job.error}")
    index, result = store.current_index(), job.result or {}
    size = index.size
    click.echo(f"Indexed {size[Side.OUTPUT]} research outputs and {size[Side.NEED]} "
               f"technology needs and stored {result.get('sets', 0)} match sets in "
               f"{time.perf_counter() - started:.1f} s (generation {result.get('generation')}).")
    if index.matcher is None:
        click.echo("Too little text to fit a matcher; pages will show no recommendations.")
    click.echo(f"Saved the index to {index.path}." if index.path else
               "MATCH_INDEX_PATH is not set: the index was not saved.")


@match.command("tune")
@click.option("--apply", "apply_", is_flag=True,
              help="Store the learnt weights and queue a rebuild, if they win on held-out "
                   "feedback (without it: only the report).")
@click.option("--by", "by_email", metavar="EMAIL",
              help="The operator (admin account) recorded as making the change.")
@click.option("--seed", default=0, show_default=True, help="Seeds the held-out split.")
def match_tune(apply_: bool, by_email: str | None, seed: int) -> None:
    """Learn the matcher's weights from the recorded feedback on matches (relevant / declined
    with reasons), report before/after on held-out feedback and, with --apply, use them when
    they win (recorded in the weights history; a rebuild of the matches follows)."""
    actor = _operator(by_email) if by_email else None
    examples, missing = weight_settings.list_feedback_examples(db.session)
    before = weight_settings.effective_weights(db.session, current_app.config.get("MATCH_WEIGHTS"))
    try:
        report = tune(examples, before, seed=seed)
    except TooLittleFeedbackError as error:
        raise click.ClickException(f"{str(error).capitalize()}. ({missing} judged pairs are no "
                                   f"longer among the stored matches and cannot count.)") from None
    click.echo(format_report(report))
    if missing:
        click.echo(f"({missing} judged pairs are no longer among the stored matches: left out.)")
    if not report.apply:
        click.echo("Nothing changed.")
        return
    if not apply_:
        click.echo("Dry run: run again with --apply to use the learnt weights.")
        return
    change = weight_settings.record_weights(
        db.session, before=report.before, after=report.after, report=report.as_dict(),
        actor=actor, via=f"flask match tune (os user {getpass.getuser()})")
    job = enqueue(db.session, "matches.rebuild")
    db.session.commit()
    click.echo(f"Applied: weights change {change.id} recorded; the matches are rebuilt with "
               f"them by job {job.id} (`flask jobs list` follows it).")


def _operator(email: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None or not user.is_admin or not user.is_active:
        raise click.BadParameter(f"{email} is not an active operator account",
                                 param_hint="--by")
    return user


@match.command("export-qrels")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def match_export_qrels(path: Path) -> None:
    """Write all match feedback to PATH as TREC qrels (need_id 0 output_id grade).

    relevant → 2, declined → 0; one line per pair, the latest verdict wins (ties: declined).
    Use it with the profiles of `flask match export-profiles`:
    python -m matchmaker.matching evaluate --outputs … --needs … --qrels PATH
    """
    rows = recommendations.list_qrels(db.session)
    path.write_text("".join(f"{need} 0 {output} {grade}\n" for need, output, grade in rows),
                    encoding="utf-8")
    click.echo(f"Wrote {len(rows)} judged pairs to {path}.")


@match.command("export-profiles")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def match_export_profiles(folder: Path) -> None:
    """Write the published outputs and needs (FOLDER/outputs.jsonl, FOLDER/needs.jsonl) and the
    chains (FOLDER/chains.json) in the batch CLI's formats, with database ids as in
    export-qrels."""
    folder.mkdir(parents=True, exist_ok=True)
    chains = recommendations.list_chain_records(db.session)
    (folder / "chains.json").write_text(json.dumps(chains, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    for side, kind in ((Side.OUTPUT, "outputs"), (Side.NEED, "needs")):  # file names
        count = 0
        with (folder / f"{kind}.jsonl").open("w", encoding="utf-8") as file:
            for record in recommendations.list_profile_records(db.session, side):
                file.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        click.echo(f"Wrote {count} {kind} to {folder / f'{kind}.jsonl'}.")


@click.command("bench-data")
@click.option("--outputs", default=100_000, show_default=True, help="Research outputs to make.")
@click.option("--needs", default=20_000, show_default=True, help="Technology needs to make.")
@click.option("--force", is_flag=True,
              help="Run even though the database holds records that are not demo data.")
@click.option("--seed", default=7, show_default=True, help="Random seed (amounts, TRL, modes).")
def bench_data(outputs: int, needs: int, force: bool, seed: int) -> None:
    """Replace the benchmark listings with OUTPUTS + NEEDS realistic ones (bench/datagen.py),
    then queue a rebuild of the matches. Needs a checkout with bench/ and ../shared/eval-data."""
    try:
        from bench import datagen
    except ImportError as error:
        raise click.ClickException(f"bench/ is not importable here ({error}); run from a "
                                   f"checkout of the project") from error
    try:
        result = datagen.generate(db.session, outputs, needs, force=force, seed=seed,
                                  log=click.echo)
    except datagen.RealRecordsError as error:
        raise click.ClickException(
            f"this database holds records that are not demo or benchmark data ({error}); "
            f"refusing to add benchmark data to it (use --force if you are sure)") from error
    enqueue(db.session, "matches.rebuild")
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # fresh statistics for the planner at once
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    click.echo(f"Made {result['outputs']} outputs and {result['needs']} needs for "
               f"{result['institutions']} institutions and {result['enterprises']} enterprises "
               f"in {result['seconds']} s (replaced {result['replaced']} earlier ones); "
               f"a match rebuild is queued (or run `flask match rebuild`).")


# --- flask backup / flask restore (matchmaker/backup.py) -------------------------------------

def _upload_dir() -> Path | None:
    folder = current_app.config.get("UPLOAD_DIR")
    return Path(folder) if folder else None


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup_command(path: Path) -> None:
    """Write the whole database and the uploaded files to the zip archive PATH (portable:
    restore it on SQLite or PostgreSQL with `flask restore`)."""
    from matchmaker import backup

    try:
        summary = backup.create_backup(db.engine, db.metadata, path, upload_dir=_upload_dir(),
                                       log=click.echo)
    except (backup.BackupError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up {sum(summary.rows.values())} rows of {len(summary.rows)} tables and "
               f"{summary.files} uploaded files ({summary.file_bytes} bytes) at revision "
               f"{summary.revision} to {path}.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Erase everything in this database first (history included), then restore.")
@click.option("--yes", is_flag=True, help="With --force: do not ask for confirmation.")
def restore_command(path: Path, force: bool, yes: bool) -> None:
    """Load the archive PATH of `flask backup` into this database, which must be empty and
    migrated to the archive's Alembic revision (or blank: it is then migrated to it)."""
    from zipfile import BadZipFile, ZipFile

    from flask_migrate import upgrade

    from matchmaker import backup

    try:
        with ZipFile(path) as archive:
            wanted = backup.read_manifest(archive)["alembic_revision"]
        revision, occupied = backup.inspect_target(db.engine, db.metadata, wanted)
        if revision is None and not _has_tables():
            click.echo(f"The database is blank: migrating it to revision {wanted} first.")
            upgrade(revision=wanted)
        elif occupied and force:
            described = ", ".join(f"{name} {n}" for name, n in sorted(occupied.items()))
            click.echo(f"WARNING: --force erases everything in "
                       f"{db.engine.url.render_as_string(hide_password=True)} before the "
                       f"restore, append-only deal history included: {described}.", err=True)
            if not yes:
                click.confirm("Erase it all and restore?", abort=True)
        summary = backup.restore_backup(db.engine, db.metadata, path, upload_dir=_upload_dir(),
                                        force=force, log=click.echo)
    except (backup.BackupError, BadZipFile, OSError) as error:
        raise click.ClickException(f"restore refused: {error}") from error
    if summary.wiped:
        click.echo(f"Erased {sum(summary.wiped.values())} rows first.")
    click.echo(f"Restored {sum(summary.rows.values())} rows of {len(summary.rows)} tables and "
               f"{summary.files} uploaded files at revision {summary.revision} from {path}.")


def _has_tables() -> bool:
    from sqlalchemy import inspect

    return bool(inspect(db.engine).get_table_names())
