"""The effectiveness report as data: tables of providers, courses, competencies and ministries,
and the data behind each plot, with disclosure control applied.

Everything starts from :class:`Cells`: sufficient statistics per (course, provider, MDO,
competency), built either from learner rows (:func:`cells_from_learners`) or by the database
(:mod:`piaa.reports.matching`). Coarser tables are sums of cells, so a national report never
holds one row per learner. The statistics are :mod:`piaa.psychometrics.effectiveness`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime

import numpy as np

from piaa.psychometrics import effectiveness as eff

#: Edges of the gain histogram, in θ units; gains outside fall into the end bins.
GAIN_EDGES = np.round(np.arange(-3.0, 3.0001, 0.25), 2)
N_LEVELS = 5


@dataclass
class Cells:
    """Sums per cell; labels are object arrays ``(C,)``, ``transitions`` is ``(C, 6, 6)``,
    ``gain_counts`` is ``(C, len(GAIN_EDGES) - 1)``. With plausible values, ``plausible``
    holds each draw's sums per cell and ``transitions`` the counts averaged over the draws."""

    course: np.ndarray
    provider: np.ndarray
    mdo: np.ndarray
    competency: np.ndarray
    sums: eff.GroupSums
    transitions: np.ndarray
    gain_counts: np.ndarray
    plausible: list[eff.GroupSums] | None = None

    def __len__(self) -> int:
        return int(self.course.shape[0])


@dataclass
class Participation:
    """Per MDO: officials on the roll, officials enrolled in a course, enrolments, and
    enrolments matched (pre and post found); arrays aligned with ``mdo``."""

    mdo: np.ndarray
    officials: np.ndarray
    enrolled_officials: np.ndarray
    enrolments: np.ndarray
    matched: np.ndarray


@dataclass
class EffectivenessReport:
    """What every output (pages, HTML, PDF, CSV, XLSX) shows; rows are plain dicts whose
    suppressed figures are None."""

    title: str
    generated_at: datetime
    scope: str
    n_matched: int
    competencies: list[dict]
    providers: list[dict]
    courses: list[dict]
    ministries: list[dict]
    transitions: dict
    gain_histogram: dict
    funnels: list[dict]
    models: list[dict]
    attrition: dict | None = None
    plausible_draws: int = 0
    composite_definition: str = eff.COMPOSITE_DEFINITION  # shown as _(COMPOSITE_DEFINITION) below
    composite_weights: dict = field(default_factory=lambda: dict(eff.COMPOSITE_WEIGHTS))
    min_reported: int = eff.MIN_REPORTED


def gain_bin(gain: np.ndarray) -> np.ndarray:
    """Histogram bin of each gain (end bins catch what lies outside the edges)."""
    return np.clip(np.searchsorted(GAIN_EDGES, gain, side="right") - 1, 0, len(GAIN_EDGES) - 2)


#: Plausible values drawn per learner when levels come from cut scores, and their seed (a
#: report run twice on the same file gives the same figures).
PLAUSIBLE_DRAWS, PLAUSIBLE_SEED = 5, 20260401


def cells_from_learners(learners, cut_scores=None, plausible_draws: int = PLAUSIBLE_DRAWS) -> Cells:
    """Sum matched learners (:class:`piaa.reports.learners_file.MatchedLearners`) into cells.

    Levels come from the file's level columns where given, else from ``cut_scores``. With
    ``cut_scores`` and ``plausible_draws`` (at least 2), course figures and level transitions
    also come from plausible values of every learner's θs (conditioned per course and
    competency; :func:`piaa.psychometrics.effectiveness.plausible_values`).
    """
    codes, labels = factorize_rows(learners.course, learners.provider, learners.mdo,
                                   learners.competency)
    n_cells = len(labels[0])
    plausible = None
    if cut_scores is not None and plausible_draws >= 2 and len(learners):
        course_codes, course_labels = factorize_rows(learners.course, learners.competency)
        pv = eff.plausible_values(learners.pre_theta, learners.pre_se, learners.post_theta,
                                  learners.post_se, course_codes, len(course_labels[0]),
                                  plausible_draws, np.random.default_rng(PLAUSIBLE_SEED))
        plausible, pv_transitions = eff.plausible_sums(pv, codes, n_cells, cut_scores,
                                                       learners.target_level, learners.required_level)
    lp, lq = learners.pre_level.copy(), learners.post_level.copy()
    if cut_scores is not None:
        lp = np.where(np.isfinite(lp), lp, eff.levels_from_cuts(learners.pre_theta, cut_scores))
        lq = np.where(np.isfinite(lq), lq, eff.levels_from_cuts(learners.post_theta, cut_scores))
    sums = eff.GroupSums.from_learners(codes, n_cells, learners.pre_theta, learners.pre_se,
                                       learners.post_theta, learners.post_se, lp, lq,
                                       learners.target_level, learners.required_level)
    known = np.isfinite(lp) & np.isfinite(lq)
    transitions = eff.transition_matrix(np.where(known, lp, -1), np.where(known, lq, -1),
                                        codes, n_cells)
    bins = gain_bin(learners.post_theta - learners.pre_theta)
    n_bins = len(GAIN_EDGES) - 1
    gain_counts = np.bincount(codes * n_bins + bins, minlength=n_cells * n_bins).reshape(n_cells, n_bins)
    if plausible is not None:
        transitions = pv_transitions
    return Cells(*labels, sums=sums, transitions=transitions, gain_counts=gain_counts,
                 plausible=plausible)


