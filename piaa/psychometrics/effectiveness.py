"""Pre/post effectiveness: learner gains, course effects, provider value added, ministry composite.

Pure numpy (scipy for a few distribution functions, imported where used so that importing
this module stays cheap). Everything is vectorised over learners and groups; loops run over
iterations (disclosure control) or a handful of competencies, never over learners.

The statistics work on **sufficient statistics** per group (:class:`GroupSums`): counts and
sums of θ, θ², cross-products and squared standard errors. Sums add across partitions of the
data, so a database can compute them with one ``GROUP BY`` and a report over a national
population never holds one row per learner in memory.

Levels follow the assessments' cut scores: ``cut_scores[k-1]`` is the θ at which level ``k``
begins (levels 1..5); level 0 means "below level 1".

Provider value added
--------------------
For one competency, learner ``i`` of provider ``j`` has observed pre-test ``x = ξ + e_x``
and post-test ``y = η + e_y`` with known standard errors, and
``η = μ + β ξ + u_j + ε``. The provider's value added is ``u_j`` (the average provider is 0).
A regression of ``y`` on the observed ``x`` estimates ``β`` attenuated by the pre-test's
reliability, so a provider that recruits stronger officials is credited with part of their
head start (regression to the mean). Here:

1. the pooled within-provider slope is corrected for measurement error: the pre-test error
   variance (each learner's SE², with the ``(n-1)/n`` share that stays within a provider) is
   subtracted from the within-provider sum of squares of the observed pre-test
   (Fuller, 1987, §1.2);
2. the raw effect ``a_j = ȳ_j - β (x̄_j - x̄)`` has variance
   ``(σ²_ε + mean SE²_post + β² mean SE²_pre) / n_j`` plus the slope's own uncertainty, so the
   pre-test error enters each provider's interval;
3. the between-provider variance τ² is estimated by REML from the raw effects and their
   variances; the raw effects are shrunk towards the mean (empirical Bayes) with Morris's
   (1983) corrections for the estimated mean and τ², so the intervals stay honest when τ² is
   near or at zero (then every provider shrinks to the mean and the tier is "within").

With all SEs zero this is the random-intercept model ``y = μ + β x + u_j + ε``; for a
balanced design its τ² and σ² equal the REML estimates of ``lme4::lmer``.

References
----------
Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to
meta-analysis, ch. 4. Wiley.
Fuller, W. A. (1987). Measurement error models. Wiley.
Jacobson, N. S., & Truax, P. (1991). Clinical significance. J. Consult. Clin. Psychol., 59, 12-19.
Lakens, D. (2013). Calculating and reporting effect sizes. Frontiers in Psychology, 4, 863.
Mislevy, R. J. (1991). Randomization-based inference about latent variables from complex
samples. Psychometrika, 56, 177-196.
Morris, C. N. (1983). Parametric empirical Bayes inference. JASA, 78, 47-55.
Rubin, D. B. (1987). Multiple imputation for nonresponse in surveys. Wiley (eqs. 3.1.2-3.1.7).
Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion.
Statistics in Medicine, 17, 857-872.
Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
Statistics in Medicine, 24, 1185-1202.
Wilson, E. B. (1927). Probable inference. JASA, 22, 209-212.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = [
    "MIN_REPORTED",
    "COMPOSITE_WEIGHTS",
    "COMPOSITE_DEFINITION",
    "TIERS",
    "LearnerGains",
    "learner_gains",
    "levels_from_cuts",
    "wilson_interval",
    "hedges_g_av",
    "GroupSums",
    "CourseEffects",
    "course_effects",
    "transition_matrix",
    "ValueAdded",
    "value_added",
    "value_added_from_sums",
    "funnel_limits",
    "rank_intervals",
    "ministry_composite",
    "Disclosure",
    "disclosure_control",
    "Pooled",
    "rubin_pool",
    "plausible_values",
    "PlausibleCourseEffects",
    "plausible_sums",
    "pooled_course_effects",
    "plausible_course_effects",
]

#: No figure is published for fewer matched learners than this.
MIN_REPORTED = 10
TIERS = ("above", "within", "below")
N_LEVELS = 5

#: Weights of the ministry composite (they sum to 1); see :data:`COMPOSITE_DEFINITION`.
COMPOSITE_WEIGHTS = {
    "participation": 0.2,
    "matched_rate": 0.2,
    "gain": 0.3,
    "required_level": 0.3,
}
#: Scale of the gain component: a mean gain of this many θ units (half a standard deviation
#: of the officials' ability, a large training effect) scores 1.
COMPOSITE_GAIN_SCALE = 0.5
# The pages show the definition in the reader's language: N_ marks it for the app's catalogue
# (the extractor looks for the name), without importing the app into this pure library.
def N_(text: str) -> str:
    return text


COMPOSITE_DEFINITION = N_(
    "Composite (0-100) = 100 x weighted mean of four components, each on 0-1: "
    "participation (officials enrolled in at least one course / officials of the ministry, "
    "weight 0.2); matched rate (enrolments with both a pre- and a post-course result / "
    "enrolments, weight 0.2); gain (mean theta gain of matched learners / 0.5, clipped to 0-1, "
    "weight 0.3); required level (matched learners whose post-course level reaches the level "
    "their position requires / matched learners with a known requirement, weight 0.3). "
    "A component that cannot be computed is left out and the other weights are rescaled "
    "to sum to 1; the components used are listed beside the composite.")


def _z(confidence: float) -> float:
    from scipy.stats import norm

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return float(norm.ppf(0.5 + confidence / 2))


def _as_1d(name: str, values, n: int | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=float).reshape(-1)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have {n} values, got {arr.shape[0]}")
    return arr


def _check_se(name: str, se: np.ndarray) -> None:
    bad = np.flatnonzero(~(se >= 0))
    if bad.size:
        raise ValueError(f"{name} must be finite and >= 0; row {int(bad[0])} is {se[bad[0]]!r}")


# --------------------------------------------------------------------------- learner
@dataclass(frozen=True)
class LearnerGains:
    """Per-learner change; every array has shape ``(n,)``.

    Attributes
    ----------
    gain : θ_post - θ_pre.
    se : sqrt(SE_pre² + SE_post²), the gain's standard error.
    reliable : |gain| > z · se (Jacobson & Truax's reliable change with known SEs).
    direction : +1 reliable gain, -1 reliable loss, 0 no reliable change.
    level_pre, level_post : proficiency level 0..5 (0 = below level 1); -1 without cut scores.
    """

    gain: np.ndarray
    se: np.ndarray
    reliable: np.ndarray
    direction: np.ndarray
    level_pre: np.ndarray
    level_post: np.ndarray


def levels_from_cuts(theta, cut_scores) -> np.ndarray:
    """Level 0..5 of each θ: how many ascending cut scores it reaches; shape of ``theta``."""
    cuts = np.asarray(cut_scores, dtype=float)
    if cuts.ndim != 1 or cuts.size == 0 or np.any(np.diff(cuts) <= 0):
        raise ValueError(f"cut_scores must be a non-empty ascending list, got {cut_scores!r}")
    return np.searchsorted(cuts, np.asarray(theta, dtype=float), side="right").astype(np.int64)


def learner_gains(pre_theta, pre_se, post_theta, post_se, cut_scores=None,
                  confidence: float = 0.95) -> LearnerGains:
    """Gain, its SE, reliable-change flag and levels before and after, for ``n`` learners."""
    pre = _as_1d("pre_theta", pre_theta)
    n = pre.shape[0]
    post = _as_1d("post_theta", post_theta, n)
    se_pre, se_post = _as_1d("pre_se", pre_se, n), _as_1d("post_se", post_se, n)
    _check_se("pre_se", se_pre)
    _check_se("post_se", se_post)
    gain = post - pre
    se = np.sqrt(se_pre**2 + se_post**2)
    reliable = np.abs(gain) > _z(confidence) * se
    direction = np.where(reliable, np.sign(gain), 0).astype(np.int64)
    if cut_scores is None:
        lp = lq = np.full(n, -1, dtype=np.int64)
    else:
        lp, lq = levels_from_cuts(pre, cut_scores), levels_from_cuts(post, cut_scores)
    return LearnerGains(gain, se, reliable, direction, lp, lq)


# --------------------------------------------------------------------------- intervals
def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a proportion, without continuity correction.

    ``successes`` and ``n`` broadcast; where ``n == 0`` both bounds are NaN.
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(k < 0) or np.any(k > m):
        raise ValueError("successes must lie between 0 and n")
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        centre = (p + z * z / (2 * m)) / (1 + z * z / m)
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
        lower, upper = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    empty = m <= 0
    return np.where(empty, np.nan, lower), np.where(empty, np.nan, upper)


def hedges_g_av(mean_diff, sd_pre, sd_post, r, n, confidence: float = 0.95):
    """Hedges' g_av for paired scores, with its small-sample correction and interval.

    d_av = mean_diff / ((sd_pre + sd_post) / 2) (Lakens, 2013, eq. 10); its variance is
    (1/n + d²/(2n)) · 2(1 - r) (Borenstein et al., 2009, eq. 4.28); the correction is
    J = 1 - 3 / (4 (n - 1) - 1) and g = J d, var(g) = J² var(d) (ibid., eqs. 4.22-4.24).
    All arguments broadcast.

    Returns
    -------
    (g, se, lower, upper, d) arrays; NaN where n < 3 or the SDs are zero.
    """
    diff, s1, s2 = (np.asarray(v, dtype=float) for v in (mean_diff, sd_pre, sd_post))
    r, n = np.asarray(r, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = diff / ((s1 + s2) / 2)
        var_d = (1 / n + d * d / (2 * n)) * 2 * (1 - r)
        j = 1 - 3 / (4 * (n - 1) - 1)
        g = np.where(n >= 3, j * d, np.nan)
        se = j * np.sqrt(np.maximum(var_d, 0))
    z = _z(confidence)
    return g, se, g - z * se, g + z * se, d


# --------------------------------------------------------------------------- sums
@dataclass
class GroupSums:
    """Sufficient statistics of matched learners per group; every field has shape ``(G,)``.

    ``pre``/``post`` are observed θs, ``pre_var``/``post_var`` their squared SEs. Level fields
    count learners whose post level is above the pre level (``moved_up``), whose post level
    reaches the course's target (``reached_target`` of ``with_target``), whose post level
    reaches the position's required level (``reached_required`` of ``with_required``), and
    whose gain is a reliable one (``reliable_gain``). Sums of two partitions add (``+``).
    """

    n: np.ndarray
    sum_pre: np.ndarray
    sum_post: np.ndarray
    sum_pre2: np.ndarray
    sum_post2: np.ndarray
    sum_prepost: np.ndarray
    sum_pre_var: np.ndarray
    sum_post_var: np.ndarray
    with_levels: np.ndarray
    moved_up: np.ndarray
    with_target: np.ndarray
    reached_target: np.ndarray
    with_required: np.ndarray
    reached_required: np.ndarray
    reliable_gain: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            setattr(self, f.name, np.asarray(getattr(self, f.name), dtype=float).reshape(-1))
        sizes = {getattr(self, f.name).shape[0] for f in fields(self)}
        if len(sizes) != 1:
            raise ValueError(f"every field of GroupSums must have one length, got {sorted(sizes)}")

    def __add__(self, other: "GroupSums") -> "GroupSums":
        return GroupSums(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                            for f in fields(self)})

    def __len__(self) -> int:
        return int(self.n.shape[0])

    def take(self, index) -> "GroupSums":
        """The sums of the groups at ``index`` (an integer array or boolean mask)."""
        return GroupSums(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def from_learners(cls, group, n_groups: int, pre_theta, pre_se, post_theta, post_se,
                      level_pre=None, level_post=None, target_level=None, required_level=None,
                      confidence: float = 0.95) -> "GroupSums":
        """Sums per group from ``n`` learners; ``group`` holds codes 0..n_groups-1.

        Levels are integers 0..5 (negative = unknown); target and required levels are
        integers 1..5 (0 or negative = none).
        """
        g = np.asarray(group, dtype=np.int64).reshape(-1)
        n = g.shape[0]
        if n and (g.min() < 0 or g.max() >= n_groups):
            raise ValueError(f"group codes must lie in 0..{n_groups - 1}")
        gains = learner_gains(pre_theta, pre_se, post_theta, post_se, confidence=confidence)
        x, y = _as_1d("pre_theta", pre_theta), _as_1d("post_theta", post_theta)
        ex, ey = _as_1d("pre_se", pre_se) ** 2, _as_1d("post_se", post_se) ** 2

        def total(weights=None) -> np.ndarray:
            return np.bincount(g, weights=weights, minlength=n_groups).astype(float)

        lp = _levels_or_unknown(level_pre, n)
        lq = _levels_or_unknown(level_post, n)
        known = (lp >= 0) & (lq >= 0)
        target = _levels_or_unknown(target_level, n)
        required = _levels_or_unknown(required_level, n)
        has_target, has_required = known & (target > 0), known & (required > 0)
        return cls(
            n=total(), sum_pre=total(x), sum_post=total(y), sum_pre2=total(x * x),
            sum_post2=total(y * y), sum_prepost=total(x * y), sum_pre_var=total(ex),
            sum_post_var=total(ey), with_levels=total(known.astype(float)),
            moved_up=total((known & (lq > lp)).astype(float)),
            with_target=total(has_target.astype(float)),
            reached_target=total((has_target & (lq >= target)).astype(float)),
            with_required=total(has_required.astype(float)),
            reached_required=total((has_required & (lq >= required)).astype(float)),
            reliable_gain=total((gains.direction > 0).astype(float)),
        )


def _levels_or_unknown(levels, n: int) -> np.ndarray:
    if levels is None:
        return np.full(n, -1, dtype=np.int64)
    arr = np.asarray(levels, dtype=float).reshape(-1)
    if arr.shape[0] != n:
        raise ValueError(f"levels must have {n} values, got {arr.shape[0]}")
    return np.where(np.isfinite(arr), arr, -1).astype(np.int64)


def _moments(s: GroupSums):
    """Means, sample variances (ddof 1) and covariance of pre and post per group."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = s.sum_pre / s.n, s.sum_post / s.n
        sxx = np.maximum(s.sum_pre2 - s.n * mx * mx, 0)
        syy = np.maximum(s.sum_post2 - s.n * my * my, 0)
        sxy = s.sum_prepost - s.n * mx * my
        df = s.n - 1
        return mx, my, sxx / df, syy / df, sxy / df, sxx, syy, sxy


# --------------------------------------------------------------------------- courses
@dataclass(frozen=True)
class CourseEffects:
    """Per-group (course, run, MDO ...) effects; every field has shape ``(G,)``.

    Mean gain with a t interval, Hedges' g_av with its interval, the shares moving up at
    least one level and reaching the target level with Wilson intervals (NaN where no
    learner has levels or a target), and the share with a reliable gain.
    """

    n: np.ndarray
    mean_pre: np.ndarray
    mean_post: np.ndarray
    sd_pre: np.ndarray
    sd_post: np.ndarray
    r: np.ndarray
    mean_gain: np.ndarray
    gain_sd: np.ndarray
    gain_lower: np.ndarray
    gain_upper: np.ndarray
    g_av: np.ndarray
    g_lower: np.ndarray
    g_upper: np.ndarray
    share_up: np.ndarray
    up_lower: np.ndarray
    up_upper: np.ndarray
    share_target: np.ndarray
    target_lower: np.ndarray
    target_upper: np.ndarray
    share_reliable: np.ndarray


def course_effects(sums: GroupSums, confidence: float = 0.95) -> CourseEffects:
    """Course-level effects of every group in ``sums`` (see :class:`CourseEffects`)."""
    from scipy.stats import t as student_t

    n = sums.n
    mx, my, vx, vy, cxy, *_ = _moments(sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        sdx, sdy = np.sqrt(vx), np.sqrt(vy)
        r = np.clip(cxy / (sdx * sdy), -1, 1)
        gain = my - mx
        gain_sd = np.sqrt(np.maximum(vx + vy - 2 * cxy, 0))
        tcrit = student_t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, tcrit * gain_sd / np.sqrt(n), np.nan)
        g, _, g_lo, g_hi, _ = hedges_g_av(gain, sdx, sdy, r, n, confidence)
        share_up = sums.moved_up / sums.with_levels
        share_target = sums.reached_target / sums.with_target
        share_reliable = sums.reliable_gain / n
    up_lo, up_hi = wilson_interval(sums.moved_up, sums.with_levels, confidence)
    t_lo, t_hi = wilson_interval(sums.reached_target, sums.with_target, confidence)
    return CourseEffects(n=n, mean_pre=mx, mean_post=my, sd_pre=sdx, sd_post=sdy, r=r,
                         mean_gain=gain, gain_sd=gain_sd, gain_lower=gain - half,
                         gain_upper=gain + half, g_av=g, g_lower=g_lo, g_upper=g_hi,
                         share_up=share_up, up_lower=up_lo, up_upper=up_hi,
                         share_target=share_target, target_lower=t_lo, target_upper=t_hi,
                         share_reliable=share_reliable)


def transition_matrix(level_pre, level_post, group=None, n_groups: int = 1,
                      n_levels: int = N_LEVELS) -> np.ndarray:
    """Counts of learners by (pre level, post level), levels 0..n_levels.

    Returns ``(n_groups, n_levels + 1, n_levels + 1)``; learners with an unknown (negative)
    level are left out.
    """
    lp = np.asarray(level_pre, dtype=np.int64).reshape(-1)
    lq = np.asarray(level_post, dtype=np.int64).reshape(-1)
    g = np.zeros_like(lp) if group is None else np.asarray(group, dtype=np.int64).reshape(-1)
    keep = (lp >= 0) & (lq >= 0) & (lp <= n_levels) & (lq <= n_levels)
    side = n_levels + 1
    flat = (g[keep] * side + lp[keep]) * side + lq[keep]
    counts = np.bincount(flat, minlength=n_groups * side * side)
    return counts.reshape(n_groups, side, side)


# --------------------------------------------------------------------------- providers
@dataclass(frozen=True)
class ValueAdded:
    """Value added of ``J`` providers of one competency, in θ units relative to the average
    provider; arrays have shape ``(J,)``.

    Attributes
    ----------
    n : matched learners per provider.
    raw_effect, raw_se : the provider's mean post-test beyond what its pre-test predicts,
        relative to the weighted mean ``mean_effect``, before shrinkage, and its SE
        (includes the pre-test error term). The funnel plot shows these.
    effect, se, lower, upper : shrunken (empirical Bayes) effect and its interval.
    shrinkage : weight given to the mean (0 = none, 1 = all).
    tier : "above", "within" or "below" expected (interval wholly above 0, across, below).
    suppressed : fewer than ``min_reported`` matched learners (or complementary suppression
        by the caller); the figures are still computed, a report must not show them.
    slope, slope_naive : pooled within-provider slope corrected for pre-test error, and the
        uncorrected one; ``reliability`` is their ratio's inverse (within-provider
        reliability of the observed pre-test).
    tau2, tau2_se : between-provider variance (REML) and its standard error.
    sigma2 : residual variance of the post-test given the true pre-test, errors excluded.
    """

    n: np.ndarray
    raw_effect: np.ndarray
    raw_se: np.ndarray
    effect: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    shrinkage: np.ndarray
    tier: np.ndarray
    suppressed: np.ndarray
    mean_pre: np.ndarray
    mean_effect: float
    slope: float
    slope_naive: float
    reliability: float
    tau2: float
    tau2_se: float
    sigma2: float


def value_added(provider, pre_theta, pre_se, post_theta, post_se, n_providers: int | None = None,
                **options) -> ValueAdded:
    """:func:`value_added_from_sums` from learner rows; ``provider`` holds codes 0..J-1."""
    codes = np.asarray(provider, dtype=np.int64).reshape(-1)
    j = int(codes.max()) + 1 if n_providers is None else int(n_providers)
    sums = GroupSums.from_learners(codes, j, pre_theta, pre_se, post_theta, post_se)
    return value_added_from_sums(sums, **options)


def value_added_from_sums(sums: GroupSums, confidence: float = 0.95,
                          correct_measurement_error: bool = True, shrink: bool = True,
                          min_reported: int = MIN_REPORTED,
                          min_reliability: float = 0.1) -> ValueAdded:
    """Provider value added for one competency from per-provider sums (module docstring).

    ``correct_measurement_error=False, shrink=False`` gives the naive ANCOVA on the observed
    pre-test (kept for comparison: it is biased whenever intakes differ). Providers without
    learners get NaN. ``min_reliability`` bounds the correction when the pre-test's error
    variance nearly equals its within-provider variance (the slope would blow up).
    """
    z = _z(confidence)
    n = sums.n
    present = n > 0
    if present.sum() < 2:
        raise ValueError("value added needs at least two providers with matched learners")
    s = sums.take(present)
    k = int(present.sum())
    total_n = float(s.n.sum())
    mx, my, _, _, _, sxx, syy, sxy = _moments(s)
    sxx, syy, sxy = (np.nan_to_num(a) for a in (sxx, syy, sxy))
    wxx, wyy, wxy = sxx.sum(), syy.sum(), sxy.sum()
    if wxx <= 0:
        raise ValueError("the pre-test does not vary within providers: no slope can be estimated")
    # Error variance of the pre-test that stays within providers: each learner's SE² with
    # weight (n_j - 1) / n_j (the rest goes into the provider's mean).
    err_within = float(np.sum(s.sum_pre_var * (s.n - 1) / s.n))
    slope_naive = wxy / wxx
    reliability = 1.0
    if correct_measurement_error:
        reliability = max((wxx - err_within) / wxx, min_reliability)
    true_wxx = wxx * reliability
    slope = wxy / true_wxx
    df = max(total_n - k - 1, 1.0)
    resid = max(wyy - 2 * slope * wxy + slope * slope * wxx, 0.0) / df
    mean_ex, mean_ey = s.sum_pre_var / s.n, s.sum_post_var / s.n
    if correct_measurement_error:
        sigma2 = max(resid - float(np.sum(s.sum_post_var) / total_n)
                     - slope * slope * float(np.sum(s.sum_pre_var) / total_n), 0.0)
        per_learner = sigma2 + mean_ey + slope * slope * mean_ex
    else:
        sigma2 = resid
        per_learner = np.full(k, resid)
    slope_var = resid * wxx / (true_wxx * true_wxx)
    grand_x = float(s.sum_pre.sum() / total_n)
    raw = my - slope * (mx - grand_x)
    raw_var = per_learner / s.n + (mx - grand_x) ** 2 * slope_var

    tau2, tau2_var = _reml_tau2(raw, raw_var) if shrink else (0.0, 0.0)
    w = 1.0 / (raw_var + tau2)
    mu = float(np.sum(w * raw) / np.sum(w))
    mu_var = 1.0 / float(np.sum(w))
    if shrink and k > 3:
        # Morris (1983): B shrunk by (k-3)/(k-1) for an unbiased shrinkage factor, and the
        # variance carries the uncertainty of the mean and of B itself (delta method on the
        # REML variance of tau2, inflated by k/(k-3)).
        exact_b = raw_var / (raw_var + tau2)
        b = (k - 3) / (k - 1) * exact_b
        var_b = exact_b**2 * tau2_var / (raw_var + tau2) ** 2 * k / (k - 3)
        effect = (1 - b) * (raw - mu)
        var = raw_var * (1 - b) + (1 - b) ** 2 * mu_var + var_b * (raw - mu) ** 2
    else:
        b = np.zeros(k)
        effect = raw - mu
        var = raw_var + mu_var - 2 * w * raw_var * mu_var  # cov(raw_j, mu) = w_j v_j mu_var
    se = np.sqrt(np.maximum(var, 0))
    lower, upper = effect - z * se, effect + z * se

    def spread(values) -> np.ndarray:
        out = np.full(len(n), np.nan)
        out[present] = values
        return out

    tier = np.full(len(n), "within", dtype=object)
    tier[present] = np.where(lower > 0, "above", np.where(upper < 0, "below", "within"))
    return ValueAdded(
        n=n, raw_effect=spread(raw - mu), raw_se=spread(np.sqrt(raw_var)),
        effect=spread(effect), se=spread(se), lower=spread(lower), upper=spread(upper),
        shrinkage=spread(b), tier=tier, suppressed=n < min_reported, mean_pre=spread(mx),
        mean_effect=mu, slope=float(slope), slope_naive=float(slope_naive),
        reliability=float(reliability), tau2=float(tau2), tau2_se=float(np.sqrt(tau2_var)),
        sigma2=float(sigma2))


def _reml_tau2(y: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """REML estimate of the between-group variance of ``y`` (known sampling variances ``v``)
    and its asymptotic variance; 0 when the data show no excess spread."""
    from scipy.optimize import minimize_scalar

    def neg_restricted_loglik(tau2: float) -> float:
        w = 1.0 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return float(np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    upper = max(float(np.var(y)) * 4, float(np.max(v)), 1e-8)
    found = minimize_scalar(neg_restricted_loglik, bounds=(0.0, upper), method="bounded",
                            options={"xatol": 1e-10 * max(upper, 1.0)})
    tau2 = float(found.x)
    if neg_restricted_loglik(0.0) <= found.fun:
        tau2 = 0.0
    w = 1.0 / (v + tau2)
    sw, sw2, sw3 = w.sum(), (w * w).sum(), (w**3).sum()
    information = 0.5 * (sw2 - 2 * sw3 / sw + sw2 * sw2 / (sw * sw))
    return tau2, float(1.0 / information)


def funnel_limits(se, centre: float = 0.0, levels=(0.95, 0.998)) -> dict[float, tuple]:
    """Control limits of a funnel plot (Spiegelhalter, 2005) at each level: ``{level: (lower,
    upper)}``, arrays shaped like ``se``. A provider outside the 99.8% limits is unlikely
    to differ from the centre by chance alone."""
    from scipy.stats import norm

    s = np.asarray(se, dtype=float)
    out = {}
    for level in levels:
        q = float(norm.ppf(0.5 + level / 2))
        out[level] = (centre - q * s, centre + q * s)
    return out


def rank_intervals(effect, se, rng: np.random.Generator, draws: int = 4000,
                   confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank (1 = highest effect) of each of ``J`` providers with its interval, from ``draws``
    samples of the normal posteriors: ``(rank, lower, upper)`` of shape ``(J,)``."""
    eff, s = np.asarray(effect, dtype=float), np.asarray(se, dtype=float)
    sample = eff[None, :] + s[None, :] * rng.standard_normal((draws, eff.shape[0]))
    ranks = (-sample).argsort(axis=1).argsort(axis=1) + 1
    tail = (1 - confidence) / 2 * 100
    lower, upper = np.percentile(ranks, [tail, 100 - tail], axis=0)
    point = (-eff).argsort().argsort() + 1
    return point, np.floor(lower).astype(int), np.ceil(upper).astype(int)


# --------------------------------------------------------------------------- ministries
def ministry_composite(participation=None, matched_rate=None, mean_gain=None,
                       share_required=None, weights: dict | None = None):
    """Composite 0-100 per ministry (:data:`COMPOSITE_DEFINITION`); arguments are ``(M,)``
    arrays or None (component unknown everywhere); NaN marks a component unknown for one
    ministry. Returns ``(composite, components)`` where ``components`` maps each component
    name to its 0-1 values."""
    wts = dict(COMPOSITE_WEIGHTS if weights is None else weights)
    given = {"participation": participation, "matched_rate": matched_rate,
             "gain": None if mean_gain is None
             else np.clip(np.asarray(mean_gain, dtype=float) / COMPOSITE_GAIN_SCALE, 0, 1),
             "required_level": share_required}
    size = max((np.asarray(v).size for v in given.values() if v is not None), default=0)
    components = {name: (np.full(size, np.nan) if v is None
                         else np.asarray(v, dtype=float).reshape(-1))
                  for name, v in given.items()}
    num, den = np.zeros(size), np.zeros(size)
    for name, values in components.items():
        known = np.isfinite(values)
        num += np.where(known, wts[name] * np.clip(values, 0, 1), 0)
        den += np.where(known, wts[name], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        composite = np.where(den > 0, 100 * num / den, np.nan)
    return composite, components


# --------------------------------------------------------------------------- disclosure
@dataclass(frozen=True)
class Disclosure:
    """Which cells (and which published margin totals) a report must hide.

    Attributes
    ----------
    suppressed : (C,) cell hidden (primary or complementary).
    primary : (C,) cell hidden because it has fewer than ``threshold`` learners.
    total_suppressed : one boolean array per margin, ``(n_groups_m,)``: the margin's total
        must be hidden too (its hidden cells cannot be protected by other cells).
    """

    suppressed: np.ndarray
    primary: np.ndarray
    total_suppressed: list


def disclosure_control(n, margins=(), threshold: int = MIN_REPORTED, lookahead: int = 5) -> Disclosure:
    """Primary and complementary suppression of a table of cells with ``n`` learners each.

    ``margins`` lists, for every total the report publishes, the group code of each cell
    (for example the competency of each provider × competency cell when competency totals
    are shown). A cell with fewer than ``threshold`` learners is hidden (primary); then, in
    every margin group, hidden cells must number at least two and together hold at least
    ``threshold`` learners, otherwise one more visible cell of the group is hidden
    (complementary), so neither a hidden cell nor the sum of the hidden cells can be
    recovered from the total. Empty cells are neither hidden nor used as complements.

    The complement is the one that protects at the least cost: hiding a cell can expose the
    groups it belongs to in the other margins and force further complements there, so each of
    the ``lookahead`` smallest visible cells of the group is tried, the suppression completed
    from it (smallest visible cell first), and the candidate whose completion hides the fewest
    learners is kept (ties go to the smaller cell). A group whose hidden cells cannot be
    protected (no visible cell is left) has its total hidden instead.
    """
    counts = np.asarray(n, dtype=float).reshape(-1)
    # An empty cell discloses nothing and protects nothing: it is neither hidden nor a
    # complement (hiding a zero beside a small cell would still reveal the small one).
    occupied = counts > 0
    primary = occupied & (counts < threshold)
    codes = [np.asarray(m, dtype=np.int64).reshape(-1) for m in margins]
    for m in codes:
        if m.shape[0] != counts.shape[0]:
            raise ValueError(f"each margin needs {counts.shape[0]} codes, got {m.shape[0]}")
    table = _SuppressionTable(counts, occupied, codes, threshold)
    hidden = primary.copy()
    for _ in range(counts.shape[0] + 1):
        group = table.first_exposed(hidden)
        if group is None:
            break
        candidates = table.smallest_visible(hidden, *group, lookahead)
        costs = [(counts[table.complete(_with(hidden, c))].sum(), counts[c], c) for c in candidates]
        hidden[min(costs)[2]] = True
    totals = table.unprotectable(hidden)
    for i, m in enumerate(codes):
        # A margin group whose total is itself under the threshold is hidden as well.
        if m.size:
            totals[i] |= np.bincount(m, weights=counts, minlength=totals[i].shape[0]) < threshold
            totals[i] &= np.bincount(m, minlength=totals[i].shape[0]) > 0
    return Disclosure(suppressed=hidden, primary=primary, total_suppressed=totals)


def _with(hidden: np.ndarray, cell: int) -> np.ndarray:
    out = hidden.copy()
    out[cell] = True
    return out


class _SuppressionTable:
    """The cells and margins of :func:`disclosure_control`, and which groups a set of hidden
    cells leaves exposed (hidden cells fewer than two or holding fewer than ``threshold``)."""

    def __init__(self, counts, occupied, codes, threshold):
        self.counts, self.occupied, self.codes, self.threshold = counts, occupied, codes, threshold
        self.sizes = [int(m.max()) + 1 if m.size else 0 for m in codes]

    def _state(self, hidden, i):
        m, size = self.codes[i], self.sizes[i]
        n_hidden = np.bincount(m, weights=hidden, minlength=size)
        learners = np.bincount(m, weights=self.counts * hidden, minlength=size)
        visible = np.bincount(m, weights=~hidden & self.occupied, minlength=size)
        exposed = (n_hidden > 0) & ((n_hidden < 2) | (learners < self.threshold))
        return exposed, visible > 0

    def first_exposed(self, hidden) -> tuple[int, int] | None:
        """(margin, group) of the first exposed group that a visible cell can protect."""
        for i, m in enumerate(self.codes):
            if m.size:
                exposed, can = self._state(hidden, i)
                found = np.flatnonzero(exposed & can)
                if found.size:
                    return i, int(found[0])
        return None

    def smallest_visible(self, hidden, i, group, most) -> list[int]:
        cells = np.flatnonzero((self.codes[i] == group) & ~hidden & self.occupied)
        return [int(c) for c in cells[np.argsort(self.counts[cells], kind="stable")][:most]]

    def complete(self, hidden) -> np.ndarray:
        """``hidden`` completed by hiding, in every exposed group at once, its smallest
        visible cell, until no group that can be protected is exposed."""
        hidden = hidden.copy()
        for _ in range(self.counts.shape[0] + 1):
            changed = False
            for i, m in enumerate(self.codes):
                if not m.size:
                    continue
                exposed, can = self._state(hidden, i)
                need = exposed & can
                if not need.any():
                    continue
                candidates = np.flatnonzero(~hidden & self.occupied & need[m])
                ordered = candidates[np.lexsort((self.counts[candidates], m[candidates]))]
                first = np.r_[True, m[ordered][1:] != m[ordered][:-1]]
                hidden[ordered[first]] = True
                changed = True
            if not changed:
                break
        return hidden

    def unprotectable(self, hidden) -> list[np.ndarray]:
        out = []
        for i, m in enumerate(self.codes):
            if not m.size:
                out.append(np.zeros(0, dtype=bool))
                continue
            exposed, can = self._state(hidden, i)
            out.append(exposed & ~can)
        return out


# --------------------------------------------------------------------------- plausible values
@dataclass(frozen=True)
class Pooled:
    """A statistic combined over ``M`` plausible values (or imputations) by Rubin's (1987)
    rules; every field has the shape of one draw's statistic.

    Attributes
    ----------
    estimate : mean of the draws' estimates (Q̄).
    within : mean of the draws' sampling variances (Ū).
    between : variance of the estimates across draws (B, ddof 1): the measurement part.
    variance, se : total variance T = Ū + (1 + 1/M) B and its square root.
    df : Rubin's degrees of freedom (M - 1)(1 + 1/r)², r = (1 + 1/M) B / Ū (inf when B = 0).
    lower, upper : estimate ± t(df) · se.
    """

    estimate: np.ndarray
    within: np.ndarray
    between: np.ndarray
    variance: np.ndarray
    se: np.ndarray
    df: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def rubin_pool(estimates, variances, confidence: float = 0.95) -> Pooled:
    """Combine ``M`` draws' estimates and sampling variances (arrays ``(M, ...)``) by Rubin's
    rules (module references); vectorised over the trailing dimensions."""
    from scipy.stats import t as student_t

    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.shape != u.shape or q.ndim == 0 or q.shape[0] < 2:
        raise ValueError(f"estimates and variances need one shape (M, ...) with M >= 2, "
                         f"got {q.shape} and {u.shape}")
    m = q.shape[0]
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    total = ubar + (1 + 1 / m) * b
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (1 + 1 / m) * b / ubar
        df = np.where(b > 0, (m - 1) * (1 + 1 / r) ** 2, np.inf)
    se = np.sqrt(total)
    half = student_t.ppf(0.5 + confidence / 2, df) * se
    return Pooled(qbar, ubar, b, total, se, df, qbar - half, qbar + half)


def plausible_values(pre_theta, pre_se, post_theta, post_se, group, n_groups: int, draws: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Plausible values of every learner's pre- and post-course θ: ``(draws, n, 2)``.

    Each reported θ is read as a normal likelihood with its SE (the normal approximation;
    pass θs that are maximum-likelihood-like, not already shrunk by a prior). The population
    model is bivariate normal per group (course): the group's mean (pre, post) and the pooled
    within-group covariance of the true θs (observed covariance less the mean error
    variances, kept positive definite). Each draw first draws the group means from their
    sampling distribution, then every learner's (θ_pre, θ_post) from the posterior, as NAEP
    does (Mislevy, 1991). Conditioning on both occasions keeps the pre-post correlation of the
    draws that of the true θs, so transitions between levels come out unbiased; statistics of
    the draws are combined with :func:`rubin_pool`.
    """
    x = np.stack([_as_1d("pre_theta", pre_theta), _as_1d("post_theta", post_theta)], axis=1)
    n = x.shape[0]
    se = np.stack([_as_1d("pre_se", pre_se, n), _as_1d("post_se", post_se, n)], axis=1)
    _check_se("pre_se", se[:, 0])
    _check_se("post_se", se[:, 1])
    g = np.asarray(group, dtype=np.int64).reshape(-1)
    if g.shape[0] != n or (n and (g.min() < 0 or g.max() >= n_groups)):
        raise ValueError(f"group must hold {n} codes in 0..{n_groups - 1}")
    if draws < 2:
        raise ValueError(f"draws must be at least 2, got {draws}")
    error_var = np.maximum(se, 1e-6) ** 2
    counts = np.bincount(g, minlength=n_groups).astype(float)
    means = np.stack([np.bincount(g, weights=x[:, k], minlength=n_groups) for k in range(2)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means /= counts[:, None]
    centred = x - means[g]
    dof = max(n - int((counts > 0).sum()), 1)
    observed = centred.T @ centred / dof                      # (2, 2) within-group covariance
    sigma = observed - np.diag(error_var.mean(axis=0))
    values, vectors = np.linalg.eigh(sigma)
    floor = 1e-3 * max(float(np.trace(observed)), 1e-6)
    sigma = (vectors * np.maximum(values, floor)) @ vectors.T
    prec = np.linalg.inv(sigma)
    # Posterior per learner, 2x2 in closed form: P = Σ⁻¹ + diag(1/se²), V = P⁻¹.
    p11, p12, p22 = prec[0, 0] + 1 / error_var[:, 0], np.full(n, prec[0, 1]), prec[1, 1] + 1 / error_var[:, 1]
    det = p11 * p22 - p12 * p12
    v11, v12, v22 = p22 / det, -p12 / det, p11 / det
    l11 = np.sqrt(v11)
    l21 = v12 / l11
    l22 = np.sqrt(np.maximum(v22 - l21 * l21, 0))
    # Posterior mean m = V (Σ⁻¹ μ + x / se²) with μ = the group's mean + this draw's shift:
    # the part without the shift once, the shift through A = V Σ⁻¹ per draw.
    b = means[g] @ prec.T + x / error_var
    base0, base1 = v11 * b[:, 0] + v12 * b[:, 1], v12 * b[:, 0] + v22 * b[:, 1]
    a00, a01 = v11 * prec[0, 0] + v12 * prec[1, 0], v11 * prec[0, 1] + v12 * prec[1, 1]
    a10, a11 = v12 * prec[0, 0] + v22 * prec[1, 0], v12 * prec[0, 1] + v22 * prec[1, 1]
    # Sampling error of each group's mean: the observed covariance over the group's size.
    mean_chol = np.linalg.cholesky(observed + 1e-12 * np.eye(2))
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.nan_to_num(1 / np.sqrt(counts))
    out = np.empty((draws, n, 2))
    for d in range(draws):
        shift = (rng.standard_normal((n_groups, 2)) @ mean_chol.T) * spread[:, None]
        s0, s1 = shift[g, 0], shift[g, 1]
        z = rng.standard_normal((2, n))
        out[d, :, 0] = base0 + a00 * s0 + a01 * s1 + l11 * z[0]
        out[d, :, 1] = base1 + a10 * s0 + a11 * s1 + l21 * z[0] + l22 * z[1]
    return out


@dataclass(frozen=True)
class PlausibleCourseEffects:
    """Per-group figures from plausible values, each a :class:`Pooled` of shape ``(G,)``
    (shares as proportions, NaN where a group has no learner with a target), and the
    transition counts averaged over the draws, ``(G, 6, 6)``."""

    mean_gain: Pooled
    g_av: Pooled
    share_up: Pooled
    share_target: Pooled
    transitions: np.ndarray


def plausible_sums(pv: np.ndarray, group, n_groups: int, cut_scores, target_level=None,
                   required_level=None) -> tuple[list[GroupSums], np.ndarray]:
    """Each draw of plausible values ``pv`` ``(M, n, 2)`` summed per group as error-free θs
    with their levels: ``M`` :class:`GroupSums`, and the level transition counts averaged
    over the draws ``(G, 6, 6)``. ``cut_scores`` are shared ``(K,)`` or per learner
    ``(n, K)`` (learners assessed with different cut scores; pad missing cuts with inf)."""
    cuts = np.asarray(cut_scores, dtype=float)
    if cuts.ndim == 2:
        def levels(theta):
            return (theta[:, None] >= cuts).sum(axis=1)
    else:
        def levels(theta):
            return levels_from_cuts(theta, cuts)
    pv = np.asarray(pv, dtype=float)
    if pv.ndim != 3 or pv.shape[2] != 2:
        raise ValueError(f"pv must have shape (draws, n, 2), got {pv.shape}")
    m, n, _ = pv.shape
    zero = np.zeros(n)
    draws, transitions = [], np.zeros((n_groups, N_LEVELS + 1, N_LEVELS + 1))
    for d in range(m):
        pre, post = pv[d, :, 0], pv[d, :, 1]
        lp, lq = levels(pre), levels(post)
        draws.append(GroupSums.from_learners(group, n_groups, pre, zero, post, zero, lp, lq,
                                             target_level, required_level))
        transitions += transition_matrix(lp, lq, group, n_groups)
    return draws, transitions / m


def pooled_course_effects(draws: list[GroupSums], confidence: float = 0.95) -> tuple[CourseEffects, dict]:
    """:func:`course_effects` of every draw's sums, combined by Rubin's rules: a
    :class:`CourseEffects` whose mean gain, g_av and shares (with their intervals) are the
    pooled ones, and the :class:`Pooled` figures themselves by name."""
    z = _z(confidence)
    per_draw = [course_effects(sums, confidence) for sums in draws]
    figures = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for key, variance in (
                ("mean_gain", lambda e, s: e.gain_sd**2 / e.n),
                ("g_av", lambda e, s: ((e.g_upper - e.g_lower) / (2 * z)) ** 2),
                ("share_up", lambda e, s: e.share_up * (1 - e.share_up) / s.with_levels),
                ("share_target", lambda e, s: e.share_target * (1 - e.share_target) / s.with_target)):
            figures[key] = rubin_pool(np.array([getattr(e, key) for e in per_draw]),
                                      np.array([variance(e, s) for e, s in zip(per_draw, draws)]),
                                      confidence)
    mean = {f.name: np.mean([getattr(e, f.name) for e in per_draw], axis=0) for f in fields(CourseEffects)}
    clip = lambda a: np.clip(a, 0, 1)  # noqa: E731  (Wald bounds of a share)
    pooled = CourseEffects(**{
        **mean, "mean_gain": figures["mean_gain"].estimate, "gain_lower": figures["mean_gain"].lower,
        "gain_upper": figures["mean_gain"].upper, "g_av": figures["g_av"].estimate,
        "g_lower": figures["g_av"].lower, "g_upper": figures["g_av"].upper,
        "share_up": figures["share_up"].estimate, "up_lower": clip(figures["share_up"].lower),
        "up_upper": clip(figures["share_up"].upper), "share_target": figures["share_target"].estimate,
        "target_lower": clip(figures["share_target"].lower),
        "target_upper": clip(figures["share_target"].upper)})
    return pooled, figures


def plausible_course_effects(pv: np.ndarray, group, n_groups: int, cut_scores, target_level=None,
                             confidence: float = 0.95) -> PlausibleCourseEffects:
    """Mean gain, Hedges' g_av, the shares moving up a level and reaching the target level,
    and the level transitions of every group, from plausible values ``pv`` ``(M, n, 2)``
    (:func:`plausible_values`), combined over the draws by Rubin's rules. Each draw is
    analysed as if its θs were error-free, so the measurement error enters through the
    spread between draws."""
    draws, transitions = plausible_sums(pv, group, n_groups, cut_scores, target_level)
    _, figures = pooled_course_effects(draws, confidence)
    return PlausibleCourseEffects(**figures, transitions=transitions)
