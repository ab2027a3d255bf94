"""The ``piaa`` command: database, accounts, demo data, workers, and every domain's commands."""
from __future__ import annotations

import importlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

# Each domain's commands, by name, and the module that defines them (its ``commands`` list):
# a command's module is imported only when that command runs (or --help lists them all), so
# `piaa calibrate` does not pay for pandas, WeasyPrint or the LTI library. A test checks that
# this table and the modules' lists agree.
DOMAIN_COMMANDS = {
    "demo": "piaa.demo",
    "calibrate": "piaa.psychometrics_cli", "score": "piaa.psychometrics_cli",
    "simulate": "piaa.psychometrics_cli",
    "keys": "piaa.certificates.cli", "certificates": "piaa.certificates.cli",
    "competencies": "piaa.items.competency_cli",
    "delivery": "piaa.delivery.cli",
    "bank": "piaa.items.cli",
    "effectiveness": "piaa.reports.cli",
    "responses": "piaa.calibration.cli", "parameters": "piaa.calibration.cli",
    "calibration": "piaa.calibration.cli",
    "cat": "piaa.cat_cli",
    "frac": "piaa.frac.cli",
    "lti": "piaa.integrations.cli", "webhooks": "piaa.integrations.cli",
    "backup": "piaa.operations.cli", "restore": "piaa.operations.cli",
}
CLI_MODULES = sorted(set(DOMAIN_COMMANDS.values()))

REPO_ROOT = Path(__file__).resolve().parent.parent


def _migrations_dir() -> Path:
    """Beside the package in a checkout; in the working directory for an installed copy."""
    beside = REPO_ROOT / "migrations"
    return beside if beside.is_dir() else Path.cwd() / "migrations"


def _create_app():
    from piaa import create_app

    return create_app()


class DomainCommands(FlaskGroup):
    """Flask's group, with each domain's commands imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | DOMAIN_COMMANDS.keys())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in DOMAIN_COMMANDS and name not in self.commands:
            for command in importlib.import_module(DOMAIN_COMMANDS[name]).commands:
                self.add_command(command)
        return super().get_command(ctx, name)


@click.group(cls=DomainCommands, create_app=_create_app, add_version_option=False)
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


if __name__ == "__main__":
    main()
