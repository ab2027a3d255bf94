"""The report's plots as inline SVG (matplotlib, Agg), each with a plain-language reading.

Text stays text in the SVG (``svg.fonttype = none``) so it is selectable, small and set in the
page's own font; every plot is drawn from the same rows the table beside it shows.
"""
from __future__ import annotations

import io
import re

import numpy as np

from piaa.i18n import gettext as _

TIER_COLOURS = {"above": "#1b7837", "within": "#5a5a5a", "below": "#b2182b"}
TIER_MARKERS = {"above": "^", "within": "o", "below": "v"}
MAX_EFFECTS = 40
MAX_FUNNELS = 4


def _figure(width: float = 6.4, height: float = 3.6, left: float = 0.12, bottom: float = 0.16):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    # Fixed margins: a layout engine costs more than the drawing itself.
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left, right=0.97, top=0.96, bottom=bottom)
    return fig, fig.add_subplot()


def _svg(fig, label_id: str) -> str:
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


def funnel_plot(funnel: dict, label_id: str) -> tuple[str, str]:
    """Funnel plot of one competency's providers: raw value added against matched learners."""
    fig, ax = _figure(bottom=0.24)
    n = np.asarray(funnel["n"], dtype=float)
    for level, style in (("0.95", "--"), ("0.998", ":")):
        lower, upper = funnel["limits"][level]
        label = _("95% limits") if level == "0.95" else _("99.8% limits")
        ax.plot(n, upper, style, color="#333333", linewidth=1, label=label)
        ax.plot(n, lower, style, color="#333333", linewidth=1)
    ax.axhline(0, color="#999999", linewidth=0.8)
    for tier in ("above", "within", "below"):
        pts = [p for p in funnel["points"] if p["tier"] == tier]
        if pts:
            ax.scatter([p["n"] for p in pts], [p["raw_effect"] for p in pts], s=28,
                       marker=TIER_MARKERS[tier], color=TIER_COLOURS[tier], label=_(tier_label(tier)),
                       zorder=3)
    ax.set_xscale("log")
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
    return _svg(fig, label_id), reading


def effects_plot(rows: list[dict], label_id: str, most: int = MAX_EFFECTS) -> tuple[str, str]:
    """Shrunken value added of the shown providers with their 95% intervals, sorted; with more
    than ``most`` providers, the ``most`` furthest from the average in standard errors."""
    shown = [r for r in rows if r["effect"] is not None]
    total = len(shown)
    if total > most:
        shown.sort(key=lambda r: -abs(r["effect"]) / max(r["upper"] - r["lower"], 1e-9))
        shown = shown[:most]
    shown.sort(key=lambda r: r["effect"])
    height = max(2.2, 0.32 * len(shown) + 1.0)
    fig, ax = _figure(height=height, left=0.34, bottom=0.7 / height)
    for y, r in enumerate(shown):
        colour = TIER_COLOURS[r["tier"]]
        ax.plot([r["lower"], r["upper"]], [y, y], color=colour, linewidth=2)
        ax.plot([r["effect"]], [y], marker=TIER_MARKERS[r["tier"]], color=colour, markersize=6)
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_yticks(range(len(shown)), [f"{r['provider']} · {r['competency']}" for r in shown], fontsize=7)
    ax.set_xlabel(_("Value added relative to the average provider (θ), 95% interval"))
    counts = {t: sum(r["tier"] == t for r in shown) for t in ("above", "within", "below")}
    reading = _("A bar wholly right of the line means the provider's learners ended higher than "
                "those of the average provider with the same starting ability: {above} above, "
                "{within} within and {below} below expected. Providers with fewer than 10 "
                "matched learners are not shown.", **counts)
    if total > len(shown):
        reading += " " + _("Shown: the {shown} of {total} providers furthest from the average; "
                           "all are in the providers table.", shown=len(shown), total=total)
    return _svg(fig, label_id), reading


def transition_plot(transitions: dict, label_id: str) -> tuple[str, str]:
    """Heat map of learners by level before (rows) and after (columns) the course."""
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
    return _svg(fig, label_id), reading


def gain_plot(histogram: dict, label_id: str) -> tuple[str, str]:
    """Histogram of learners' gains (post minus pre θ)."""
    edges = np.asarray(histogram["edges"], dtype=float)
    counts = np.asarray(histogram["counts"], dtype=float)
    fig, ax = _figure(height=3.0, bottom=0.18)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="#4a78b5",
           edgecolor="white")
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel(_("Gain (θ after − θ before)"))
    ax.set_ylabel(_("Learners"))
    total = counts.sum()
    gained = counts[edges[:-1] >= 0].sum()
    reading = _("Most of the bars right of zero means most learners scored higher after the "
                "course: {share}% of {total} learners gained.",
                share=int(round(100 * gained / total)) if total else 0, total=int(total))
    return _svg(fig, label_id), reading


def tier_label(tier: str) -> str:
    return {"above": "Above expected", "within": "Within expected", "below": "Below expected"}[tier]


def report_plots(report, max_funnels: int = MAX_FUNNELS) -> list[dict]:
    """Every plot of ``report``: ``{"id", "title", "svg", "reading", "table"}`` in page order,
    where ``table`` names the table the plot is drawn from. Funnel plots are drawn for the
    ``max_funnels`` competencies with most providers (filter by competency for the others)."""
    plots = []
    funnels = sorted(report.funnels, key=lambda f: -len(f["points"]))[:max_funnels]
    for k, funnel in enumerate(sorted(funnels, key=lambda f: f["competency"])):
        svg, reading = funnel_plot(funnel, f"funnel-{k}-caption")
        plots.append({"id": f"funnel-{k}", "title": _("Funnel plot: {competency}", competency=funnel["competency"]),
                      "svg": svg, "reading": reading, "table": "providers", "competency": funnel["competency"]})
    if any(r["effect"] is not None for r in report.providers):
        svg, reading = effects_plot(report.providers, "effects-caption")
        plots.append({"id": "effects", "title": _("Provider value added with 95% intervals"),
                      "svg": svg, "reading": reading, "table": "providers"})
    if report.transitions["counts"] is not None:
        svg, reading = transition_plot(report.transitions, "transitions-caption")
        plots.append({"id": "transitions", "title": _("Levels before and after the course"),
                      "svg": svg, "reading": reading, "table": "transitions"})
    if report.gain_histogram["counts"] is not None:
        svg, reading = gain_plot(report.gain_histogram, "gains-caption")
        plots.append({"id": "gains", "title": _("Distribution of learners' gains"),
                      "svg": svg, "reading": reading, "table": "gains"})
    return plots
