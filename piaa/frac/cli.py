"""``piaa frac ...``: positions (import, export, approve), officials' transfers, the
dictionary's nearest competencies to a proposed one, and an MDO's gap map as files."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from piaa.errors import DomainError, format_problem


def _fail(exc: DomainError) -> click.ClickException:
    from piaa.extensions import db

    db.session.rollback()
    lines = [format_problem(p) for p in exc.problems] or [exc.message]
    return click.ClickException("nothing changed:\n  " + "\n  ".join(lines))


@click.group("frac")
def frac() -> None:
    """Positions, roles and activities; officials' positions; new competencies."""


@frac.command("import-positions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mdo", required=True, help="the MDO the positions belong to")
@click.option("--approve", is_flag=True, help="approve every draft version the file leaves")
@with_appcontext
def import_positions_command(file: str, mdo: str, approve: bool) -> None:
    """Import FILE (.json, .csv or .xlsx) into MDO; all or nothing."""
    from piaa.extensions import db

    from . import positions

    try:
        org = positions.require_mdo(db.session, mdo)
        report = positions.import_positions(db.session, org, positions.read_position_file(file),
                                            filename=Path(file).name)
        if approve:
            for position in positions.search_positions(db.session, mdo=org):
                if position.newest.state == "draft":
                    positions.approve_position(db.session, position)
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    click.echo(f"{Path(file).name}: {report.summary()}")


@frac.command("export-positions")
@click.option("--mdo", required=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="file (default: stdout)")
@with_appcontext
def export_positions_command(mdo: str, fmt: str, output: str | None) -> None:
    """Write MDO's positions (newest version each) as JSON, CSV or XLSX."""
    from piaa.extensions import db

    from . import positions

    try:
        document = positions.export_positions(db.session, positions.require_mdo(db.session, mdo))
    except DomainError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        body: str | bytes = json.dumps(document, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        body = positions.table_csv(positions.position_table(document))
    else:
        if not output:
            raise click.ClickException("XLSX needs --output")
        body = positions.table_xlsx(positions.position_table(document))
    if output:
        Path(output).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        click.echo(f"wrote {output}")
    else:
        click.echo(body)


@frac.command("transfer")
@click.argument("email")
@click.argument("position_code")
@click.option("--mdo", required=True, help="the MDO of the position")
@click.option("--note", default="")
@with_appcontext
def transfer_command(email: str, position_code: str, mdo: str, note: str) -> None:
    """Move the official EMAIL to POSITION_CODE of MDO (history kept)."""
    from sqlalchemy import select

    from piaa.accounts.models import User
    from piaa.extensions import db

    from . import positions
    from .models import Position

    try:
        org = positions.require_mdo(db.session, mdo)
        user = db.session.scalar(select(User).where(User.email == email))
        position = db.session.scalar(select(Position).where(Position.mdo_id == org.id,
                                                            Position.code == position_code))
        if user is None or position is None:
            raise click.ClickException(f"no user {email}" if user is None else f"no position {position_code} in {mdo}")
        positions.transfer(db.session, user, position, note=note)
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    click.echo(f"{email} now holds {position_code} ({mdo})")


@frac.command("similar")
@click.argument("name")
@click.option("--text", default="", help="description or descriptors of the proposed competency")
@click.option("--limit", default=5, show_default=True)
@with_appcontext
def similar_command(name: str, text: str, limit: int) -> None:
    """The dictionary competencies nearest to a proposed NAME (the duplicate check)."""
    from piaa.extensions import db

    from .proposals import similar_competencies

    for found in similar_competencies(db.session, name, text, limit=limit):
        click.echo(f"{found.score:.3f}  {found.code:<20} {found.name}")


@frac.command("gap-map")
@click.option("--mdo", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), default="csv")
@click.option("--table", type=click.Choice(["gaps", "courses"]), default="gaps", help="which CSV table")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="file (default: stdout)")
@with_appcontext
def gap_map_command(mdo: str, fmt: str, table: str, output: str | None) -> None:
    """Write MDO's gap map (for its Annual Capacity Building Plan) as CSV, XLSX or PDF, with the
    same suppression as the page."""
    from piaa.extensions import db

    from . import gap_files, gaps, positions

    try:
        found = gaps.gap_map(db.session, positions.require_mdo(db.session, mdo))
    except DomainError as exc:
        raise _fail(exc) from None
    if fmt == "csv":
        body: str | bytes = gap_files.gaps_csv(found, table)
    elif not output:
        raise click.ClickException(f"{fmt.upper()} needs --output")
    else:
        body = gap_files.gaps_xlsx(found) if fmt == "xlsx" else gap_files.gaps_pdf(found)
    if output:
        Path(output).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        click.echo(f"wrote {output}")
    else:
        click.echo(body, nl=False)


commands = [frac]
