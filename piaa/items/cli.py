"""``piaa bank ...``: import a bank file, export a bank, list banks, write the template."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from piaa.errors import DomainError, format_problem


@click.group("bank")
def bank() -> None:
    """Item banks: import (folder, CSV, XLSX, QTI), export (qti3, csv, xlsx, json), list."""


def _refusal(exc: DomainError) -> click.ClickException:
    lines = [format_problem(p) for p in exc.problems] or [exc.message]
    return click.ClickException(f"{exc.message}; nothing imported:\n  " + "\n  ".join(lines))


@bank.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--bank", "bank_name", default=None, help="bank to import into (created if new)")
@click.option("--agency", default=None, help="the bank's assessment agency (created if new)")
@click.option("--competency", default=None, help="competency code for items that name none")
@click.option("--level", type=click.IntRange(1, 5), default=None,
              help="proficiency level for items that name none")
@click.option("--state", type=click.Choice(["draft", "approved", "operational"]), default=None,
              help="state the items are loaded in (default: the manifest's, else draft)")
@click.option("--skip-unsupported", is_flag=True,
              help="import the items that can be imported, skipping (and listing) each other one")
@click.option("--refuse-losses", is_flag=True,
              help="QTI: refuse an item that cannot be kept whole (listed per item otherwise)")
@with_appcontext
def import_command(path: Path, bank_name, agency, competency, level, state, skip_unsupported,
                   refuse_losses) -> None:
    """Import PATH: a bank folder (or its zip), .csv, .xlsx, a QTI .xml item or a QTI .zip
    package. All or nothing: any problem refuses the whole file and lists every problem."""
    from piaa.extensions import db
    from piaa.items.import_service import ImportOptions, import_path

    options = ImportOptions(bank=bank_name, agency=agency, competency=competency, level=level,
                            state=state, skip_unsupported=skip_unsupported,
                            refuse_losses=refuse_losses)
    try:
        report = import_path(db.session, path, options=options)
    except DomainError as exc:
        db.session.rollback()
        raise _refusal(exc) from None
    db.session.commit()
    click.echo(report.summary())
    for skipped in report.skipped:
        click.echo(f"  skipped {format_problem(skipped)}")
    for loss in report.losses:
        click.echo(f"  not kept: {format_problem(loss)}")
    for notice in report.notices:
        click.echo(f"  note: {notice}")


@bank.command("export")
@click.argument("bank_name", metavar="BANK")
@click.option("--format", "fmt", type=click.Choice(["qti3", "csv", "xlsx", "json"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="file to write (.zip for qti3; a folder or .zip for json)")
@with_appcontext
def export_command(bank_name: str, fmt: str, out: Path) -> None:
    """Export BANK (its items that are not retired)."""
    from piaa.extensions import db
    from piaa.items.import_service import export_bank

    try:
        written = export_bank(db.session, bank_name, fmt, out)
    except DomainError as exc:
        lines = [format_problem(p) for p in exc.problems] or [exc.message]
        raise click.ClickException(f"{exc.message}:\n  " + "\n  ".join(lines)) from None
    click.echo(f"{written['items']} items of {written['bank']!r} written to {written['out']} ({fmt})")


@bank.command("list")
@with_appcontext
def list_command() -> None:
    """List banks: name, agency, languages and item counts by state."""
    from piaa.extensions import db
    from piaa.items import services

    for found in services.list_banks(db.session, None):
        overview = services.bank_overview(db.session, found)
        counts = ", ".join(f"{n} {state}" for state, n in overview.totals.items() if n) or "empty"
        click.echo(f"{found.name}  [{found.organisation.name}; {'/'.join(found.languages)}]  {counts}")


@bank.command("template")
@click.option("--out", type=click.Path(path_type=Path), required=True, help=".csv or .xlsx")
def template_command(out: Path) -> None:
    """Write the spreadsheet template (one example row per item type)."""
    from piaa.items.importers.template import template_bytes

    out.write_bytes(template_bytes("xlsx" if out.suffix.lower() == ".xlsx" else "csv"))
    click.echo(f"template written to {out}")


commands = [bank]
