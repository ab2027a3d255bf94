"""``piaa competencies ...``: load and list the competency dictionary."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from piaa.errors import DomainError, format_problem


@click.group("competencies")
def competencies() -> None:
    """The competency dictionary (FRAC)."""


@competencies.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(file: str) -> None:
    """Import FILE (.csv or .json); all or nothing. A code that exists gets a new version."""
    from pathlib import Path

    from piaa.extensions import db
    from piaa.items import services

    try:
        records = services.read_competency_file(file)
        report = services.import_competencies(db.session, records, filename=Path(file).name)
    except DomainError as exc:
        db.session.rollback()
        lines = [format_problem(p) for p in exc.problems] or [exc.message]
        raise click.ClickException("nothing imported:\n  " + "\n  ".join(lines)) from None
    db.session.commit()
    click.echo(f"{Path(file).name}: {report.summary()}")


@competencies.command("list")
@click.option("--type", "competency_type", default=None, help="behavioural, functional or domain")
@click.option("--search", default=None, help="text in code, name, description or levels")
@with_appcontext
def list_command(competency_type: str | None, search: str | None) -> None:
    """List competencies: code, type, version and name."""
    from piaa.extensions import db
    from piaa.items import services

    try:
        found = services.search_competencies(db.session, text=search, competency_type=competency_type)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    for c in found:
        click.echo(f"{c.code:<20} {c.type:<12} v{c.version:<3} {c.name}")


commands = [competencies]