def factorize_rows(*columns) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes 0..G-1 of the distinct combinations of ``columns`` (equal-length arrays of
    labels), sorted by label, and each column's label per combination."""
    import pandas as pd

    if not columns or len(columns[0]) == 0:
        return np.zeros(0, dtype=np.int64), [np.array([], dtype=object) for _ in columns]
    key = np.zeros(len(columns[0]), dtype=np.int64)
    uniques = []
    for column in columns:
        if isinstance(column, pd.Categorical):
            # Already encoded: re-rank the categories instead of hashing a million labels.
            values = np.asarray(column.categories, dtype=object)
            order = np.argsort(values)
            rank = np.empty(len(values), dtype=np.int64)
            rank[order] = np.arange(len(values))
            used = np.zeros(len(values), dtype=bool)
            used[column.codes] = True
            # Keep only the categories that occur, as factorize would.
            keep = used[order]
            renumber = np.cumsum(keep) - 1
            codes = renumber[rank[column.codes]]
            values = values[order][keep]
        else:
            codes, values = pd.factorize(np.asarray(column, dtype=object), sort=True)
        key = key * len(values) + codes
        uniques.append(np.asarray(values, dtype=object))
    distinct, inverse = np.unique(key, return_inverse=True)
    labels = []
    for values in reversed(uniques):
        labels.append(values[distinct % len(values)])
        distinct = distinct // len(values)
    return inverse.astype(np.int64), labels[::-1]


def _group(cells: Cells, *by: str) -> tuple[np.ndarray, list[tuple]]:
    """Codes of the cells grouped by the label columns ``by``, and each group's labels."""
    codes, labels = factorize_rows(*(getattr(cells, name) for name in by))
    return codes, list(zip(*labels))


def _sum_cells(sums: eff.GroupSums, codes: np.ndarray, n_groups: int) -> eff.GroupSums:
    return eff.GroupSums(**{f.name: np.bincount(codes, weights=getattr(sums, f.name), minlength=n_groups)
                            for f in fields(sums)})


def _effects(cells: Cells, codes: np.ndarray, n_groups: int, sums: eff.GroupSums) -> eff.CourseEffects:
    """Course effects of groups of cells: from plausible values where the cells carry them
    (mean gain, g_av and level shares pooled by Rubin's rules), else from the sums."""
    if not cells.plausible:
        return eff.course_effects(sums)
    pooled, _ = eff.pooled_course_effects([_sum_cells(d, codes, n_groups) for d in cells.plausible])
    # Counts and the observed means stay those of the learners themselves.
    observed = eff.course_effects(sums)
    return replace(pooled, n=observed.n, mean_pre=observed.mean_pre, mean_post=observed.mean_post,
                   share_reliable=observed.share_reliable)


def _number(value, digits: int = 3):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _course_figures(e: eff.CourseEffects, i: int, hidden: bool) -> dict:
    if hidden:
        keys = ("mean_pre", "mean_post", "mean_gain", "gain_lower", "gain_upper", "g_av", "g_lower",
                "g_upper", "share_up", "up_lower", "up_upper", "share_target", "target_lower",
                "target_upper", "share_reliable")
        return dict.fromkeys(keys)
    return {
        "mean_pre": _number(e.mean_pre[i]), "mean_post": _number(e.mean_post[i]),
        "mean_gain": _number(e.mean_gain[i]), "gain_lower": _number(e.gain_lower[i]),
        "gain_upper": _number(e.gain_upper[i]), "g_av": _number(e.g_av[i]),
        "g_lower": _number(e.g_lower[i]), "g_upper": _number(e.g_upper[i]),
        "share_up": _number(e.share_up[i]), "up_lower": _number(e.up_lower[i]),
        "up_upper": _number(e.up_upper[i]), "share_target": _number(e.share_target[i]),
        "target_lower": _number(e.target_lower[i]), "target_upper": _number(e.target_upper[i]),
        "share_reliable": _number(e.share_reliable[i]),
    }


