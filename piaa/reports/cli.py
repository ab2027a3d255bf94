"""``piaa effectiveness``: the effectiveness report from a file of matched learners or from the
database, written as CSV, XLSX, HTML, PDF and SVG plots into a folder."""
from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import click

from piaa.errors import DomainError, Invalid, format_problem


def _cut_scores(text: str | None):
    if not text:
        return None
    try:
        cuts = [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise click.BadParameter(f"comma-separated numbers, got {text!r}") from exc
    if any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise click.BadParameter(f"cut scores must ascend, got {text!r}")
    return cuts


@click.command("effectiveness")
@click.option("--learners", "learners_file", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of matched learners: learner, course, provider, mdo, competency, "
                   "pre_theta, pre_se, post_theta, post_se (optional: pre_level, post_level, "
                   "target_level, required_level).")
@click.option("--competency", help="Report from the database for this competency code.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Course runs starting on or after this date (with --competency).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Course runs ending on or before this date (with --competency).")
@click.option("--cut-scores", help="θ cut scores of levels 1..5, e.g. -1.5,-0.5,0.5,1.5,2.5, for "
                                   "levels missing from the learners file.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write providers.csv, courses.csv, ministries.csv, report.html, "
                   "report.pdf and the plots into.")
@click.option("--plausible-values", "plausible_draws", type=click.IntRange(min=0), default=5,
              show_default=True,
              help="With --cut-scores: plausible values per learner behind the course figures and "
                   "level transitions (0: use the reported θs as they are).")
@click.option("--no-pdf", is_flag=True, help="Skip report.pdf.")
@click.option("--timings", is_flag=True, help="Print the time each stage took (to standard error).")
def effectiveness(learners_file, competency, date_from, date_to, cut_scores, out, plausible_draws,
                  no_pdf, timings) -> None:
    """Course, provider and ministry effectiveness from pre- and post-course results."""
    from .documents import write_report_dir

    if bool(learners_file) == bool(competency):
        raise click.UsageError("give either --learners FILE or --competency CODE")
    stages = Stages(echo=timings)
    try:
        if learners_file:
            report = _report_from_file(learners_file, _cut_scores(cut_scores), plausible_draws,
                                       stages.mark)
        else:
            report = _report_from_database(competency, date_from and date_from.date(),
                                           date_to and date_to.date())
            stages.mark("report from the database")
    except Invalid as exc:
        lines = [format_problem(p) for p in exc.problems] or [exc.message]
        raise click.ClickException("nothing written:\n" + "\n".join(lines)) from exc
    except DomainError as exc:
        raise click.ClickException(f"nothing written: {exc.message}") from exc
    written = write_report_dir(report, out, pdf=not no_pdf, stage=stages.mark)
    stages.total()
    click.echo(f"{report.n_matched} matched learners; wrote {len(written)} files to {out}")


class Stages:
    """Wall-clock and CPU time of each stage of the command, printed to standard error as
    ``stage <name>: <wall> s wall, <cpu> s CPU`` when ``echo`` is set."""

    def __init__(self, echo: bool) -> None:
        self.echo = echo
        self.start = self.last = (time.perf_counter(), time.process_time())

    def mark(self, name: str) -> None:
        now = (time.perf_counter(), time.process_time())
        self._print(name, now, self.last)
        self.last = now

    def total(self) -> None:
        self._print("total", (time.perf_counter(), time.process_time()), self.start)

    def _print(self, name: str, now: tuple, since: tuple) -> None:
        if self.echo:
            click.echo(f"stage {name}: {now[0] - since[0]:.2f} s wall, {now[1] - since[1]:.2f} s CPU",
                       err=True)
            sys.stderr.flush()


def _report_from_file(path: Path, cut_scores, plausible_draws: int, stage=lambda name: None):
    from .analysis import build_report, cells_from_learners
    from .learners_file import read_learners

    stage("imports")
    learners = read_learners(path)
    stage("read and check")
    cells = cells_from_learners(learners, cut_scores, plausible_draws)
    stage("sums per cell")
    report = build_report(cells, scope=f"file {path.name}")
    stage("models and tables")
    return report


def _report_from_database(code: str, date_from: date | None, date_to: date | None):
    from flask.cli import ScriptInfo

    from piaa.extensions import db

    from .services import Selection, report_for_selection

    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context():
        return report_for_selection(db.session, Selection(competency=code, date_from=date_from,
                                                          date_to=date_to))


commands = [effectiveness]
