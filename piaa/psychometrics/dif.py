"""Differential item functioning: do matched candidates from two groups score alike?

An item shows DIF when candidates of equal proficiency but from different
groups (gender, language of instruction, service cadre, state) have different
chances of answering it correctly. Items flagged here go back to review before
they count towards anyone's proficiency level.

- :func:`mantel_haenszel` — the Mantel–Haenszel common odds ratio over
  total-score strata, its chi-square (with continuity correction), the ETS
  delta-scale MH D-DIF = -2.35 ln(α_MH) with the Robins–Breslow–Greenland
  standard error, and the ETS A/B/C categories; optional two-stage
  purification of the matching score.
- :func:`logistic_dif` — Swaminathan & Rogers' logistic regression: likelihood
  ratio tests of the group (uniform) and group × score (non-uniform) terms,
  with Nagelkerke R² changes classified after Zumbo & Thomas (1997) or
  Jodoin & Gierl (2001).

Groups are coded 0 = reference, 1 = focal. Both methods are vectorized over
items: the 2 × 2 × K tables of all items come from one ``bincount`` and the
logistic models of all items are fitted by one batched Newton iteration.

References
----------
Holland, P. W., & Thayer, D. T. (1988). Differential item performance and the
Mantel–Haenszel procedure. In Wainer & Braun (Eds.), Test validity (pp. 129–145).
Zwick, R. (2012). A review of ETS differential item functioning assessment
procedures. ETS Research Report RR-12-08.
Swaminathan, H., & Rogers, H. J. (1990). Detecting differential item
functioning using logistic regression procedures. JEM, 27, 361–370.
Jodoin, M. G., & Gierl, M. J. (2001). Evaluating type I error and power rates
using an effect size measure with the logistic regression procedure for DIF
detection. Applied Measurement in Education, 14, 329–349.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc, expit, ndtri

from ._checks import as_responses
from ._blas import single_blas_thread

__all__ = ["MantelHaenszelResult", "LogisticDIFResult", "mantel_haenszel", "logistic_dif"]

DELTA_SCALE = -2.35  # ETS delta units per log odds ratio: 4/1.7 rounded as ETS does


def _check_group(group, n_persons: int) -> np.ndarray:
    g = np.asarray(group, dtype=float)
    if g.shape != (n_persons,):
        raise ValueError(f"group must have shape ({n_persons},); got {g.shape}")
    bad = ~np.isin(g, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"group must be 0 (reference) or 1 (focal); got {g[i]:g} at row {i}")
    if g.min() == g.max():
        raise ValueError("group must contain both reference (0) and focal (1) persons")
    return g.astype(int)


def _dichotomous(responses) -> np.ndarray:
    x = as_responses(responses)
    bad = ~np.isnan(x) & (x > 1)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"DIF needs 0/1 scores; got {x[r, c]:g} at row {r}, column {c}")
    return x


def _matching_scores(x: np.ndarray, matching) -> np.ndarray:
    """(n,) matching variable: the given one, or the total score of complete rows."""
    if matching is not None:
        m = np.asarray(matching, dtype=float)
        if m.shape != (x.shape[0],):
            raise ValueError(f"matching must have shape ({x.shape[0]},); got {m.shape}")
        return m
    if np.isnan(x).any():
        r = int(np.flatnonzero(np.isnan(x).any(axis=1))[0])
        raise ValueError(
            f"row {r} has items not administered, so total scores are not comparable; "
            "pass a matching score (for example θ estimates grouped into strata)"
        )
    return x.sum(axis=1)


# ----------------------------------------------------------- Mantel–Haenszel
@dataclass(frozen=True)
class MantelHaenszelResult:
    """Mantel–Haenszel DIF for each item.

    Attributes
    ----------
    alpha_mh : (J,) common odds ratio (reference vs focal odds of success);
        above 1 favours the reference group.
    chi2 : (J,) MH chi-square with continuity correction (1 df).
    p_value : (J,) its upper-tail probability.
    delta_mh : (J,) MH D-DIF = -2.35 ln(alpha_mh); negative values mean the
        item is harder for the focal group.
    se_delta : (J,) standard error of delta_mh (Robins, Breslow & Greenland).
    ets_class : (J,) "A", "B" or "C" (Zwick, 2012 rules).
    flagged : (J,) items in class B or C.
    n_strata : (J,) strata that contributed (both groups present).
    purified : whether the matching score was purified.
    """

    alpha_mh: np.ndarray
    chi2: np.ndarray
    p_value: np.ndarray
    delta_mh: np.ndarray
    se_delta: np.ndarray
    ets_class: np.ndarray
    flagged: np.ndarray
    n_strata: np.ndarray
    purified: bool


def mantel_haenszel(
    responses,
    group,
    *,
    matching=None,
    purify: bool = False,
    max_purification_steps: int = 10,
    significance: float = 0.05,
) -> MantelHaenszelResult:
    """Mantel–Haenszel DIF with ETS classification.

    Parameters
    ----------
    responses : (n, J) 0/1 scores, NaN = not administered (that person is left
        out of that item's table).
    group : (n,) 0 = reference, 1 = focal.
    matching : optional (n,) stratifying variable with discrete values; by
        default the number-correct total over all items (the studied item
        included, as Holland & Thayer recommend).
    purify : recompute the total without the items flagged B or C (keeping
        the studied item) until the flagged set stops changing.
    significance : level for the MH chi-square and the one-sided test of
        |D| > 1 used by the ETS rules.

    ETS rules: A if |D| < 1 or the MH chi-square is not significant; C if
    |D| >= 1.5 and |D| is significantly greater than 1 (one-sided z test with
    the SE of D); B otherwise.

    Returns
    -------
    MantelHaenszelResult
    """
    x = _dichotomous(responses)
    g = _check_group(group, x.shape[0])
    if purify and matching is not None:
        raise ValueError("purify works on the total score; leave matching=None to use it")
    excluded = np.zeros(x.shape[1], dtype=bool)
    result = _mh_once(x, g, _matching_scores(x, matching), excluded, significance)
    if not purify:
        return result
    for _ in range(max_purification_steps):
        flagged = result.flagged
        if np.array_equal(flagged, excluded):
            break
        excluded = flagged.copy()
        result = _mh_once(x, g, None, excluded, significance)
    return MantelHaenszelResult(**{**result.__dict__, "purified": True})


def _mh_once(x, g, matching, excluded, significance) -> MantelHaenszelResult:
    n_persons, n_items = x.shape
    seen = ~np.isnan(x)
    xs = np.nan_to_num(x).astype(int)
    if matching is None:
        # Purified total: items flagged for DIF leave the score, except that
        # each studied item stays in its own matching score.
        base = xs[:, ~excluded].sum(axis=1)
        score = base[:, None] + np.where(excluded[None, :], xs, 0)
    else:
        score = np.broadcast_to(np.asarray(matching)[:, None], (n_persons, n_items))
    levels, stratum = np.unique(score, return_inverse=True)
    stratum = stratum.reshape(n_persons, n_items)
    n_levels = levels.size
    # One bincount builds every item's 2 x 2 x K table: cell index is
    # (item, stratum, group, score).
    index = ((np.arange(n_items)[None, :] * n_levels + stratum) * 2 + g[:, None]) * 2 + xs
    counts = np.bincount(index[seen], minlength=n_items * n_levels * 4)
    t = counts.reshape(n_items, n_levels, 2, 2).astype(float)
    a, b = t[:, :, 0, 1], t[:, :, 0, 0]  # reference right, wrong
    c, d = t[:, :, 1, 1], t[:, :, 1, 0]  # focal right, wrong
    n_ref, n_foc = a + b, c + d
    total = n_ref + n_foc
    used = (n_ref > 0) & (n_foc > 0) & (total > 1)
    tot = np.where(used, total, 1.0)
    r_k = np.where(used, a * d / tot, 0.0)
    s_k = np.where(used, b * c / tot, 0.0)
    r_sum, s_sum = r_k.sum(axis=1), s_k.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = r_sum / s_sum
        right = a + c
        wrong = b + d
        expected_a = np.where(used, n_ref * right / tot, 0.0)
        var_a = np.where(used, n_ref * n_foc * right * wrong / (tot**2 * (tot - 1.0)), 0.0)
        dev = np.abs(a.sum(axis=1, where=used) - expected_a.sum(axis=1)) - 0.5
        chi = np.maximum(dev, 0.0) ** 2 / var_a.sum(axis=1)
        p_k = np.where(used, (a + d) / tot, 0.0)
        q_k = np.where(used, (b + c) / tot, 0.0)
        var_log = (
            (p_k * r_k).sum(axis=1) / (2.0 * r_sum**2)
            + (p_k * s_k + q_k * r_k).sum(axis=1) / (2.0 * r_sum * s_sum)
            + (q_k * s_k).sum(axis=1) / (2.0 * s_sum**2)
        )
        delta = DELTA_SCALE * np.log(alpha)
        se = -DELTA_SCALE * np.sqrt(var_log)
    p_value = chdtrc(1, chi)
    ets = _ets_classes(delta, se, p_value, significance)
    return MantelHaenszelResult(
        alpha_mh=alpha,
        chi2=chi,
        p_value=p_value,
        delta_mh=delta,
        se_delta=se,
        ets_class=ets,
        flagged=ets != "A",
        n_strata=used.sum(axis=1),
        purified=False,
    )


def _ets_classes(delta, se, p_value, significance) -> np.ndarray:
    size = np.abs(delta)
    z_crit = -ndtri(significance)  # one-sided test that |D| exceeds 1
    with np.errstate(invalid="ignore", divide="ignore"):
        beyond_one = (size - 1.0) / se > z_crit
    is_a = (size < 1.0) | ~(p_value < significance) | ~np.isfinite(delta)
    is_c = ~is_a & (size >= 1.5) & beyond_one
    return np.where(is_a, "A", np.where(is_c, "C", "B"))


# ------------------------------------------------------- logistic regression
@dataclass(frozen=True)
class LogisticDIFResult:
    """Logistic-regression DIF for each item.

    Models (logit of a correct answer): M0 = score; M1 = score + group;
    M2 = score + group + score × group.

    Attributes
    ----------
    lr_uniform : (J,) 2 (LL1 - LL0), 1 df: group effect given the score.
    lr_nonuniform : (J,) 2 (LL2 - LL1), 1 df: interaction.
    lr_total : (J,) 2 (LL2 - LL0), 2 df: any DIF.
    p_uniform, p_nonuniform, p_total : (J,) chi-square p-values.
    r2 : (J, 3) Nagelkerke R² of M0, M1, M2.
    delta_r2_uniform, delta_r2_nonuniform, delta_r2_total : (J,) R² changes
        M1 - M0, M2 - M1, M2 - M0.
    effect_class : (J,) "A" negligible, "B" moderate, "C" large, from
        delta_r2_total with the chosen thresholds, "A" when p_total is not
        significant.
    coefficients : (J, 4) M2 estimates: intercept, score, group, score × group.
    converged : (J,) whether all three fits converged.
    """

    lr_uniform: np.ndarray
    lr_nonuniform: np.ndarray
    lr_total: np.ndarray
    p_uniform: np.ndarray
    p_nonuniform: np.ndarray
    p_total: np.ndarray
    r2: np.ndarray
    delta_r2_uniform: np.ndarray
    delta_r2_nonuniform: np.ndarray
    delta_r2_total: np.ndarray
    effect_class: np.ndarray
    coefficients: np.ndarray
    converged: np.ndarray


EFFECT_SIZE_THRESHOLDS = {
    "zumbo-thomas": (0.13, 0.26),
    "jodoin-gierl": (0.035, 0.070),
}


def logistic_dif(
    responses,
    group,
    *,
    matching=None,
    effect_size: str = "jodoin-gierl",
    significance: float = 0.05,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> LogisticDIFResult:
    """Swaminathan–Rogers logistic-regression DIF with Nagelkerke R² effect sizes.

    Parameters
    ----------
    responses : (n, J) 0/1 scores, NaN = not administered (left out of that
        item's regressions).
    group : (n,) 0 = reference, 1 = focal.
    matching : optional (n,) matching variable; by default the total score.
    effect_size : "jodoin-gierl" (ΔR² < .035 A, < .070 B, else C) or
        "zumbo-thomas" (< .13, < .26).
    significance : level of the 2-df test that must also hold for B or C.

    Returns
    -------
    LogisticDIFResult
    """
    key = str(effect_size).lower()
    if key not in EFFECT_SIZE_THRESHOLDS:
        raise ValueError(
            f"effect_size must be one of {', '.join(EFFECT_SIZE_THRESHOLDS)}; got {effect_size!r}"
        )
    x = _dichotomous(responses)
    g = _check_group(group, x.shape[0]).astype(float)
    score = _matching_scores(x, matching)
    # Centring the score keeps the Newton steps well conditioned and does not
    # change the likelihoods.
    s = score - score.mean()
    design = np.column_stack([np.ones_like(s), s, g, s * g])
    seen = ~np.isnan(x)
    y = np.nan_to_num(x)
    fits = [_batched_logit(design[:, :p], y, seen, max_iter, tol) for p in (2, 3, 4)]
    ll = np.stack([f[1] for f in fits], axis=1)  # (J, 3)
    n = seen.sum(axis=0).astype(float)
    ll_null = _null_loglik(y, seen)
    r2 = _nagelkerke(ll, ll_null[:, None], n[:, None])
    lr_u = 2.0 * (ll[:, 1] - ll[:, 0])
    lr_n = 2.0 * (ll[:, 2] - ll[:, 1])
    lr_t = 2.0 * (ll[:, 2] - ll[:, 0])
    p_t = chdtrc(2, lr_t)
    d_total = r2[:, 2] - r2[:, 0]
    low, high = EFFECT_SIZE_THRESHOLDS[key]
    effect = np.where(d_total < low, "A", np.where(d_total < high, "B", "C"))
    effect = np.where(p_t < significance, effect, "A")
    return LogisticDIFResult(
        lr_uniform=lr_u,
        lr_nonuniform=lr_n,
        lr_total=lr_t,
        p_uniform=chdtrc(1, lr_u),
        p_nonuniform=chdtrc(1, lr_n),
        p_total=p_t,
        r2=r2,
        delta_r2_uniform=r2[:, 1] - r2[:, 0],
        delta_r2_nonuniform=r2[:, 2] - r2[:, 1],
        delta_r2_total=d_total,
        effect_class=effect,
        coefficients=_uncentre(fits[2][0], score.mean()),
        converged=np.all([f[2] for f in fits], axis=0),
    )


@single_blas_thread  # see _blas: mid-sized products, one worker per core
def _batched_logit(design, y, seen, max_iter, tol):
    """Newton–Raphson logistic regression of every item column at once.

    design : (n, p); y, seen : (n, J). Returns coefficients (J, p),
    log-likelihoods (J,) and convergence flags (J,).
    """
    n_items = y.shape[1]
    p = design.shape[1]
    beta = np.zeros((n_items, p))
    mask = seen.astype(float)
    converged = np.zeros(n_items, dtype=bool)
    ridge = 1e-10 * np.eye(p)
    # Each row's outer product, flattened: the Hessians of all items are then one
    # matrix product (a three-operand einsum here runs as a plain loop, 20x slower).
    outer = (design[:, :, None] * design[:, None, :]).reshape(len(design), p * p)
    for _ in range(max_iter):
        eta = design @ beta.T  # (n, J)
        mu = expit(eta)
        w = mask * mu * (1.0 - mu)
        grad = (design.T @ (mask * (y - mu))).T
        hess = (outer.T @ w).T.reshape(n_items, p, p) + ridge
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        # Perfectly separated items would step forever; cap the move per
        # iteration so the estimates stay finite.
        step = np.clip(step, -5.0, 5.0)
        beta = beta + np.where(converged[:, None], 0.0, step)
        converged |= np.abs(step).max(axis=1) < tol
        if converged.all():
            break
    eta = design @ beta.T
    ll = (mask * (y * eta - np.logaddexp(0.0, eta))).sum(axis=0)
    return beta, ll, converged


def _null_loglik(y, seen) -> np.ndarray:
    n = seen.sum(axis=0).astype(float)
    k = (y * seen).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        return np.where((k > 0) & (k < n), k * np.log(p) + (n - k) * np.log1p(-p), 0.0)


def _nagelkerke(ll_model, ll_null, n):
    """Cox–Snell R² rescaled to a maximum of 1."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cox_snell = 1.0 - np.exp(2.0 * (ll_null - ll_model) / n)
        ceiling = 1.0 - np.exp(2.0 * ll_null / n)
        return cox_snell / ceiling


def _uncentre(beta: np.ndarray, centre: float) -> np.ndarray:
    """Express M2 coefficients for the uncentred score."""
    out = beta.copy()
    out[:, 0] = beta[:, 0] - beta[:, 1] * centre
    out[:, 2] = beta[:, 2] - beta[:, 3] * centre
    return out
