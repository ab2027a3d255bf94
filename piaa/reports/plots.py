"""The report's plots as inline SVG (matplotlib, Agg), each with a plain-language reading.

Text stays text in the SVG (``svg.fonttype = none``) so it is selectable, small and set in the
page's own font; every plot is drawn from the same rows the table beside it shows.

Drawing is kept lean, since a national report draws its plots on every export: fixed margins
instead of a layout engine, one artist per series rather than one per provider, a log axis with
fixed plain-text ticks (matplotlib's default log axis builds dozens of minor ticks and typesets
every label as mathtext), and a dense scatter rasterised inside the SVG. The same SVG goes into
the page, the HTML file and the PDF (a PNG copy for the PDF was measured: drawing it costs what
the PDF engine saves by not interpreting the SVG).
"""
from __future__ import annotations

import io
import re

import numpy as np

from piaa.i18n import gettext as _
from piaa.i18n import N_
from piaa.reports.services import organisation_name

TIER_COLOURS = {"above": "#1b7837", "within": "#5a5a5a", "below": "#b2182b"}
TIER_MARKERS = {"above": "^", "within": "o", "below": "v"}
MAX_EFFECTS = 40
MAX_FUNNELS = 4
#: The PDF holds fewer funnel plots (each costs the PDF engine about as much as a page of tables).
MAX_PDF_FUNNELS = 2
#: A funnel plot with more providers than this draws its points as one embedded image.
RASTER_POINTS = 300
#: Ticks of the log axis of matched learners (those inside the plotted range are used).
COUNT_TICKS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)


def _figure(width: float = 6.4, height: float = 3.6, left: float = 0.12, bottom: float = 0.16):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    # Fixed margins: a layout engine costs more than the drawing itself.
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left, right=0.97, top=0.96, bottom=bottom)
    return fig, fig.add_subplot()


def _svg(fig, label_id: str) -> str:
    """The figure as inline SVG text, named by the element ``label_id``."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": label_id,
                                "font.family": "sans-serif"}):
        fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # Sized by the page (max-width 100%), named by the figure caption for screen readers.
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"',
                  rf'<svg \1role="img" aria-labelledby="{label_id}" focusable="false"'
                  r' preserveAspectRatio="xMidYMid meet" class="plot"', text, count=1)
    return text


def _count_axis(ax, low: float, high: float) -> None:
    """A log axis of learner counts with plain labels and no minor ticks."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    ticks = [t for t in COUNT_TICKS if low <= t <= high] or [low]
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{t:,}" for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())


