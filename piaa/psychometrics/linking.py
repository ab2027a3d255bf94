"""Scale linking: put a new calibration on the scale of an old one via common items.

Pre- and post-course assessments, new item banks and recalibrations each come
out of MML estimation on their own arbitrary scale (mean 0, SD 1 in their own
sample). Items both calibrations share ("anchors") fix the linear map between
the two scales, θ_base = A · θ_new + B, which carries item parameters as

    a* = a / A,   b* = A · b + B,   (c, d unchanged; polytomous thresholds like b).

Four classic estimators of (A, B) (Kolen & Brennan, 2014, ch. 6):

- ``"mean-mean"``: A = mean(a_new) / mean(a_base), B = mean(b_base) - A · mean(b_new).
- ``"mean-sigma"``: A = SD(b_base) / SD(b_new), same B.
- ``"haebara"``: minimizes the squared differences between the anchors'
  category response curves on the base scale, summed over items and
  categories and integrated over a θ grid.
- ``"stocking-lord"``: minimizes the squared difference of the anchors' test
  characteristic curves on the same grid.

The characteristic-curve criteria are minimized with scipy's BFGS starting
from the mean–sigma solution.

References
----------
Kolen, M. J., & Brennan, R. L. (2014). Test equating, scaling, and linking (3rd ed.). Springer.
Haebara, T. (1980). Equating logistic ability scales by a weighted least squares
method. Japanese Psychological Research, 22, 144–149.
Stocking, M. L., & Lord, F. M. (1983). Developing a common metric in item
response theory. Applied Psychological Measurement, 7, 201–210.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._item_models import DICHOTOMOUS_MODELS, category_probs, check_model
from .quadrature import normal_quadrature

__all__ = ["LinkingResult", "link", "transform_params", "LINKING_METHODS"]

LINKING_METHODS = ("mean-mean", "mean-sigma", "haebara", "stocking-lord")


@dataclass(frozen=True)
class LinkingResult:
    """Linear map from the new calibration's scale to the base scale.

    Attributes
    ----------
    A, B : slope and intercept of θ_base = A θ_new + B.
    method : which estimator produced them.
    model : item model of the parameters.
    criterion : value of the minimized loss (NaN for the moment methods).
    converged : optimizer status (True for the moment methods).
    """

    A: float
    B: float
    method: str
    model: str
    criterion: float
    converged: bool

    def transform_theta(self, theta) -> np.ndarray:
        """(n,) abilities on the base scale."""
        return self.A * np.asarray(theta, dtype=float) + self.B

    def transform_se(self, se) -> np.ndarray:
        """(n,) standard errors of θ on the base scale."""
        return abs(self.A) * np.asarray(se, dtype=float)

    def transform_params(self, params) -> np.ndarray:
        """(J, 4) or (J, 1 + K - 1) parameters of the new calibration on the base scale (same shape)."""
        return transform_params(params, self.A, self.B, self.model)


def transform_params(params, A: float, B: float, model: str = "2pl") -> np.ndarray:
    """Apply θ_base = A θ_new + B to item parameters.

    Parameters
    ----------
    params : (J, 4) a, b, c, d or (J, 1 + K - 1) slope and thresholds.
    A, B : linking constants (A > 0).

    Returns
    -------
    Array of the same shape: slopes divided by A, locations mapped by A·b + B.
    """
    if not np.isfinite(A) or A <= 0:
        raise ValueError(f"A must be a positive number, got {A!r}")
    name = check_model(model)
    p = np.array(params, dtype=float, copy=True)
    if p.ndim != 2:
        raise ValueError(f"params must be 2-D; got shape {p.shape}")
    p[:, 0] = p[:, 0] / A
    if name in DICHOTOMOUS_MODELS:
        p[:, 1] = A * p[:, 1] + B
    else:
        p[:, 1:] = A * p[:, 1:] + B  # NaN padding stays NaN
    return p


def link(
    new_params,
    base_params,
    method: str = "stocking-lord",
    model: str = "2pl",
    *,
    theta_grid=None,
    grid_weights=None,
) -> LinkingResult:
    """Estimate the linking constants from the anchors' two sets of parameters.

    Parameters
    ----------
    new_params : (m, P) anchor parameters from the new calibration.
    base_params : (m, P) the same anchors, same order, on the base scale.
    method : one of LINKING_METHODS.
    model : item model of both parameter sets.
    theta_grid, grid_weights : (G,) base-scale points and weights for the
        characteristic-curve criteria; default 41 points on [-4, 4] weighted
        by the standard normal density (Kolen & Brennan's usual choice).

    Returns
    -------
    LinkingResult
    """
    name = check_model(model)
    meth = str(method).lower()
    if meth not in LINKING_METHODS:
        raise ValueError(f"method must be one of {', '.join(LINKING_METHODS)}; got {method!r}")
    new = np.asarray(new_params, dtype=float)
    base = np.asarray(base_params, dtype=float)
    if new.shape != base.shape or new.ndim != 2:
        raise ValueError(
            f"new_params and base_params must be 2-D arrays of one shape; got {new.shape} and {base.shape}"
        )
    if new.shape[0] < 2:
        raise ValueError(f"linking needs at least 2 anchor items; got {new.shape[0]}")
    bad = ~(new[:, 0] > 0) | ~(base[:, 0] > 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"anchor {j} needs positive slopes; got {new[j, 0]:g} and {base[j, 0]:g}")
    A_mm, B_mm = _moments(new, base, name, "mean-mean")
    A_ms, B_ms = _moments(new, base, name, "mean-sigma")
    if meth == "mean-mean":
        return LinkingResult(A_mm, B_mm, meth, name, float("nan"), True)
    if meth == "mean-sigma":
        return LinkingResult(A_ms, B_ms, meth, name, float("nan"), True)
    grid, weights = _grid(theta_grid, grid_weights)
    loss = _haebara_loss if meth == "haebara" else _stocking_lord_loss
    target = category_probs(grid, base, name)  # (G, m, K)
    start = np.array([np.log(A_ms), B_ms]) if np.isfinite(A_ms) and A_ms > 0 else np.zeros(2)
    # Imported here: scipy.optimize costs about 0.2 s, and importing the package should not.
    from scipy.optimize import minimize

    # A is optimized on the log scale so it stays positive.
    res = minimize(
        lambda v: loss(v, new, target, grid, weights, name),
        start,
        method="BFGS",
        options={"gtol": 1e-10},
    )
    A, B = float(np.exp(res.x[0])), float(res.x[1])
    return LinkingResult(A, B, meth, name, float(res.fun), bool(res.success or res.status == 2))


def _locations(params: np.ndarray, model: str) -> np.ndarray:
    """Difficulty-like parameters used by the moment methods (all thresholds for polytomous items)."""
    if model in DICHOTOMOUS_MODELS:
        return params[:, 1]
    loc = params[:, 1:]
    return loc[~np.isnan(loc)]


def _moments(new, base, model, method):
    b_new, b_base = _locations(new, model), _locations(base, model)
    if method == "mean-mean":
        A = float(np.mean(new[:, 0]) / np.mean(base[:, 0]))
    else:
        A = float(np.std(b_base) / np.std(b_new))
    B = float(np.mean(b_base) - A * np.mean(b_new))
    return A, B


def _grid(theta_grid, grid_weights):
    if theta_grid is None:
        return normal_quadrature(41, (-4.0, 4.0))
    grid = np.asarray(theta_grid, dtype=float)
    if grid_weights is None:
        weights = np.full(grid.shape, 1.0 / grid.size)
    else:
        weights = np.asarray(grid_weights, dtype=float)
        if weights.shape != grid.shape:
            raise ValueError(f"grid_weights must match theta_grid {grid.shape}; got {weights.shape}")
    return grid, weights


def _haebara_loss(v, new, target, grid, weights, model):
    moved = transform_params(new, float(np.exp(v[0])), float(v[1]), model)
    probs = category_probs(grid, moved, model)
    if model in DICHOTOMOUS_MODELS:
        # For 0/1 items the two categories' squared errors are equal; count one,
        # which is the usual Haebara criterion.
        diff = (probs[:, :, 1] - target[:, :, 1]) ** 2
    else:
        diff = ((probs - target) ** 2).sum(axis=2)
    return float(weights @ diff.sum(axis=1))


def _stocking_lord_loss(v, new, target, grid, weights, model):
    moved = transform_params(new, float(np.exp(v[0])), float(v[1]), model)
    k = np.arange(target.shape[2], dtype=float)
    tcc_new = (category_probs(grid, moved, model) @ k).sum(axis=1)
    tcc_base = (target @ k).sum(axis=1)
    return float(weights @ (tcc_new - tcc_base) ** 2)
