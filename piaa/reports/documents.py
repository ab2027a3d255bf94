"""The report as files: CSV tables, an XLSX workbook, a self-contained HTML page and a PDF.

:func:`write_report_dir` writes everything into a fresh folder beside the target and renames
it into place, so a failure part-way leaves nothing behind.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import jinja2

from piaa.i18n import current_language, gettext, in_language, pick

from .analysis import EffectivenessReport
from .plots import MAX_FUNNELS, MAX_PDF_FUNNELS, pdf_plots, report_plots

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

COLUMNS = {
    "providers": ("provider", "competency", "n", "effect", "lower", "upper", "tier", "suppressed"),
    "courses": ("course", "provider", "competency", "n", "mean_gain", "gain_lower", "gain_upper",
                "g_av", "g_lower", "g_upper", "share_up", "up_lower", "up_upper", "share_target",
                "target_lower", "target_upper", "suppressed"),
    "ministries": ("mdo", "n", "enrolments", "participation", "matched_rate", "mean_gain",
                   "gain_lower", "gain_upper", "share_required", "composite", "components",
                   "weights", "suppressed"),
    "competencies": ("competency", "n", "mean_gain", "gain_lower", "gain_upper", "g_av", "g_lower",
                     "g_upper", "share_up", "up_lower", "up_upper", "share_target", "target_lower",
                     "target_upper", "suppressed"),
}
TABLES = tuple(COLUMNS)
#: A table in the HTML document shows at most this many rows, in the PDF at most
#: ``MAX_PDF_ROWS`` (the CSV and XLSX files hold every row).
MAX_DOCUMENT_ROWS = 50
MAX_PDF_ROWS = 25


def _weights(report: EffectivenessReport) -> str:
    return "; ".join(f"{k}={v}" for k, v in report.composite_weights.items())


def table_rows(report: EffectivenessReport, table: str) -> list[list]:
    """Rows of one table as lists in :data:`COLUMNS` order (None for an empty cell)."""
    if table not in COLUMNS:
        raise ValueError(f"table must be one of {TABLES}, got {table!r}")
    weights = _weights(report)
    out = []
    for row in getattr(report, table):
        values = dict(row, weights=weights)
        out.append([values.get(c) for c in COLUMNS[table]])
    return out


def table_csv(report: EffectivenessReport, table: str) -> str:
    """One table as CSV text: booleans as true/false, suppressed figures empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS[table])
    for row in table_rows(report, table):
        writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row])
    return buffer.getvalue()


def workbook(report: EffectivenessReport) -> bytes:
    """Every table on its own sheet, and a sheet of definitions (composite, disclosure)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows: a tenth of the time at national size
    for table in TABLES:
        sheet = book.create_sheet(table.capitalize())
        sheet.append(list(COLUMNS[table]))
        for row in table_rows(report, table):
            sheet.append(row)
    notes = book.create_sheet("Definitions")
    notes.append(["composite", report.composite_definition])
    notes.append(["weights", _weights(report)])
    notes.append(["disclosure", f"no figure for fewer than {report.min_reported} matched learners; "
                                "complementary cells hidden where totals are shown"])
    notes.append(["scope", report.scope])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@cache
def _environment() -> jinja2.Environment:
    from piaa.reports.services import organisation_name

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.globals.update(_=gettext, pick=pick, in_language=in_language, organisation_name=organisation_name)
    env.filters["limited"] = lambda rows, most: rows[:most]
    return env


def report_html(report: EffectivenessReport, plots: list[dict] | None = None,
                for_pdf: bool = False) -> str:
    """The report as one self-contained HTML document (plots inline)."""
    if plots is None:
        plots = report_plots(report, max_funnels=MAX_PDF_FUNNELS if for_pdf else MAX_FUNNELS)
    elif for_pdf:
        plots = pdf_plots(plots)
    shown = sum(p["id"].startswith("funnel-") for p in plots)
    return _environment().get_template("reports/document.html").render(
        report=report, plots=plots, for_pdf=for_pdf, lang=current_language(),
        max_rows=MAX_PDF_ROWS if for_pdf else MAX_DOCUMENT_ROWS,
        funnels_left_out=max(len(report.funnels) - shown, 0))


def report_pdf(report: EffectivenessReport, plots: list[dict] | None = None) -> bytes:
    """The report as PDF (WeasyPrint, one render at a time per process)."""
    from piaa.certificates.rendering import render_document

    return render_document(report_html(report, plots, for_pdf=True))


def _no_stages(name: str) -> None:
    return None


def write_report_dir(report: EffectivenessReport, out: Path | str, pdf: bool = True,
                     stage=_no_stages) -> list[Path]:
    """Write the CSV tables, ``report.xlsx``, ``report.html`` and ``report.pdf`` into ``out``.

    Files are written to a temporary folder beside ``out`` and moved in only when all are
    written. ``stage(name)`` is called as each step ends (the command's timings). Returns the
    paths written.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for table in ("providers", "courses", "ministries", "competencies"):
            (staging / f"{table}.csv").write_text(table_csv(report, table), encoding="utf-8")
        (staging / "report.xlsx").write_bytes(workbook(report))
        stage("tables (CSV, XLSX)")
        plots = report_plots(report)
        for plot in plots:
            (staging / f"{plot['id']}.svg").write_text(plot["svg"], encoding="utf-8")
        stage("plots")
        (staging / "report.html").write_text(report_html(report, plots), encoding="utf-8")
        stage("report.html")
        if pdf:
            (staging / "report.pdf").write_bytes(report_pdf(report, plots))
            stage("report.pdf")
        names = sorted(p.name for p in staging.iterdir())
        if not out.exists():
            os.rename(staging, out)
        else:
            for name in names:
                os.replace(staging / name, out / name)
            staging.rmdir()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / name for name in names]
