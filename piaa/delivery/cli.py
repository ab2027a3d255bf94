"""``piaa delivery ...``: the sweeper, rescoring after a recalibration, and cohort import."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("delivery")
def delivery_group() -> None:
    """Assessment delivery: sweeper, rescoring, cohorts."""


@delivery_group.command("sweep")
@click.option("--every", type=click.FloatRange(min=1.0), default=None,
              help="Keep sweeping every this many seconds (without it: one pass).")
@with_appcontext
def sweep_command(every: float | None) -> None:
    """Close attempts whose time is up, flag candidates whose heartbeat stopped, and hand
    background jobs whose hand-over failed to the queue again."""
    from flask import current_app

    from piaa import jobs
    from piaa.delivery.sweeper import sweep
    from piaa.extensions import db

    while True:
        report = sweep(db.session)
        requeued = jobs.requeue_stalled(current_app._get_current_object())  # threads need the app itself
        click.echo(f"closed {len(report.closed)}, heartbeat lost {len(report.heartbeat_lost)}, "
                   f"failed {len(report.failed)}, jobs re-queued {len(requeued)}")
        if every is None:
            jobs.join_threads()  # a job re-queued to a thread of this process ends before it does
            if report.failed:
                raise click.ClickException(f"could not close attempts {report.failed}; see the log")
            return
        time.sleep(every)


@delivery_group.command("rescore")
@click.option("--competency", required=True, help="Competency code whose scored attempts to rescore.")
@click.option("--reason", required=True, help="Why (kept with every new score).")
@with_appcontext
def rescore_command(competency: str, reason: str) -> None:
    """Rescore every scored attempt on a competency with its active parameter set."""
    from sqlalchemy import select

    from piaa.delivery.scoring import rescore_competency
    from piaa.extensions import db
    from piaa.items.models import Competency

    record = db.session.scalar(select(Competency).where(Competency.code == competency))
    if record is None:
        raise click.ClickException(f"no competency with code {competency!r}")
    count = rescore_competency(db.session, record.id, actor=None, reason=reason)
    db.session.commit()
    click.echo(f"rescored {count} attempt(s) of {competency}")


@delivery_group.command("enrol")
@click.argument("cohort")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", default="", help="Course of a new cohort.")
@with_appcontext
def enrol_command(cohort: str, csv_file: Path, course: str) -> None:
    """Enrol the officials of CSV_FILE (columns email, time_factor) in COHORT (created if new)."""
    from sqlalchemy import select

    from piaa.delivery.assessments import create_cohort, import_cohort_csv
    from piaa.delivery.models import Cohort
    from piaa.errors import DomainError, format_problem
    from piaa.extensions import db

    try:
        record = db.session.scalar(select(Cohort).where(Cohort.name == cohort)) \
            or create_cohort(db.session, name=cohort, course=course)
        enrolments = import_cohort_csv(db.session, record, csv_file.read_text(encoding="utf-8"),
                                       file=csv_file.name)
    except DomainError as exc:
        db.session.rollback()
        lines = [format_problem(p) for p in exc.problems] or [exc.message]
        raise click.ClickException("\n".join(lines)) from None
    db.session.commit()
    click.echo(f"enrolled {len(enrolments)} official(s) in {cohort}")


commands = [delivery_group]
