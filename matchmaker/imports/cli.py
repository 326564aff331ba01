"""`flask import outputs|needs FILE`: the same dry run and write as the web page, in one go."""
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.extensions import db, sqlite_writes
from matchmaker.imports import messages, services
from matchmaker.imports.columns import KINDS
from matchmaker.imports.reading import FileProblem


def _describe_row(row) -> str:
    parts = [f"{e['column'] or '-'}: {e['message']}" for e in row.errors] + list(row.notes)
    if row.duplicate:
        where = (f"row {row.duplicate['row']}" if "row" in row.duplicate
                 else f"#{row.duplicate['id']}")
        parts.append(f"like {where} “{row.duplicate['title']}” ({row.duplicate['score']})")
    return "; ".join(parts)


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only report what every row would do.")
@click.option("--as", "as_email", default="",
              help="Import as this account (its rights and organisation); default: the "
                   "platform itself, with an operator's rights.")
@click.option("--on-duplicate", type=click.Choice(services.DECISIONS), default="skip",
              show_default=True, help="What to do with every likely duplicate.")
@click.option("--locale", type=click.Choice(("zh", "en")), default="en", show_default=True,
              help="The language of the report.")
@with_appcontext
def import_command(kind: str, path: Path, dry_run: bool, as_email: str, on_duplicate: str,
                   locale: str) -> None:
    """Import research outputs or technology needs from an xlsx or CSV file.

    Every row is checked first; then all valid rows are written in one transaction, or none.
    """
    user = permissions.SYSTEM
    if as_email:
        user = db.session.scalar(select(User).where(func.lower(User.email) == as_email.lower()))
        if user is None:
            raise click.ClickException(f"no account {as_email}")
    if not permissions.may_import(user, kind):
        raise click.ClickException(f"{as_email} may not import {kind}")
    with sqlite_writes():
        try:
            plan = services.run_dry(db.session, path.read_bytes(), kind, user, locale=locale)
        except FileProblem as problem:
            from flask_babel import force_locale

            with force_locale(locale):
                raise click.ClickException(messages.file_problem(problem)) from problem
        stored = plan.stored()
        if stored["ignored"]:
            click.echo("ignored columns: " + ", ".join(stored["ignored"]))
        for row in plan.rows:
            if row.outcome != "create" or row.notes:
                click.echo(f"row {row.row}: {row.outcome}  {_describe_row(row)}")
        click.echo(" ".join(f"{k}={v}" for k, v in stored["counts"].items()))
        if dry_run:
            db.session.rollback()
            return
        try:
            from flask_babel import force_locale

            with force_locale(locale):
                counts = services.apply_import(db.session, plan, user, default=on_duplicate)
        except services.ImportAborted as error:
            db.session.rollback()
            raise click.ClickException(
                f"nothing was imported: row {error.row}: {error.message}") from error
        db.session.commit()
    click.echo("written: " + " ".join(f"{k}={v}" for k, v in counts.items()))
