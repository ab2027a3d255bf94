"""The EM iteration with SQUAREM acceleration, shared by every calibration (internal).

Dichotomous and polytomous calibration differ only in their EM map: a
function taking a packed parameter vector ``x`` (item parameters and, when
estimated, the latent mean and log standard deviation) to the next EM
iterate ``M(x)``, and returning the marginal log-likelihood at ``x`` (plus
any log-prior) on the way. This module iterates such a map to convergence.

SQUAREM (Varadhan & Roland, 2008, scheme S3) takes two EM steps, jumps along
the squared-extrapolation path with step length α = -|r| / |v| (bounded by a
maximum that grows while the full step keeps being taken and shrinks after a
failed jump), and takes one stabilising EM step from there; a jump whose
log-likelihood falls below that of the plain EM path is discarded.
Convergence is declared, as in mirt, when one plain EM step moves no packed
parameter by more than ``tol``; so acceleration changes the path, not the
answer.

References
----------
Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods
for accelerating the convergence of any EM algorithm. Scand. J. Stat., 35,
335-353.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

# SQUAREM's step-length bound: it starts at 1 (the jump is then a plain
# double EM step), is multiplied by this factor whenever the full bound is
# used and divided by it after a rejected jump.
_STEP_FACTOR = 4.0
# Halvings of α towards -1 tried when a jump leaves the parameter space.
_MAX_PULL_BACKS = 10
# A jump may lose this share of |log-likelihood| to rounding and still count.
_LOGLIK_SLACK = 1e-9

EMMap = Callable[[np.ndarray], tuple[np.ndarray, float]]


def run_squarem(
    em_map: EMMap,
    start: np.ndarray,
    max_iter: int,
    tol: float,
    accelerate: bool = True,
    callback: Callable[[int, float], None] | None = None,
    *,
    project: Callable[[np.ndarray], np.ndarray] | None = None,
    admissible: Callable[[np.ndarray], bool] | None = None,
) -> tuple[np.ndarray, int, bool]:
    """Iterate ``em_map`` from ``start`` until one plain EM step moves less than ``tol``.

    Parameters
    ----------
    em_map : x (P,) -> (M(x) (P,), log-likelihood at x).
    start : (P,) packed starting values.
    max_iter : most E-steps (calls of ``em_map``) to spend.
    tol : convergence threshold on the largest absolute parameter change.
    accelerate : extrapolate with SQUAREM; False runs plain EM.
    callback : called as ``callback(e_step_number, loglik)`` after every
        E-step, numbered 1, 2, ...; ``loglik`` is at the point that E-step
        was taken.
    project : maps an extrapolated vector into the parameter space (for
        example by clipping to bounds); default: none.
    admissible : says whether an extrapolated vector defines a model; one
        that does not is pulled back towards the plain EM iterate.

    Returns
    -------
    (x (P,), n_e_steps, converged)
    """
    calls = 0

    def step(x):
        nonlocal calls
        calls += 1
        new, loglik = em_map(x)
        if callback is not None:
            callback(calls, float(loglik))
        return new, loglik

    def moved(a, b) -> float:
        return float(np.max(np.abs(a - b), initial=0.0))

    x0 = np.asarray(start, dtype=float)
    step_max = 1.0
    while calls < max_iter:
        x1, _ = step(x0)
        if moved(x1, x0) < tol:
            return x1, calls, True
        # A full SQUAREM cycle needs three E-steps; near the cap plain EM is used.
        if not accelerate or calls + 2 > max_iter:
            x0 = x1
            continue
        x2, ll1 = step(x1)
        if moved(x2, x1) < tol:
            return x2, calls, True
        r = x1 - x0
        v = x2 - x1 - r
        norm_v = np.linalg.norm(v)
        alpha = -np.linalg.norm(r) / norm_v if norm_v > 0 else -1.0
        alpha = max(min(alpha, -1.0), -step_max)
        if alpha == -step_max:
            step_max *= _STEP_FACTOR
        jump = _jump(x0, r, v, alpha, project)
        for _ in range(_MAX_PULL_BACKS):
            if admissible is None or admissible(jump):
                break
            alpha = (alpha - 1.0) / 2.0
            jump = _jump(x0, r, v, alpha, project)
        if admissible is not None and not admissible(jump):
            x0 = x2
            continue
        x3, ll_jump = step(jump)
        if not (np.isfinite(ll_jump) and ll_jump >= ll1 - _LOGLIK_SLACK * abs(ll1)):
            # The jump overshot: keep the plain EM iterate and extrapolate less boldly.
            x0 = x2
            step_max = max(1.0, step_max / _STEP_FACTOR)
            continue
        if moved(x3, jump) < tol:
            return x3, calls, True
        x0 = x3
    return x0, calls, False


def _jump(x0, r, v, alpha, project):
    """The point α along SQUAREM's squared-extrapolation path from x0."""
    jump = x0 - 2.0 * alpha * r + alpha**2 * v
    return jump if project is None else project(jump)
