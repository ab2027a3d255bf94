"""The gap map as a picture and as files: the heat map as SVG (drawn with presentation attributes
only, so it passes the pages' Content-Security-Policy as an image and goes inline into the PDF),
the CSV tables, the XLSX workbook and the PDF. Every format shows what the page shows: a cell of
fewer than ``MIN_OFFICIALS`` officials has no share, and a course the effectiveness report hides
has no figure.
"""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from piaa.i18n import gettext as _, N_

from .gaps import MIN_OFFICIALS, GapMap, course_table, gap_table

#: Fill of each shade class (the page's CSS uses the same colours), and of text on it.
SHADE_FILL = {"shade-0": "#f7f7f7", "shade-1": "#fddbc7", "shade-2": "#f4a582", "shade-3": "#d6604d",
              "shade-4": "#b2182b", "suppressed": "#e0e0e0", "none": "#ffffff"}
DARK_SHADES = ("shade-3", "shade-4")
LEGEND = (("shade-0", "0%"), ("shade-1", "1–25%"), ("shade-2", "26–50%"), ("shade-3", "51–75%"),
          ("shade-4", "76–100%"))
CELL_W, CELL_H, LABEL_W, HEAD_H, FONT = 96, 34, 260, 40, 12
DOCUMENT_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "gap-document.css"


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def heat_map_svg(gaps: GapMap, title_id: str = "heat-title") -> str:
    """Positions (rows) x competencies (columns), each cell shaded by the share of officials
    below the required level, with the share written in it; a legend below."""
    n_rows, n_cols = len(gaps.positions), len(gaps.competencies)
    width = LABEL_W + CELL_W * max(n_cols, 1) + 10
    legend_y = HEAD_H + CELL_H * n_rows + 18
    height = legend_y + 40
    title = _("Share of officials below the required level")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-labelledby="{title_id}" font-family="sans-serif" '
           f'font-size="{FONT}">', f'<title id="{title_id}">{escape(title)}</title>']
    for j, (code, _name) in enumerate(gaps.competencies):
        x = LABEL_W + CELL_W * j + CELL_W / 2
        out.append(f'<text x="{x:.0f}" y="{HEAD_H - 12}" text-anchor="middle" font-weight="bold">'
                   f'{escape(_short(code, 14))}</text>')
    suppressed = _("suppressed")
    for i, (pcode, ptitle) in enumerate(gaps.positions):
        y = HEAD_H + CELL_H * i
        out.append(f'<text x="4" y="{y + CELL_H / 2 + 4:.0f}">{escape(_short(f"{ptitle} ({pcode})", 38))}</text>')
        for j, (ccode, _name) in enumerate(gaps.competencies):
            cell = gaps.cells.get((pcode, ccode))
            shade = cell.shade if cell else "none"
            x = LABEL_W + CELL_W * j
            out.append(f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{SHADE_FILL[shade]}" '
                       f'stroke="#ffffff" stroke-width="2"/>')
            if cell is None:
                label = "·"
            elif cell.suppressed:
                label = f"n&lt;{MIN_OFFICIALS}"
            else:
                label = f"{100 * cell.share_below:.0f}%"
            colour = "#ffffff" if shade in DARK_SHADES else "#1a1a1a"
            aria = f' aria-label="{escape(suppressed)}"' if cell is not None and cell.suppressed else ""
            out.append(f'<text x="{x + CELL_W / 2:.0f}" y="{y + CELL_H / 2 + 4:.0f}" text-anchor="middle" '
                       f'fill="{colour}"{aria}>{label}</text>')
    x = 4
    # Figures only, no words: the PDF engine draws SVG text without Devanagari shaping, and the
    # caption beside the picture says what "n<10" means in the reader's language.
    for shade, text in (*LEGEND, ("suppressed", f"n&lt;{MIN_OFFICIALS}")):
        out.append(f'<rect x="{x}" y="{legend_y}" width="16" height="16" fill="{SHADE_FILL[shade]}" '
                   f'stroke="#888888" stroke-width="0.5"/>')
        out.append(f'<text x="{x + 21}" y="{legend_y + 13}">{text}</text>')
        x += 21 + 8 * len(text.replace("&lt;", "<")) + 14
    out.append("</svg>")
    return "\n".join(out)


def gaps_csv(gaps: GapMap, table: str = "gaps") -> str:
    """``table`` "gaps" (one row per position and competency) or "courses" (one per course
    aimed at a gap) as CSV."""
    from .positions import table_csv

    return table_csv(_table(gaps, table))


def _table(gaps: GapMap, table: str) -> list[list]:
    if table == "gaps":
        return gap_table(gaps)
    if table == "courses":
        return course_table(gaps)
    from piaa.errors import Invalid

    raise Invalid(N_("table must be gaps or courses, got {table}"), field="table", values={"table": repr(table)})


def gaps_xlsx(gaps: GapMap) -> bytes:
    """Both tables on their own sheets, and a sheet saying what is left out and why."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Gaps"
    for row in gap_table(gaps):
        sheet.append(row)
    courses = book.create_sheet("Courses")
    for row in course_table(gaps):
        courses.append(row)
    notes = book.create_sheet("Definitions")
    notes.append(["MDO", gaps.mdo.name])
    notes.append(["share_below", "officials now holding the position whose certified proctored level is below "
                                 "the required level (no certificate counts as below)"])
    notes.append(["disclosure", f"no share for a position held by fewer than {MIN_OFFICIALS} officials; no "
                                f"workplace figure on fewer than {MIN_OFFICIALS} rated officials; no course "
                                f"figure on fewer than 10 matched learners (the effectiveness report's rule)"])
    notes.append(["mean_gain", "mean θ gain of the course's matched learners over all its runs, with its 95% "
                               "interval, from the effectiveness report filtered to the competency"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def gaps_document(gaps: GapMap) -> str:
    """The gap map as one HTML document for the PDF (heat map inline, the reader's language)."""
    from flask import render_template

    from piaa.clock import now

    return render_template("frac/gaps_document.html", gaps=gaps, minimum=MIN_OFFICIALS,
                           heat_svg=heat_map_svg(gaps), generated_at=now())


def gaps_pdf(gaps: GapMap) -> bytes:
    """The gap map as PDF (A4 landscape, the project's own fonts)."""
    from piaa.certificates.rendering import render_document

    return render_document(gaps_document(gaps), stylesheets=[DOCUMENT_CSS.read_text(encoding="utf-8")])