def funnel_plot(funnel: dict):
    """Funnel plot of one competency's providers: raw value added against matched learners.
    Returns ``(figure, reading)``."""
    fig, ax = _figure(bottom=0.24)
    n = np.asarray(funnel["n"], dtype=float)
    for level, style in (("0.95", "--"), ("0.998", ":")):
        lower, upper = funnel["limits"][level]
        label = _("95% limits") if level == "0.95" else _("99.8% limits")
        ax.plot(n, upper, style, color="#333333", linewidth=1, label=label)
        ax.plot(n, lower, style, color="#333333", linewidth=1)
    ax.axhline(0, color="#999999", linewidth=0.8)
    dense = len(funnel["points"]) > RASTER_POINTS
    marked = [p for p in funnel["points"] if p.get("highlight")]
    others = [p for p in funnel["points"] if not p.get("highlight")]
    if marked and others:
        # A report about some providers: the rest place them, unnamed and in grey.
        ax.scatter([p["n"] for p in others], [p["raw_effect"] for p in others], s=10 if dense else 16,
                   color="#b0b0b0", label=_("Other providers"), zorder=2, rasterized=dense)
    for tier in ("above", "within", "below"):
        pts = [p for p in (marked or others) if p["tier"] == tier]
        if pts:
            ax.scatter([p["n"] for p in pts], [p["raw_effect"] for p in pts],
                       s=12 if dense and not marked else 40 if marked else 28,
                       marker=TIER_MARKERS[tier], color=TIER_COLOURS[tier], label=_(tier_label(tier)),
                       zorder=3, rasterized=dense and not marked)
    for p in marked:
        ax.annotate(organisation_name(p["provider"]), (p["n"], p["raw_effect"]), xytext=(4, 4),
                    textcoords="offset points", fontsize=7)
    _count_axis(ax, float(n.min()), float(n.max()))
    ax.set_xlabel(_("Matched learners (log scale)"))
    ax.set_ylabel(_("Value added (θ)"))
    fig.legend(fontsize=7, loc="lower center", ncols=5, frameon=False)
    outside_hi = outside_lo = 0
    for p in funnel["points"]:
        limit = float(np.interp(p["n"], n, funnel["limits"]["0.998"][1]))
        outside_hi += p["raw_effect"] > limit
        outside_lo += p["raw_effect"] < -limit
    reading = _("Each mark is a provider: how far its learners' post-course ability lies above or "
                "below what their pre-course ability predicts, against how many learners it had. "
                "Small providers scatter more by chance, so the limits widen to the left. "
                "{hi} of {total} providers lie above the 99.8% limit and {lo} below it.",
                hi=int(outside_hi), lo=int(outside_lo), total=len(funnel["points"]))
    for p in marked:
        reading += " " + _("{provider} ({n} learners) is marked: value added {effect:+.2f} θ, "
                           "{tier}.", provider=organisation_name(p["provider"]), n=p["n"], effect=p["raw_effect"],
                           tier=_(tier_label(p["tier"])).lower())
    return fig, reading


def effects_plot(rows: list[dict], most: int = MAX_EFFECTS):
    """Shrunken value added of the shown providers with their 95% intervals, sorted; with more
    than ``most`` providers, the ``most`` furthest from the average in standard errors.
    Returns ``(figure, reading)``."""
    shown = [r for r in rows if r["effect"] is not None]
    total = len(shown)
    if total > most:
        shown.sort(key=lambda r: -abs(r["effect"]) / max(r["upper"] - r["lower"], 1e-9))
        shown = shown[:most]
    shown.sort(key=lambda r: r["effect"])
    height = max(2.2, 0.32 * len(shown) + 1.0)
    fig, ax = _figure(height=height, left=0.34, bottom=0.7 / height)
    ys = np.arange(len(shown))
    ax.hlines(ys, [r["lower"] for r in shown], [r["upper"] for r in shown],
              colors=[TIER_COLOURS[r["tier"]] for r in shown], linewidth=2)
    for tier in ("above", "within", "below"):
        at = [y for y, r in zip(ys, shown) if r["tier"] == tier]
        if at:
            ax.scatter([shown[y]["effect"] for y in at], at, s=30, marker=TIER_MARKERS[tier],
                       color=TIER_COLOURS[tier], zorder=3)
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_yticks(range(len(shown)), [f"{organisation_name(r['provider'])} · {r['competency']}" for r in shown], fontsize=7)
    ax.set_xlabel(_("Value added relative to the average provider (θ), 95% interval"))
    counts = {t: sum(r["tier"] == t for r in shown) for t in ("above", "within", "below")}
    reading = _("A bar wholly right of the line means the provider's learners ended higher than "
                "those of the average provider with the same starting ability: {above} above, "
                "{within} within and {below} below expected. Providers with fewer than 10 "
                "matched learners are not shown.", **counts)
    if total > len(shown):
        reading += " " + _("Shown: the {shown} of {total} providers furthest from the average; "
                           "all are in the providers table.", shown=len(shown), total=total)
    return fig, reading


