"""Flask CLI commands: flask seed, flask create-admin."""
import click
from flask import Flask, current_app
from werkzeug.security import generate_password_hash

from matchmaker.auth import services as auth_services
from matchmaker.extensions import db
from matchmaker.seed import load_seed


def register(app: Flask) -> None:
    """Add the project's commands to app.cli."""
    app.cli.add_command(seed)
    app.cli.add_command(create_admin)


@click.command("seed")
@click.option("--accounts/--no-accounts", default=True,
              help="Also create the demo accounts (one per organisation, brokers, an operator).")
def seed(accounts: bool) -> None:
    """Load seed_data/ idempotently: a second run creates nothing new."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    password = current_app.config["DEMO_PASSWORD"]
    password_hash = generate_password_hash(password, method) if method else \
        generate_password_hash(password)
    loader = load_seed(db.session, current_app.config["SEED_DIR"], password_hash=password_hash,
                       with_accounts=accounts)
    db.session.commit()
    for label in sorted(set(loader.created) | set(loader.updated)):
        click.echo(f"{label:13} created {loader.created[label]:4}  "
                   f"updated {loader.updated[label]:4}")
    if accounts:
        click.echo(f"Demo accounts: <key>@demo.example.com, e.g. admin@demo.example.com; "
                   f"password from MATCHMAKER_DEMO_PASSWORD (default {password!r}).")


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", default="Operator", show_default=True)
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create an operator account (or reset its password)."""
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    try:
        auth_services.create_admin(db.session, email, password, name,
                                   hash_method=current_app.config.get("PASSWORD_HASH_METHOD"))
    except auth_services.DuplicateEmailError:
        raise click.ClickException(f"{email} belongs to a non-operator account.")
    db.session.commit()
    click.echo(f"Operator {email} is ready.")
