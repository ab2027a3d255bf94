"""``piaa responses export``, ``piaa parameters import|export`` and ``piaa calibration start``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from piaa.errors import DomainError, format_problem


def _fail(error: DomainError) -> click.ClickException:
    lines = [error.message] + [format_problem(p) for p in error.problems]
    return click.ClickException("\n".join(lines))


@click.group("responses")
def responses_group() -> None:
    """Scored responses as data."""


@responses_group.command("export")
@click.option("--competency", required=True, help="competency code")
@click.option("--window", "windows", type=int, multiple=True, help="window id (repeat; default all)")
@click.option("--purpose", "purposes", multiple=True,
              type=click.Choice(["pre_course", "post_course", "certification"]), help="(repeat; default all)")
@click.option("--from", "period_from", help="attempts ended on or after (YYYY-MM-DD)")
@click.option("--to", "period_to", help="attempts ended on or before (YYYY-MM-DD)")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="FILE.csv or FILE.parquet")
@with_appcontext
def responses_export(competency, windows, purposes, period_from, period_to, out_path) -> None:
    """Write the competency's scored responses in long form (one row per administered item)."""
    from piaa.calibration import responses
    from piaa.extensions import db

    fmt = Path(out_path).suffix.lower().lstrip(".")
    if fmt not in responses.FORMATS:
        raise click.BadParameter("give a .csv or .parquet file name", param_hint="--out")
    try:
        selection = responses.selection_for(db.session, competency, windows=list(windows), purposes=list(purposes),
                                            period_from=period_from, period_to=period_to)
        frame = responses.scored_responses(db.session, selection)
    except DomainError as error:
        raise _fail(error)
    tmp = Path(out_path).with_name(f".{Path(out_path).name}.tmp")
    tmp.write_bytes(responses.export_bytes(frame, fmt))
    tmp.replace(out_path)
    click.echo(f"{len(frame)} responses of {frame['attempt'].nunique()} attempts to {frame['item'].nunique()} "
               f"items; wrote {out_path}")


@click.group("parameters")
def parameters_group() -> None:
    """Item parameter sets in the `piaa calibrate --out` format."""


@parameters_group.command("import")
@click.argument("params_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--competency", required=True, help="competency code")
@click.option("--bank", default=None, help="bank name, when item codes repeat across banks")
@click.option("--label", default="", help="label of the new parameter set")
@click.option("--activate", is_flag=True, help="make it the active set (scoring uses it)")
@with_appcontext
def parameters_import(params_file, competency, bank, label, activate) -> None:
    """Store PARAMS_FILE as a new parameter set; nothing is stored if any row is wrong."""
    from piaa.calibration.parameter_files import import_parameters
    from piaa.extensions import db

    try:
        parameter_set = import_parameters(db.session, params_file, competency, bank=bank, label=label,
                                          activate=activate)
    except DomainError as error:
        db.session.rollback()
        raise _fail(error)
    db.session.commit()
    click.echo(f"parameter set {parameter_set.id}: {len(parameter_set.items)} {parameter_set.model} items"
               + (" (active)" if activate else ""))


@parameters_group.command("export")
@click.option("--competency", required=True, help="competency code")
@click.option("--set", "set_id", type=int, default=None, help="parameter set id (default: the active one)")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def parameters_export(competency, set_id, out_path) -> None:
    """Write a parameter set as PARAMS (readable by `piaa score` and `piaa parameters import`)."""
    from piaa.calibration.parameter_files import export_parameters
    from piaa.extensions import db
    from piaa.psychometrics_cli import _atomic_write

    try:
        frame = export_parameters(db.session, competency, set_id)
    except DomainError as error:
        raise _fail(error)
    _atomic_write({out_path: frame})
    click.echo(f"{len(frame)} items; wrote {out_path}")


@click.group("calibration")
def calibration_group() -> None:
    """Calibration runs of the service's own responses."""


@calibration_group.command("start")
@click.option("--competency", required=True)
@click.option("--model", type=click.Choice(["rasch", "1pl", "2pl", "3pl"]), default="2pl", show_default=True)
@click.option("--scale", type=click.Choice(["anchors", "linked", "free"]), required=True)
@click.option("--window", "windows", type=int, multiple=True)
@click.option("--purpose", "purposes", multiple=True)
@click.option("--min-responses", type=int, default=None)
@click.option("--wait/--no-wait", default=True, show_default=True, help="wait for the job and report")
@with_appcontext
def calibration_start(competency, model, scale, windows, purposes, min_responses, wait) -> None:
    """Start a calibration job (the same the psychometrician starts in the browser)."""
    from piaa import jobs
    from piaa.calibration import services
    from piaa.extensions import db

    try:
        run = services.start_calibration(db.session, competency, model=model, scale=scale, windows=list(windows),
                                         purposes=list(purposes), min_responses=min_responses)
    except DomainError as error:
        db.session.rollback()
        raise _fail(error)
    job_id = services.queue_calibration(db.session, run)
    click.echo(f"calibration run {run.id} queued (job {job_id})")
    if wait:
        job = jobs.wait(job_id, timeout=6 * 3600)
        db.session.expire_all()
        run = services.get_run(db.session, run.id)
        if run.state != "finished":
            raise click.ClickException(f"run {run.id} {run.state}: {run.error or job.error}")
        click.echo(f"run {run.id} finished in {run.duration_s:.1f} s: {run.results['n_attempts']} attempts, "
                   f"{run.results['n_items']} items")


commands = [responses_group, parameters_group, calibration_group]
