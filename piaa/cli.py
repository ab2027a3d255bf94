"""The ``piaa`` command: database, accounts, demo data, workers, and every domain's commands."""
from __future__ import annotations

import importlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

# Each module exposes ``commands``: a list of click commands or groups.
CLI_MODULES = [
    "piaa.demo",
    "piaa.psychometrics_cli",
    "piaa.certificates.cli",
    "piaa.items.competency_cli",
    "piaa.delivery.cli",
    "piaa.items.cli",
    "piaa.reports.cli",
    "piaa.calibration.cli",
    "piaa.cat_cli",
    "piaa.frac.cli",
    "piaa.integrations.cli",
    "piaa.operations.cli",
]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _migrations_dir() -> Path:
    """Beside the package in a checkout; in the working directory for an installed copy."""
    beside = REPO_ROOT / "migrations"
    return beside if beside.is_dir() else Path.cwd() / "migrations"


def _create_app():
    from piaa import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """PIAA: Proctored, Independent, Authorised Assessment service."""


# --- database ---------------------------------------------------------------------------

def alembic_config(database_url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir()))
    cfg.set_main_option("sqlalchemy.url",
                        (database_url or current_app.config["SQLALCHEMY_DATABASE_URI"]).replace("%", "%%"))
    return cfg


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Bring the database to REVISION (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Take the database back to REVISION."""
    from alembic import command

    command.downgrade(alembic_config(), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision."""
    from alembic import command

    command.current(alembic_config())


# --- accounts ---------------------------------------------------------------------------

@main.group("users")
def users_group() -> None:
    """Accounts and API tokens."""


@users_group.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--organisation", default=None, help="agency, provider or MDO name")
@click.option("--kind", default="agency", type=click.Choice(["agency", "provider", "mdo"]))
@with_appcontext
def users_create(email, name, role, password, organisation, kind) -> None:
    """Create a user."""
    from piaa.accounts import services
    from piaa.extensions import db

    org = services.get_or_create_organisation(db.session, organisation, kind) if organisation else None
    user = services.create_user(db.session, email=email, name=name, role=role, password=password,
                                organisation=org)
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")


@users_group.command("token")
@click.argument("email")
@click.option("--label", default="cli")
@with_appcontext
def users_token(email: str, label: str) -> None:
    """Print a new personal API token for EMAIL (shown once; only its hash is stored)."""
    from piaa.accounts import services
    from piaa.extensions import db

    token = services.issue_token(db.session, services.find_user(db.session, email), label)
    db.session.commit()
    click.echo(token)


@users_group.command("password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_password(email: str, password: str) -> None:
    """Set EMAIL's password; every session of the user ends."""
    from piaa.accounts import services
    from piaa.extensions import db

    services.set_password(db.session, services.find_user(db.session, email), password)
    db.session.commit()
    click.echo(f"password set for {email}; their sessions have ended")


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """Stop EMAIL signing in; every session of the user ends."""
    from piaa.accounts import services
    from piaa.extensions import db

    services.deactivate_user(db.session, services.find_user(db.session, email))
    db.session.commit()
    click.echo(f"{email} deactivated; their sessions have ended")


# --- operations ------------------------------------------------------------------------

@main.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker(burst: bool) -> None:
    """Run a background-job worker on PIAA_REDIS_URL."""
    from piaa.jobs import run_worker

    if not current_app.config.get("PIAA_REDIS_URL"):
        raise click.ClickException("PIAA_REDIS_URL is not set: jobs run in-process, no worker needed")
    run_worker(current_app, burst=burst)


@main.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the whole chain; name the first broken row."""
    from piaa.audit import verify_chain
    from piaa.extensions import db

    report = verify_chain(db.session)
    if not report.ok:
        raise click.ClickException(
            f"audit chain broken at row {report.first_broken_id}: {report.reason} "
            f"({report.rows} rows before it are intact)")
    click.echo(f"audit chain intact: {report.rows} rows")


def _register_domain_commands() -> None:
    for module_name in CLI_MODULES:
        for command in importlib.import_module(module_name).commands:
            main.add_command(command)


_register_domain_commands()


if __name__ == "__main__":
    main()