def transition_plot(transitions: dict):
    """Heat map of learners by level before (rows) and after (columns) the course.
    Returns ``(figure, reading)``."""
    counts = np.asarray(transitions["counts"], dtype=float)
    levels = transitions["levels"]
    fig, ax = _figure(width=4.8, height=4.0, left=0.16, bottom=0.13)
    total = counts.sum()
    share = counts / total if total else counts
    ax.imshow(share, cmap="Blues", vmin=0, vmax=max(share.max(), 1e-9), origin="lower")
    for (i, j), value in np.ndenumerate(counts):
        if value:
            ax.text(j, i, f"{int(value)}", ha="center", va="center", fontsize=7,
                    color="white" if share[i, j] > share.max() * 0.6 else "black")
    names = [_("below 1") if lv == 0 else str(lv) for lv in levels]
    ax.set_xticks(range(len(levels)), names)
    ax.set_yticks(range(len(levels)), names)
    ax.set_xlabel(_("Level after the course"))
    ax.set_ylabel(_("Level before the course"))
    up = float(np.triu(counts, 1).sum())
    down = float(np.tril(counts, -1).sum())
    reading = _("Cells above the diagonal are learners who moved up: {up} of {total} moved up at "
                "least one level, {down} moved down, the rest stayed at their level.",
                up=int(up), down=int(down), total=int(total))
    return fig, reading


def gain_plot(histogram: dict):
    """Histogram of learners' gains (post minus pre θ). Returns ``(figure, reading)``."""
    edges = np.asarray(histogram["edges"], dtype=float)
    counts = np.asarray(histogram["counts"], dtype=float)
    fig, ax = _figure(height=3.0, bottom=0.18)
    ax.stairs(counts, edges, fill=True, color="#4a78b5")
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel(_("Gain (θ after − θ before)"))
    ax.set_ylabel(_("Learners"))
    total = counts.sum()
    gained = counts[edges[:-1] >= 0].sum()
    reading = _("Most of the bars right of zero means most learners scored higher after the "
                "course: {share}% of {total} learners gained.",
                share=int(round(100 * gained / total)) if total else 0, total=int(total))
    return fig, reading


def tier_label(tier: str) -> str:
    return {"above": N_("Above expected"), "within": N_("Within expected"), "below": N_("Below expected")}[tier]


def report_plots(report, max_funnels: int = MAX_FUNNELS) -> list[dict]:
    """Every plot of ``report``: ``{"id", "title", "svg", "reading", "table"}`` in page order,
    where ``table`` names the table the plot is drawn from. Funnel plots are drawn for the
    ``max_funnels`` competencies with most providers (filter by competency for the others)."""
    drawings = []
    funnels = sorted(report.funnels, key=lambda f: -len(f["points"]))[:max_funnels]
    for k, funnel in enumerate(sorted(funnels, key=lambda f: f["competency"])):
        drawings.append((f"funnel-{k}", _("Funnel plot: {competency}", competency=funnel["competency"]),
                         "providers", lambda funnel=funnel: funnel_plot(funnel),
                         {"competency": funnel["competency"], "providers": len(funnel["points"])}))
    if any(r["effect"] is not None for r in report.providers):
        drawings.append(("effects", _("Provider value added with 95% intervals"), "providers",
                         lambda: effects_plot(report.providers), {}))
    if report.transitions["counts"] is not None:
        drawings.append(("transitions", _("Levels before and after the course"), "transitions",
                         lambda: transition_plot(report.transitions), {}))
    if report.gain_histogram["counts"] is not None:
        drawings.append(("gains", _("Distribution of learners' gains"), "gains",
                         lambda: gain_plot(report.gain_histogram), {}))
    plots = []
    for plot_id, title, table, draw, extra in drawings:
        fig, reading = draw()
        plots.append({"id": plot_id, "title": title, "svg": _svg(fig, f"{plot_id}-caption"),
                      "reading": reading, "table": table, **extra})
    return plots


def pdf_plots(plots: list[dict], max_funnels: int = MAX_PDF_FUNNELS) -> list[dict]:
    """The plots the PDF shows: the ``max_funnels`` funnel plots with most providers (in
    page order) and every other plot."""
    funnels = [p for p in plots if p["id"].startswith("funnel-")]
    kept = {p["id"] for p in sorted(funnels, key=lambda p: -p["providers"])[:max_funnels]}
    return [p for p in plots if not p["id"].startswith("funnel-") or p["id"] in kept]