def build_report(cells: Cells, *, title: str = "Course and provider effectiveness",
                 scope: str = "all matched learners", participation: Participation | None = None,
                 attrition: dict | None = None, generated_at: datetime | None = None,
                 rng: np.random.Generator | None = None,
                 provider_context: Cells | None = None) -> EffectivenessReport:
    """Every table and plot of the report from ``cells`` (see :class:`EffectivenessReport`).

    ``provider_context``: when ``cells`` hold some providers only (a report filtered to a
    provider, or read by one), the same selection over every provider. Value added is relative
    to the average provider, so it is estimated, and disclosure decided, on the context; the
    providers table lists the providers of ``cells`` and the funnel plots show the others as
    unnamed points.
    """
    generated_at = generated_at or datetime.now().astimezone()
    competencies = _competency_rows(cells)
    providers, funnels, models = _provider_rows(cells, provider_context)
    courses = _course_rows(cells)
    ministries = _ministry_rows(cells, participation)
    total = int(cells.sums.n.sum())
    transitions = cells.transitions.sum(axis=0) if len(cells) else np.zeros((6, 6), dtype=int)
    gain_counts = cells.gain_counts.sum(axis=0) if len(cells) else np.zeros(len(GAIN_EDGES) - 1, dtype=int)
    shown = total >= eff.MIN_REPORTED
    transitions = np.rint(transitions)  # plausible values give mean counts over the draws
    return EffectivenessReport(
        title=title, generated_at=generated_at, scope=scope, n_matched=total,
        competencies=competencies, providers=providers, courses=courses, ministries=ministries,
        transitions={"counts": transitions.astype(int).tolist() if shown else None,
                     "levels": list(range(N_LEVELS + 1)), "n": int(transitions.sum())},
        gain_histogram={"edges": GAIN_EDGES.tolist(),
                        "counts": gain_counts.astype(int).tolist() if shown else None},
        funnels=funnels, models=models, attrition=attrition,
        plausible_draws=len(cells.plausible) if cells.plausible else 0)


def _competency_rows(cells: Cells) -> list[dict]:
    codes, labels = _group(cells, "competency")
    sums = _sum_cells(cells.sums, codes, len(labels))
    effects = _effects(cells, codes, len(labels), sums)
    hidden = eff.disclosure_control(sums.n, margins=[np.zeros(len(labels), dtype=int)]).suppressed
    rows = []
    for i, (competency,) in enumerate(labels):
        rows.append({"competency": competency, "n": int(sums.n[i]), "suppressed": bool(hidden[i]),
                     **_course_figures(effects, i, hidden[i])})
    return sorted(rows, key=lambda r: r["competency"])


