"""The numbers of one calibration, from arrays: checks of the design, the fit on a held
scale, classical statistics, S-X² item fit, DIF by group, anchor drift, reliability and the
curves the results page draws. No database here: ``services`` builds the arrays from the
long-form responses and stores what ``calibrate`` returns.

How the scale is held (``scale``):

* ``anchors``: items of the active parameter set keep their banked values; the other items
  and the latent mean and SD are estimated on that scale. Each anchor's displacement is its
  best-fitting (a, b) given the posterior θ distributions of the anchored fit (one M-step on
  the expected counts at the quadrature nodes, as Winsteps' displacement), against its
  banked value.
* ``linked``: every item is estimated freely on a N(0, 1) scale, then put on the active
  set's scale by Stocking-Lord over the items the two share. The error of the linking
  constants is the jackknife over those common items (Monseur & Berezner, 2007); drift is
  each common item's linked value against its banked value.
* ``free``: the first calibration of a competency; the N(0, 1) scale of these responses
  becomes the competency's scale.

References
----------
Wright, B. D., & Linacre, J. M. Winsteps manual, "Displacement".
Monseur, C., & Berezner, A. (2007). The computation of equating errors in international
surveys in education. Journal of Applied Measurement, 8(3), 323-335.
Kolen, M. J., & Brennan, R. L. (2014). Test equating, scaling, and linking (3rd ed.).
Zwick, R. (2012). A review of ETS differential item functioning assessment procedures.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

FIXED_ANCHORS, LINKED, FREE = "anchors", "linked", "free"
MODELS = ("rasch", "1pl", "2pl", "3pl")
MIN_ANCHORS = {FIXED_ANCHORS: 2, LINKED: 3}
# Drift: flagged when the displacement reaches half a logit and is beyond its noise.
DRIFT_THRESHOLD = 0.5
DRIFT_Z = 1.96
FIT_ALPHA = 0.01          # S-X² flag
FIT_MIN_GROUP = 50        # attempts sharing one set of items, for an S-X² table
DIF_MIN_GROUP = 100       # attempts in the reference and in the focal group (answering the item)
THETA_GRID = np.linspace(-4.0, 4.0, 81)
OBSERVED_BINS = 10


class DesignError(ValueError):
    """Responses that cannot be calibrated as asked; the message names the items."""


@dataclass
class CalibrationInput:
    """What one calibration works on.

    x : (n_attempts, J) item scores 0/1, NaN where the item was not administered.
    omitted : (n_attempts, J) administered but not answered (scored 0 in ``x``).
    codes : (J,) item codes, for messages.
    roles : (J,) "operational" or "pretest" (the item's state when the run started).
    banked, banked_se : (J, 4) the active set's a, b, c, d and their SEs; NaN rows for
        items it does not hold.
    groups : column name -> (n_attempts,) labels (None where unknown), for DIF.
    """

    x: np.ndarray
    omitted: np.ndarray
    codes: list[str]
    roles: list[str]
    banked: np.ndarray
    banked_se: np.ndarray
    groups: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def in_base(self) -> np.ndarray:
        return ~np.isnan(self.banked[:, 1])


def _named(codes: list[str], mask: np.ndarray, detail=None, limit: int = 8) -> str:
    idx = np.flatnonzero(mask)
    shown = [f"{codes[j]}" + (f" ({detail(j)})" if detail else "") for j in idx[:limit]]
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return ", ".join(shown) + more


def check_design(data: CalibrationInput, model: str, scale: str, min_responses: int) -> None:
    """Refuse responses that cannot identify the calibration asked for.

    :raise DesignError: with no responses, too few responses to an item, an item without
        variance, items that no attempt links (the design splits into parts), or too few
        items of the active set to hold the scale.
    """
    x = data.x
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise DesignError("no scored responses match the selection")
    seen = ~np.isnan(x)
    counts = seen.sum(axis=0)
    short = counts < min_responses
    if short.any():
        raise DesignError(
            f"too few responses for a {model} calibration (at least {min_responses} per item): "
            + _named(data.codes, short, lambda j: f"{counts[j]} responses")
            + "; choose more windows or a longer period")
    correct = np.nansum(x, axis=0)
    flat = (correct == 0) | (correct == counts)
    if flat.any():
        raise DesignError("no variance (every response the same), so no parameters can be estimated: "
                          + _named(data.codes, flat, lambda j: "all correct" if correct[j] else "all wrong"))
    parts = _linked_parts(seen)
    if parts.max() > 0:
        groups = [np.flatnonzero(parts == k) for k in range(parts.max() + 1)]
        described = "; ".join(
            "{" + ", ".join(data.codes[j] for j in g[:6]) + (f" and {len(g) - 6} more" if len(g) > 6 else "") + "}"
            for g in groups[:4])
        raise DesignError(
            f"the design is not identified: the items fall into {len(groups)} groups that no attempt "
            f"answered together ({described}), so their scales cannot be joined; add attempts that "
            "take items of both groups, or calibrate each group on its own")
    if scale in MIN_ANCHORS:
        common = int(data.in_base.sum())
        if common < MIN_ANCHORS[scale]:
            what = "fixed anchors" if scale == FIXED_ANCHORS else "linking"
            raise DesignError(
                f"{what} needs at least {MIN_ANCHORS[scale]} items of the active parameter set among "
                f"the responses; {common} found")


def _linked_parts(seen: np.ndarray) -> np.ndarray:
    """(J,) label of the part of the design each item falls in (items are linked when
    one attempt took both)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    s = csr_matrix(seen.astype(np.float32))
    together = (s.T @ s) > 0
    _, labels = connected_components(together, directed=False)
    # Number parts by their first item, so messages list them in item order.
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    relabel = np.empty_like(order)
    relabel[order] = np.arange(order.size)
    return relabel[labels]


# --- the fit -----------------------------------------------------------------------------

Progress = Callable[[int, int], None]


def calibrate(data: CalibrationInput, model: str, scale: str, *, min_responses: int = 50,
              progress: Progress | None = None) -> dict:
    """Calibrate, analyse and return every figure as JSON-ready values (NaN as None).

    :raise DesignError: see ``check_design``.
    """
    from piaa.psychometrics import IRTCalibrator, link, transform_params

    if model not in MODELS:
        raise DesignError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    started = time.perf_counter()
    report = progress or (lambda done, total: None)
    check_design(data, model, scale, min_responses)
    x, n_items = data.x, data.x.shape[1]
    report(5, 100)

    def on_cycle(iteration: int, loglik: float) -> None:
        report(min(5 + iteration, 60), 100)

    anchors = {int(j): data.banked[j] for j in np.flatnonzero(data.in_base)} if scale == FIXED_ANCHORS else None
    calibrator = IRTCalibrator(model=model, callback=on_cycle)
    try:
        calibrator.fit(x, anchors=anchors)
    except ValueError as exc:
        raise DesignError(_name_columns(str(exc), data.codes)) from None
    result = calibrator.result_
    params, se = result.params.copy(), result.se.copy()
    mean, sd = float(result.latent_mean), float(result.latent_sd)
    linking = None
    if scale == LINKED:
        common = np.flatnonzero(data.in_base)
        constants = link(params[common], data.banked[common], "stocking-lord", model)
        A, B = constants.A, constants.B
        se_A, se_B = _jackknife_link(params[common], data.banked[common], model)
        params = transform_params(params, A, B, model)
        se[:, 0] = se[:, 0] / A
        se[:, 1] = se[:, 1] * A
        mean, sd = A * mean + B, A * sd
        linking = {"method": "stocking-lord", "A": A, "B": B, "se_A": se_A, "se_B": se_B,
                   "n_common": int(common.size), "converged": constants.converged}
    report(62, 100)
    fixed = data.in_base if scale == FIXED_ANCHORS else np.zeros(n_items, bool)
    se[fixed] = np.nan
    estimates = _eap(x, params, model, mean, sd)
    report(70, 100)
    classical = classical_statistics(x, data.omitted)
    fit = sx2_by_pattern(x, params, model, fixed, mean, sd)
    report(78, 100)
    dif = dif_by_group(x, estimates.theta, data.groups)
    report(90, 100)
    drift = _drift(data, x, params, se, model, scale, mean, sd)
    observed = observed_proportions(x, estimates.theta)
    scoring = np.array([r == "operational" for r in data.roles])
    reliability = _reliability(params, model, mean, sd, scoring, estimates)
    info_all = _information(params, model)
    info_operational = _information(params[scoring], model) if scoring.any() else np.zeros_like(THETA_GRID)
    items = []
    for j in range(n_items):
        role = "anchor" if fixed[j] else ("common" if scale == LINKED and data.in_base[j] else data.roles[j])
        items.append({
            "index": j, "code": data.codes[j], "role": role, "state": data.roles[j],
            "params": params[j].tolist(), "se": se[j].tolist(),
            "banked": data.banked[j].tolist() if data.in_base[j] else None,
            "n": int(classical["n"][j]), "p": classical["p"][j], "pbis": classical["pbis"][j],
            "omit_rate": classical["omit_rate"][j],
            "fit": {k: fit[k][j] for k in ("statistic", "df", "p_value", "rmsea", "flagged")},
            "dif": [{"comparison": c["key"], "mh_delta": c["mh_delta"][j], "mh_class": c["mh_class"][j],
                     "lr_delta_r2": c["lr_delta_r2"][j], "lr_class": c["lr_class"][j],
                     "lr_p": c["lr_p"][j]} for c in dif],
            "drift": drift[j],
            "observed": observed[j],
        })
    report(100, 100)
    return _json_ready({
        "model": model, "scale": scale, "n_attempts": int(x.shape[0]),
        "n_responses": int((~np.isnan(x)).sum()), "n_items": n_items,
        "loglik": float(result.loglik), "n_iter": int(result.n_iter), "converged": bool(result.converged),
        "warnings": [_name_columns(str(w), data.codes) for w in result.warnings],
        "latent": {"mean": mean, "sd": sd}, "linking": linking, "reliability": reliability,
        "comparisons": [{k: c[k] for k in ("key", "column", "reference", "focal", "n_reference", "n_focal")}
                        for c in dif],
        "information": {"theta": THETA_GRID.tolist(), "all": info_all.tolist(),
                        "operational": info_operational.tolist()},
        "items": items, "seconds": time.perf_counter() - started,
    })


def _name_columns(message: str, codes: list[str]) -> str:
    import re

    return re.sub(r"\bitem (?:column )?(\d+)\b",
                  lambda m: f"item {codes[int(m.group(1))]}" if int(m.group(1)) < len(codes) else m.group(0),
                  message)


def _eap(x, params, model, mean, sd):
    from piaa.psychometrics import estimate_ability

    return estimate_ability(x, params, model=model, method="eap", prior_mean=mean, prior_sd=sd)


def _jackknife_link(new: np.ndarray, base: np.ndarray, model: str) -> tuple[float, float]:
    """Jackknife SEs of A and B over the common items (each left out once)."""
    from piaa.psychometrics import link

    m = new.shape[0]
    keep = ~np.eye(m, dtype=bool)
    # m Stocking-Lord fits of m - 1 items each; m is the number of common items, not persons.
    constants = np.array([[r.A, r.B] for r in (link(new[k], base[k], "stocking-lord", model) for k in keep)])
    spread = ((constants - constants.mean(axis=0)) ** 2).sum(axis=0)
    se = np.sqrt((m - 1) / m * spread)
    return float(se[0]), float(se[1])


# --- classical statistics ----------------------------------------------------------------

def classical_statistics(x: np.ndarray, omitted: np.ndarray) -> dict[str, np.ndarray]:
    """Per item: n, p (proportion correct), the point-biserial with the rest score and the
    omit rate, over the attempts that were given the item.

    The rest score is the attempt's proportion correct on its other items, so the
    correlation is defined in sparse designs (LOFT, adaptive) where no two attempts need
    share a form.
    """
    seen = ~np.isnan(x)
    x0 = np.where(seen, x, 0.0)
    n = seen.sum(axis=0)
    total, count = x0.sum(axis=1), seen.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.where(seen & (count[:, None] > 1), (total[:, None] - x0) / (count[:, None] - 1), np.nan)
        use = seen & ~np.isnan(rest)
        m = use.sum(axis=0)
        xr, rr = np.where(use, x0, 0.0), np.where(use, rest, 0.0)
        mx, mr = xr.sum(0) / m, rr.sum(0) / m
        cov = (xr * rr).sum(0) / m - mx * mr
        vx = (xr * xr).sum(0) / m - mx ** 2
        vr = (rr * rr).sum(0) / m - mr ** 2
        pbis = cov / np.sqrt(vx * vr)
        p = x0.sum(axis=0) / n
        omit_rate = (omitted & seen).sum(axis=0) / n
    return {"n": n, "p": p, "pbis": pbis, "omit_rate": omit_rate}


# --- item fit ------------------------------------------------------------------------------

def sx2_by_pattern(x, params, model, fixed, mean, sd) -> dict[str, np.ndarray]:
    """Orlando-Thissen S-X² per item, in sparse designs too.

    Summed scores compare only among attempts that took the same items, so attempts are
    grouped by the set of items they took; each group of at least ``FIT_MIN_GROUP`` gives
    an S-X² table per item, and an item's statistics and degrees of freedom add over the
    groups (independent samples). Items in no such group get NaN.
    """
    from scipy.stats import chi2

    from piaa.psychometrics import s_x2

    n_items = x.shape[1]
    seen = ~np.isnan(x)
    stat, df = np.zeros(n_items), np.zeros(n_items)
    covered = np.zeros(n_items, bool)
    patterns, which = np.unique(seen, axis=0, return_inverse=True)
    sizes = np.bincount(which.ravel(), minlength=patterns.shape[0])
    per_item = np.where(fixed, 0, {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3}[model])
    # One table per group of attempts sharing a form: few groups, each vectorised inside.
    for k in np.flatnonzero(sizes >= FIT_MIN_GROUP):
        cols = np.flatnonzero(patterns[k])
        if cols.size < 3:
            continue
        rows = which.ravel() == k
        result = s_x2(x[np.ix_(rows, cols)], params[cols], model, prior_mean=mean, prior_sd=sd,
                      n_item_params=per_item[cols], n_group_params=0)
        ok = np.isfinite(result.statistic) & (result.df > 0)
        stat[cols[ok]] += result.statistic[ok]
        df[cols[ok]] += result.df[ok]
        covered[cols[ok]] = True
    n_used = np.array([sizes[patterns[:, j]].sum() for j in range(n_items)]) if n_items else np.zeros(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_value = np.where(covered, chi2.sf(stat, np.maximum(df, 1)), np.nan)
        rmsea = np.where(covered, np.sqrt(np.maximum(stat / np.maximum(df, 1) - 1, 0) / np.maximum(n_used - 1, 1)),
                         np.nan)
    return {"statistic": np.where(covered, stat, np.nan), "df": np.where(covered, df, np.nan),
            "p_value": p_value, "rmsea": rmsea, "flagged": covered & (p_value < FIT_ALPHA)}


# --- DIF -----------------------------------------------------------------------------------

def dif_by_group(x: np.ndarray, theta: np.ndarray, groups: dict[str, np.ndarray]) -> list[dict]:
    """Mantel-Haenszel (ETS A/B/C) and logistic-regression DIF for every group column:
    the most frequent value is the reference group, each other value with at least
    ``DIF_MIN_GROUP`` attempts a focal group. Attempts are matched on their EAP θ
    (quantile strata for Mantel-Haenszel, the value itself for the logistic model),
    which stays comparable when attempts took different items."""
    from piaa.psychometrics import logistic_dif, mantel_haenszel

    comparisons = []
    for column, labels in groups.items():
        labels = np.asarray(labels, dtype=object)
        known = np.array([v is not None and v == v and v != "" for v in labels])
        values, counts = np.unique(labels[known].astype(str), return_counts=True)
        if values.size < 2:
            continue
        order = np.argsort(-counts, kind="stable")
        reference, n_ref = values[order[0]], int(counts[order[0]])
        if n_ref < DIF_MIN_GROUP:
            continue
        for focal, n_focal in zip(values[order[1:]], counts[order[1:]]):
            if n_focal < DIF_MIN_GROUP:
                continue
            as_text = np.where(known, labels.astype(str), "")
            rows = (as_text == reference) | (as_text == focal)
            g = (as_text[rows] == focal).astype(int)
            xs, th = x[rows], theta[rows]
            # In a sparse design (LOFT, CAT) an item meets only a share of each group: an
            # item is compared only where both groups answered it DIF_MIN_GROUP times, else
            # a few dozen responses would give chance C classes.
            usable = ((np.sum(~np.isnan(xs[g == 0]), axis=0) >= DIF_MIN_GROUP)
                      & (np.sum(~np.isnan(xs[g == 1]), axis=0) >= DIF_MIN_GROUP))
            if not usable.any():
                continue
            cols = np.flatnonzero(usable)
            mh = mantel_haenszel(xs[:, cols], g, matching=_strata(th))
            with np.errstate(all="ignore"):
                lr = logistic_dif(xs[:, cols], g, matching=th)

            def spread(values, fill=np.nan):
                out = np.full(usable.size, fill, dtype=object if fill is None else float)
                out[cols] = values
                return out

            comparisons.append({
                "key": f"{column}: {focal} vs {reference}", "column": column, "reference": reference,
                "focal": focal, "n_reference": n_ref, "n_focal": int(n_focal),
                "mh_delta": spread(mh.delta_mh),
                "mh_class": [None if c is None else str(c) for c in spread(np.asarray(mh.ets_class, dtype=object), None)],
                "lr_delta_r2": spread(lr.delta_r2_total),
                "lr_class": [None if c is None else str(c)
                             for c in spread(np.asarray(lr.effect_class, dtype=object), None)],
                "lr_p": spread(lr.p_total),
            })
    return comparisons


def _strata(theta: np.ndarray) -> np.ndarray:
    """Quantile strata of θ: about 50 attempts each, between 5 and 30 strata."""
    k = int(np.clip(theta.size // 50, 5, 30))
    edges = np.quantile(theta, np.linspace(0, 1, k + 1)[1:-1])
    return np.searchsorted(edges, theta, side="right")


# --- drift ---------------------------------------------------------------------------------

def _drift(data, x, params, se, model, scale, mean, sd) -> list[dict | None]:
    """Per item: displacement of an item of the active set against its banked value."""
    if scale == FREE:
        return [None] * x.shape[1]
    base = np.flatnonzero(data.in_base)
    if scale == FIXED_ANCHORS:
        a, b, se_b = displacement(x, params, base, model, mean, sd)
    else:
        a, b, se_b = params[base, 0], params[base, 1], se[base, 1]
    out: list[dict | None] = [None] * x.shape[1]
    for k, j in enumerate(base):
        db = float(b[k] - data.banked[j, 1])
        da = float(a[k] - data.banked[j, 0])
        beyond_noise = not np.isfinite(se_b[k]) or abs(db) > DRIFT_Z * se_b[k]
        out[j] = {"a": float(a[k]), "b": float(b[k]), "se_b": float(se_b[k]), "delta_a": da, "delta_b": db,
                  "flagged": bool(abs(db) >= DRIFT_THRESHOLD and beyond_noise)}
    return out


def displacement(x, params, items, model, mean, sd, n_iter: int = 25):
    """Best-fitting (a, b) of ``items`` given the posterior θ distributions of the fit
    (expected counts at the quadrature nodes), their lower and upper asymptotes kept.
    Rasch and 1PL items keep their slope. Returns (a, b, se_b), each (len(items),).

    Fisher scoring of every item at once on its (Q,) node counts.
    """
    from scipy.special import expit

    from piaa.psychometrics import expected_counts, normal_quadrature, normal_weights

    nodes, _ = normal_quadrature(61, (-6.0, 6.0))
    counts = expected_counts(x, params, nodes, normal_weights(nodes, mean, sd))
    r = counts.correct[items]                     # (m, Q)
    n = r + counts.incorrect[items]
    a, b, c, u = (params[items, k].astype(float).copy() for k in range(4))
    d = -a * b
    free_slope = model not in ("rasch", "1pl")
    for _ in range(n_iter):  # iterations of Fisher scoring, all items together
        z = a[:, None] * nodes[None, :] + d[:, None]
        s = expit(z)
        p = np.clip(c[:, None] + (u - c)[:, None] * s, 1e-10, 1 - 1e-10)
        dp = (u - c)[:, None] * s * (1 - s)
        w = dp ** 2 / (p * (1 - p))
        g = (r - n * p) * dp / (p * (1 - p))
        grad_d, info_dd = g.sum(1), (n * w).sum(1)
        if free_slope:
            grad_a, info_aa = (g * nodes).sum(1), (n * w * nodes ** 2).sum(1)
            info_ad = (n * w * nodes).sum(1)
            det = info_aa * info_dd - info_ad ** 2
            step_a = (info_dd * grad_a - info_ad * grad_d) / det
            step_d = (info_aa * grad_d - info_ad * grad_a) / det
            a = np.clip(a + step_a, 0.05, 10.0)
        else:
            step_d = grad_d / info_dd
        d = d + step_d
    b = -d / a
    if free_slope:
        cov_dd, cov_aa, cov_ad = info_aa / det, info_dd / det, -info_ad / det
        # b = -d/a: delta method.
        var_b = (cov_dd + b ** 2 * cov_aa + 2 * b * cov_ad) / a ** 2
    else:
        var_b = 1.0 / (info_dd * a ** 2)
    return a, b, np.sqrt(np.maximum(var_b, 0.0))


# --- reliability, curves -------------------------------------------------------------------

def _reliability(params, model, mean, sd, scoring, estimates) -> dict:
    from piaa.psychometrics import empirical_reliability, marginal_reliability

    marginal = marginal_reliability(params[scoring], model, prior_mean=mean, prior_sd=sd) if scoring.any() else None
    try:
        empirical = empirical_reliability(estimates)
    except ValueError:
        empirical = None
    return {"marginal": marginal, "empirical": empirical}


def _information(params, model) -> np.ndarray:
    from piaa.psychometrics import information

    if params.shape[0] == 0:
        return np.zeros_like(THETA_GRID)
    return np.asarray(information(THETA_GRID, params)).reshape(THETA_GRID.size, -1).sum(axis=1)


def observed_proportions(x: np.ndarray, theta: np.ndarray) -> list[list[list[float]]]:
    """Per item, ``[mean θ, proportion correct, n]`` in each of ``OBSERVED_BINS`` θ
    groups of equal size, for the empirical points of the item characteristic curve."""
    seen = (~np.isnan(x)).astype(float)  # float, so the products below run in BLAS
    edges = np.quantile(theta, np.linspace(0, 1, OBSERVED_BINS + 1)[1:-1])
    bins = np.searchsorted(edges, theta, side="right")
    onehot = np.eye(OBSERVED_BINS)[bins]                 # (n, B)
    n = onehot.T @ seen                                  # (B, J)
    right = onehot.T @ np.where(seen > 0, x, 0.0)
    theta_sum = onehot.T @ (seen * theta[:, None])
    out = []
    for j in range(x.shape[1]):
        keep = n[:, j] > 0
        out.append([[float(theta_sum[k, j] / n[k, j]), float(right[k, j] / n[k, j]), int(n[k, j])]
                    for k in np.flatnonzero(keep)])
    return out


def _json_ready(value):
    """NaN and infinities as None, numpy scalars and arrays as plain values."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value