def _provider_rows(cells: Cells, context: Cells | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    base = cells if context is None else context
    codes, labels = _group(base, "provider", "competency")
    sums = _sum_cells(base.sums, codes, len(labels))
    provider_codes = np.unique([p for p, _ in labels], return_inverse=True)[1]
    competency_names = [c for _, c in labels]
    competency_codes = np.unique(competency_names, return_inverse=True)[1]
    hidden = eff.disclosure_control(sums.n, margins=[competency_codes, provider_codes]).suppressed
    # The (provider, competency) pairs the report is about; the rest only place them.
    selected = set(zip(cells.provider.tolist(), cells.competency.tolist()))
    rows: list[dict | None] = [None] * len(labels)
    funnels, models = [], []
    for competency in sorted({c for _, c in selected}):
        index = np.flatnonzero(np.asarray(competency_names, dtype=object) == competency)
        part = sums.take(index)
        va = None
        if (part.n > 0).sum() >= 2:
            try:
                va = eff.value_added_from_sums(part)
            except ValueError:
                va = None
        if va is not None:
            models.append({"competency": competency, "providers": int(len(index)),
                           "slope": _number(va.slope), "slope_uncorrected": _number(va.slope_naive),
                           "reliability": _number(va.reliability), "tau2": _number(va.tau2, 4),
                           "mean_effect": _number(va.mean_effect)})
        points = []
        for k, i in enumerate(index):
            provider = labels[i][0]
            mine = (provider, competency) in selected
            row = {"provider": provider, "competency": competency, "n": int(sums.n[i]),
                   "suppressed": bool(hidden[i]), "effect": None, "lower": None, "upper": None,
                   "tier": None, "raw_effect": None, "raw_se": None, "mean_pre": None,
                   "shrinkage": None}
            if va is not None and not hidden[i]:
                row.update(effect=_number(va.effect[k]), lower=_number(va.lower[k]),
                           upper=_number(va.upper[k]), raw_effect=_number(va.raw_effect[k]),
                           raw_se=_number(va.raw_se[k]), mean_pre=_number(va.mean_pre[k]),
                           shrinkage=_number(va.shrinkage[k]), tier=str(va.tier[k]))
                points.append({"provider": provider if mine else None, "n": row["n"],
                               "raw_effect": row["raw_effect"], "raw_se": row["raw_se"],
                               "tier": row["tier"], "highlight": mine and context is not None})
            if mine:
                rows[i] = row
        if va is not None and points:
            learner_var = float(np.nanmedian(va.raw_se**2 * va.n))
            grid = np.unique(np.geomspace(eff.MIN_REPORTED, max(p["n"] for p in points) * 1.1, 40).round())
            limits = eff.funnel_limits(np.sqrt(learner_var / grid))
            funnels.append({"competency": competency, "points": points, "n": grid.tolist(),
                            "limits": {str(level): [lo.round(4).tolist(), hi.round(4).tolist()]
                                       for level, (lo, hi) in limits.items()}})
    kept = [r for r in rows if r is not None]
    kept.sort(key=lambda r: (r["competency"], r["provider"]))
    return kept, funnels, models


def _course_rows(cells: Cells) -> list[dict]:
    codes, labels = _group(cells, "provider", "course", "competency")
    sums = _sum_cells(cells.sums, codes, len(labels))
    effects = _effects(cells, codes, len(labels), sums)
    provider_codes = np.unique([p for p, _, _ in labels], return_inverse=True)[1]
    competency_codes = np.unique([c for _, _, c in labels], return_inverse=True)[1]
    hidden = eff.disclosure_control(sums.n, margins=[provider_codes, competency_codes]).suppressed
    rows = []
    for i, (provider, course, competency) in enumerate(labels):
        rows.append({"course": course, "provider": provider, "competency": competency,
                     "n": int(sums.n[i]), "suppressed": bool(hidden[i]),
                     **_course_figures(effects, i, hidden[i])})
    return sorted(rows, key=lambda r: (r["provider"], r["course"], r["competency"]))


def _ministry_rows(cells: Cells, participation: Participation | None) -> list[dict]:
    codes, labels = _group(cells, "mdo")
    names = [m for (m,) in labels]
    if participation is not None:
        names = sorted(set(names) | {str(m) for m in participation.mdo})
        lookup = {m: i for i, m in enumerate(names)}
        codes = np.array([lookup[m] for (m,) in labels], dtype=int)[codes]
    sums = _sum_cells(cells.sums, codes, len(names))
    effects = eff.course_effects(sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_required = sums.reached_required / sums.with_required
    taking = np.full(len(names), np.nan)
    matched_rate = np.full(len(names), np.nan)
    enrolments = np.full(len(names), np.nan)
    if participation is not None:
        where = np.array([names.index(str(m)) for m in participation.mdo], dtype=int)
        with np.errstate(invalid="ignore", divide="ignore"):
            taking[where] = participation.enrolled_officials / participation.officials
            matched_rate[where] = participation.matched / participation.enrolments
        enrolments[where] = participation.enrolments
    hidden = eff.disclosure_control(sums.n, margins=[np.zeros(len(names), dtype=int)]).suppressed
    composite, parts = eff.ministry_composite(taking, matched_rate,
                                              np.where(hidden, np.nan, effects.mean_gain),
                                              np.where(hidden, np.nan, share_required))
    rows = []
    for i, mdo in enumerate(names):
        used = [name for name, values in parts.items() if np.isfinite(values[i])]
        rows.append({"mdo": mdo, "n": int(sums.n[i]), "suppressed": bool(hidden[i]),
                     "enrolments": None if np.isnan(enrolments[i]) else int(enrolments[i]),
                     "participation": _number(taking[i]), "matched_rate": _number(matched_rate[i]),
                     "mean_gain": None if hidden[i] else _number(effects.mean_gain[i]),
                     "gain_lower": None if hidden[i] else _number(effects.gain_lower[i]),
                     "gain_upper": None if hidden[i] else _number(effects.gain_upper[i]),
                     "share_required": None if hidden[i] else _number(share_required[i]),
                     "composite": None if hidden[i] else _number(composite[i], 1),
                     "components": "" if hidden[i] else ", ".join(used)})
    return rows

