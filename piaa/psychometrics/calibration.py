"""Item calibration by marginal maximum likelihood (Bock–Aitkin EM).

``IRTCalibrator`` estimates item parameters of the Rasch, 1PL, 2PL, 3PL and
4PL models (and delegates GRM / GPCM to :mod:`piaa.psychometrics.polytomous`)
from a persons x items response matrix in which missing responses are the
normal case. The E-step runs over chunks of persons and produces expected
counts per item and quadrature node (:class:`ExpectedCounts`), which add
across chunks or across separately processed partitions of the data
(:func:`expected_counts`), so a population-size calibration is a map-reduce.

Results follow mirt's conventions where they can be compared: rectangular
quadrature (61 points on ±6 by default), a normal latent density whose
mean/variance may be estimated, log-likelihood of the data under the
discretised marginal model, AIC = -2 LL + 2k, BIC = -2 LL + k log N.

References
----------
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of
item parameters: application of an EM algorithm. Psychometrika, 46, 443-459.
Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods
for accelerating the convergence of any EM algorithm. Scand. J. Stat., 35.
Chalmers, R. P. (2012). mirt: A multidimensional item response theory
package for the R environment. J. Stat. Softw., 48(6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit

from . import _em
from ._blas import one_blas_thread
from ._checks import check_at_least, check_choice, check_positive
from ._em import ExpectedCounts, ModelSpec
from ._item_models import DICHOTOMOUS_MODELS, POLYTOMOUS_MODELS, check_model
from ._squarem import run_squarem
from .irt import validate_params
from .quadrature import normal_quadrature, normal_weights

__all__ = [
    "IRTCalibrator",
    "CalibrationResult",
    "SparseResponses",
    "ExpectedCounts",
    "expected_counts",
    "DICHOTOMOUS_MODELS",
]

ENGINES = ("piaa", "girth")
SE_METHODS = ("auto", "hessian", "xpd", None)

# Float32 E-steps: above this many response cells "auto" precision takes the
# early E-steps in float32, until one EM step moves less than the second
# number. Their rounding moves the parameters by about 1e-5 (100,000 x 100
# 2PL), so below 1e-4 they stop helping: measured there, float32 to tol 1e-6
# took 59 E-steps against 26 in float64.
SINGLE_PRECISION_CELLS = 2_000_000
SINGLE_PRECISION_UNTIL = 1e-4

# Thresholds for per-item warnings: beyond them an estimate is usually a
# symptom (too little information, a bad key) rather than a finding.
SLOPE_WARN_HIGH = 8.0
SLOPE_WARN_LOW = 0.05
GUESSING_WARN_LOW = 1e-4
GUESSING_WARN_HIGH = 0.5


@dataclass
class CalibrationResult:
    """Everything a calibration produces.

    params : (J, 4) a, b, c, d (dichotomous) or (J, 1 + K - 1) for polytomous.
    se : same shape, standard errors (NaN for fixed parameters).
    loglik, aic, bic : fit of the marginal model.
    n_iter : EM map evaluations (E-steps) used; converged : whether the
    largest parameter change of one EM step fell below ``tol``.
    warnings : per-item and global messages.
    theta_nodes, theta_weights : (Q,) latent grid and the posterior node
    masses (normalised), i.e. the estimated latent distribution.
    latent_mean, latent_sd : parameters of the fitted normal latent density.
    se_method : how ``se`` was obtained.
    """

    model: str
    params: np.ndarray
    se: np.ndarray
    loglik: float
    aic: float
    bic: float
    n_iter: int
    converged: bool
    warnings: list
    theta_nodes: np.ndarray
    theta_weights: np.ndarray
    latent_mean: float = 0.0
    latent_sd: float = 1.0
    latent_se: tuple = (np.nan, np.nan)
    n_parameters: int = 0
    n_persons: int = 0
    se_method: str = "none"
    engine: str = "piaa"
    extra: dict = field(default_factory=dict)


_RESULT_FIELDS = (
    "model", "params", "se", "loglik", "aic", "bic", "n_iter", "converged", "warnings",
    "theta_nodes", "theta_weights", "latent_mean", "latent_sd", "latent_se",
    "n_parameters", "n_persons", "se_method", "engine",
)


@dataclass
class SparseResponses:
    """Responses of a sparse design (LOFT, CAT) as two flag matrices.

    administered : (n, J) sparse matrix, 1 where the person saw the item.
    correct : (n, J) sparse matrix, 1 where the person answered correctly.
    """

    administered: sp.spmatrix
    correct: sp.spmatrix

    @classmethod
    def from_indices(cls, item_index, score, n_items: int) -> "SparseResponses":
        """Build from per-person item lists.

        item_index : (n, k) integer item columns each person saw.
        score : (n, k) 0/1 scores in the same order.
        """
        idx = np.asarray(item_index)
        x = np.asarray(score, dtype=float)
        if idx.shape != x.shape or idx.ndim != 2:
            raise ValueError(
                f"item_index {idx.shape} and score {x.shape} must be equal 2-D shapes"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= n_items):
            raise ValueError(f"item_index values must lie in [0, {n_items}); got {idx.min()}..{idx.max()}")
        n, k = idx.shape
        indptr = np.arange(0, n * k + 1, k)
        # Each matrix gets its own index arrays: scipy sorts indices in place,
        # which would otherwise scramble the caller's array and the twin matrix.
        cols = idx.astype(np.int32).ravel()
        adm = sp.csr_matrix((np.ones(n * k, np.float32), cols.copy(), indptr.copy()), shape=(n, n_items))
        cor = sp.csr_matrix((x.ravel().astype(np.float32), cols.copy(), indptr.copy()), shape=(n, n_items))
        adm.sum_duplicates()
        cor.sum_duplicates()
        if adm.nnz != n * k:
            raise ValueError("item_index lists an item twice for the same person")
        cor.eliminate_zeros()
        return cls(adm, cor)

    @property
    def shape(self):
        return self.administered.shape


def _prepare(responses, chunk_size: int, dtype) -> _em.ResponseDesign:
    if hasattr(responses, "prepare"):  # partitions on a cluster (see .distributed)
        return responses.prepare(chunk_size)
    if isinstance(responses, SparseResponses):
        return _em.prepare_sparse(responses.administered, responses.correct, chunk_size, dtype)
    if isinstance(responses, tuple) and len(responses) == 2 and sp.issparse(responses[0]):
        return _em.prepare_sparse(responses[0], responses[1], chunk_size, dtype)
    if sp.issparse(responses):
        raise ValueError(
            "a single sparse matrix cannot tell 'not administered' from 'incorrect'; "
            "pass SparseResponses(administered, correct)"
        )
    return _em.prepare_dense(responses, chunk_size, dtype)


def expected_counts(responses, params, nodes, weights, chunk_size: int = 20_000) -> ExpectedCounts:
    """E-step for one partition of the data (the 'map' of a distributed calibration).

    Parameters
    ----------
    responses : (n, J) array with NaN for not administered, or SparseResponses.
    params : (J, 4) current item parameters a, b, c, d.
    nodes, weights : (Q,) quadrature grid and latent weights.

    Returns
    -------
    ExpectedCounts whose sum over partitions equals the counts of the whole data.
    """
    design = _prepare(responses, chunk_size, np.float64)
    eta = _public_to_internal(validate_params(params))
    return _em.expected_counts(design, eta, np.asarray(nodes, float), np.asarray(weights, float))


def _public_to_internal(params: np.ndarray) -> np.ndarray:
    """(J, 4) a, b, c, d -> (J, 4) internal a, intercept, logit c, logit d.

    c = 0 and d = 1 become logits of -inf and +inf, which every internal step
    keeps as they are (see ``_em.project``), so fixed asymptotes come back as
    exactly 0 and 1.
    """
    a, b, c, u = params.T
    with np.errstate(divide="ignore"):
        return np.column_stack([a, -a * b, logit(c), logit(u)])


def _internal_to_public(eta: np.ndarray) -> np.ndarray:
    """(J, 4) internal parameters -> (J, 4) a, b, c, d; inverse of ``_public_to_internal``."""
    a, d = eta[:, 0], eta[:, 1]
    return np.column_stack([a, -d / a, expit(eta[:, 2]), expit(eta[:, 3])])


class IRTCalibrator:
    """Marginal maximum likelihood calibration of IRT item parameters.

    Parameters
    ----------
    model : "rasch" (slopes fixed at 1, latent variance estimated, as mirt's
        Rasch), "1pl" (one common slope, N(0, 1) latent), "2pl", "3pl",
        "4pl"; "grm" and "gpcm" are delegated to the polytomous module.
    n_quadrature, theta_bounds : rectangular quadrature grid (mirt's default
        is 61 points on [-6, 6]).
    max_iter : cap on E-steps; tol : convergence when one EM step moves no
        internal parameter (a, d, logit c, logit d, latent mean, log sd) by
        more than ``tol``.
    estimate_mean, estimate_var : free latent mean / variance. They are
        estimated automatically when anchors fix the scale.
    slope_prior : (meanlog, sdlog) lognormal prior on slopes, or None.
    guessing_prior : (alpha, beta) beta prior on lower asymptotes, or None.
    chunk_size : persons per E-step block (bounds memory).
    engine : "piaa" or "girth" (the same model fitted by girth 0.8).
    se_method : "auto", "hessian" (observed information as the numerical
        Hessian of the marginal loglik, by central differences of its
        analytic score), "xpd" (cross-product of per-person scores), or None.
        For "grm" / "gpcm", "auto" and "hessian" use Louis' observed
        information and "xpd" the cross-product.
    accelerate : use SQUAREM extrapolation of the EM map.
    precision : "auto", "double" or "single". "single" takes the early
        E-steps in float32 (1.6-1.9 times faster) until one EM step moves
        no parameter by more than 1e-4, then iterates in float64 to ``tol``,
        so convergence, the log-likelihood and the standard errors are the
        double-precision fit's; "double" uses float64 throughout; "auto" is
        "single" above 2 million response cells and "double" below.
    girth_options : extra options for girth's estimator (engine="girth").
    callback : called as ``callback(iteration, loglik)`` after every E-step
        of our EM (every model, engine "piaa"), iterations numbered 1, 2, ...;
        ``loglik`` is the marginal log-likelihood (plus log-priors, if any) at
        the parameters that E-step was taken at. Progress bars hang on this.
    """

    def __init__(
        self,
        model: str = "2pl",
        n_quadrature: int = 61,
        theta_bounds: tuple = (-6.0, 6.0),
        max_iter: int = 2000,
        tol: float = 1e-6,
        estimate_mean: bool = False,
        estimate_var: bool = False,
        slope_prior: tuple | None = None,
        guessing_prior: tuple | None = None,
        chunk_size: int = 20_000,
        engine: str = "piaa",
        se_method: str | None = "auto",
        accelerate: bool = True,
        precision: str = "auto",
        girth_options: dict | None = None,
        callback: Callable[[int, float], None] | None = None,
    ):
        self.model = model
        self.n_quadrature = n_quadrature
        self.theta_bounds = theta_bounds
        self.max_iter = max_iter
        self.tol = tol
        self.estimate_mean = estimate_mean
        self.estimate_var = estimate_var
        self.slope_prior = slope_prior
        self.guessing_prior = guessing_prior
        self.chunk_size = chunk_size
        self.engine = engine
        self.se_method = se_method
        self.accelerate = accelerate
        self.precision = precision
        self.girth_options = girth_options
        self.callback = callback

    # ------------------------------------------------------------------ checks
    def _check_options(self):
        if not isinstance(self.model, str):
            models = tuple(str(m).lower() for m in self.model)
            bad = [m for m in models if m not in ("2pl", "3pl", "4pl")]
            if bad or not models:
                raise ValueError(
                    f"a per-item model list may hold only '2pl', '3pl', '4pl'; got {bad or models!r}"
                )
            self._item_models = models
            model = "mixed"
        else:
            self._item_models = None
            model = str(self.model).lower()
        if model != "mixed":
            model = check_model(model)
        check_choice("engine", self.engine, ENGINES)
        check_choice("se_method", self.se_method, SE_METHODS)
        check_choice("precision", self.precision, ("auto", "double", "single"))
        check_at_least("max_iter", self.max_iter, 1)
        check_positive("tol", self.tol)
        check_at_least("chunk_size", self.chunk_size, 1)
        if self.slope_prior is not None and not (len(self.slope_prior) == 2 and self.slope_prior[1] > 0):
            raise ValueError(f"slope_prior must be (meanlog, sdlog > 0), got {self.slope_prior!r}")
        if self.guessing_prior is not None and not (
            len(self.guessing_prior) == 2 and min(self.guessing_prior) > 0
        ):
            raise ValueError(f"guessing_prior must be (alpha > 0, beta > 0), got {self.guessing_prior!r}")
        if self.callback is not None and not callable(self.callback):
            raise ValueError(f"callback must be callable(iteration, loglik), got {self.callback!r}")
        return model

    def _spec(self, model, n_items, anchors) -> tuple[ModelSpec, np.ndarray]:
        free = np.zeros((n_items, 4), bool)
        eta = np.zeros((n_items, 4))
        eta[:, 0] = 1.0
        eta[:, 2] = -np.inf
        eta[:, 3] = np.inf
        free[:, 1] = True
        if model == "mixed":
            if len(self._item_models) != n_items:
                raise ValueError(
                    f"model lists {len(self._item_models)} item models but responses have {n_items} items"
                )
            kinds = np.array(self._item_models)
        else:
            kinds = np.full(n_items, model)
        free[:, 0] = np.isin(kinds, ("2pl", "3pl", "4pl"))
        free[:, 2] = np.isin(kinds, ("3pl", "4pl"))
        free[:, 3] = kinds == "4pl"
        for j, row in (anchors or {}).items():
            j = int(j)
            if not 0 <= j < n_items:
                raise ValueError(f"anchor item index {j} is outside 0..{n_items - 1}")
            eta[j] = _public_to_internal(validate_params(np.asarray(row, float).reshape(1, 4)))[0]
            free[j] = False
        anchored = bool(anchors)
        est_mean = bool(self.estimate_mean) or anchored
        est_var = bool(self.estimate_var) or anchored or model == "rasch"
        common = model == "1pl" and bool(free[:, 1].any())
        spec = ModelSpec(
            free=free,
            common_slope=common,
            estimate_mean=est_mean,
            estimate_var=est_var,
            slope_prior=tuple(self.slope_prior) if self.slope_prior is not None else None,
            guessing_prior=tuple(self.guessing_prior) if self.guessing_prior is not None else None,
        )
        if not anchored and model == "1pl" and spec.estimate_var:
            raise ValueError("1pl with a free latent variance is not identified; use model='rasch'")
        if not anchored and model in ("2pl", "3pl", "4pl", "mixed") and (est_mean or est_var):
            raise ValueError(
                f"{model} without anchor items cannot also estimate the latent mean/variance"
            )
        return spec, eta

    def _identify(self, design: _em.ResponseDesign, spec: ModelSpec):
        free_items = spec.free.any(axis=1)
        never = free_items & (design.n_administered == 0)
        if never.any():
            raise ValueError(f"item column {int(np.flatnonzero(never)[0])} has no responses")
        flat = free_items & ((design.n_correct == 0) | (design.n_correct == design.n_administered))
        if flat.any():
            j = int(np.flatnonzero(flat)[0])
            kind = "correct" if design.n_correct[j] > 0 else "incorrect"
            raise ValueError(
                f"item column {j} has no variance: all {int(design.n_administered[j])} responses are {kind}"
            )
        if design.n_persons <= spec.n_free:
            raise ValueError(
                f"{design.n_persons} persons cannot identify {spec.n_free} free parameters"
            )

    # ------------------------------------------------------------------ fit
    def fit(self, responses, anchors: dict | None = None) -> "IRTCalibrator":
        """Calibrate the items.

        Parameters
        ----------
        responses : (n_persons, n_items) float array, 0/1 with NaN for not
            administered; or SparseResponses / (administered, correct) sparse pair.
        anchors : {item column: (a, b, c, d)} items held at known values so
            the remaining items land on their scale (latent mean and
            variance are then estimated).

        Returns
        -------
        self, with ``params_``, ``se_``, ``loglik_``, ``aic_``, ``bic_``,
        ``n_iter_``, ``converged_``, ``warnings_``, ``theta_nodes_``,
        ``theta_weights_`` and ``result_``.
        """
        with one_blas_thread():  # see _blas: faster with one worker per core
            return self._fit(responses, anchors)

    def _fit(self, responses, anchors: dict | None) -> "IRTCalibrator":
        model = self._check_options()
        partitioned = hasattr(responses, "prepare")
        if partitioned and (model in POLYTOMOUS_MODELS or self.engine == "girth"):
            raise ValueError(
                f"a calibration over partitions takes dichotomous models and engine 'piaa'; "
                f"got model {model!r}, engine {self.engine!r}")
        if model in POLYTOMOUS_MODELS:
            result = self._fit_polytomous(model, responses, anchors)
        else:
            design = _prepare(responses, int(self.chunk_size), np.float64)
            single = self.precision == "single" or (
                self.precision == "auto" and design.n_persons * design.n_items > SINGLE_PRECISION_CELLS)
            spec, eta_fixed = self._spec(model, design.n_items, anchors)
            self._identify(design, spec)
            nodes, _ = normal_quadrature(self.n_quadrature, self.theta_bounds)
            if self.engine == "girth":
                eta, mean, sd, n_iter, warn = self._girth_estimates(model, responses, design, spec, eta_fixed)
            else:
                eta0 = _em.start_values(design, spec, eta_fixed)
                eta, mean, sd, n_iter, warn = _run_em(
                    design, spec, eta0, 0.0, 1.0, nodes, int(self.max_iter), float(self.tol),
                    bool(self.accelerate), self.callback,
                    early_design=design.single_precision() if single else None,
                )
            result = self._finish(model, design, spec, eta, mean, sd, nodes, n_iter, warn)
        self._set_result(result)
        return self

    def _set_result(self, result: CalibrationResult):
        self.result_ = result
        self.params_ = result.params
        self.se_ = result.se
        self.loglik_ = result.loglik
        self.aic_ = result.aic
        self.bic_ = result.bic
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.warnings_ = result.warnings
        self.theta_nodes_ = result.theta_nodes
        self.theta_weights_ = result.theta_weights

    def _fit_polytomous(self, model, responses, anchors) -> CalibrationResult:
        from . import polytomous

        nodes, weights = normal_quadrature(self.n_quadrature, self.theta_bounds)
        # As for dichotomous items, anchors fix the scale, so the latent mean
        # and variance of the new sample are estimated rather than held at 0, 1.
        anchored = bool(anchors)
        out = dict(polytomous.fit_polytomous(
            responses, model, nodes, weights, int(self.max_iter), float(self.tol),
            anchors=anchors, estimate_mean=bool(self.estimate_mean) or anchored,
            estimate_var=bool(self.estimate_var) or anchored, chunk_size=int(self.chunk_size),
            compute_se=self.se_method is not None,
            se_method="xpd" if self.se_method == "xpd" else "auto",
            accelerate=bool(self.accelerate),
            engine=self.engine, callback=self.callback,
        ))
        # The result's theta_weights is the posterior latent distribution, as for
        # dichotomous fits; the fitted normal weights stay available in extra.
        extra = {k: out.pop(k) for k in list(out) if k not in _RESULT_FIELDS}
        extra["prior_weights"] = out.get("theta_weights")
        if "posterior_weights" in extra:
            out["theta_weights"] = extra["posterior_weights"]
        if "n_params" in extra:
            out["n_parameters"] = extra["n_params"]
        out.setdefault("engine", "piaa")
        return CalibrationResult(**out, extra=extra)

    # ------------------------------------------------------------------ result
    def _finish(self, model, design, spec, eta, mean, sd, nodes, n_iter, warn) -> CalibrationResult:
        weights = normal_weights(nodes, mean, sd)
        counts = design.map_sum(_em.expected_counts, eta, nodes, weights)
        params = _internal_to_public(eta)
        warnings = list(warn)
        converged = not any(w.startswith("not converged") for w in warnings)
        warnings += _item_warnings(params, spec)
        k = spec.n_free
        ll = counts.loglik
        method = self.se_method
        if method == "auto":
            method = "hessian" if k * design.n_persons * design.n_items <= 3e9 / 50 else "xpd"
        se = np.full_like(params, np.nan)
        latent_se = (np.nan, np.nan)
        se_label = "none"
        extra = {"params_slope_intercept": eta[:, :2].copy()}
        if method is not None:
            cov, se_label, msg = _covariance(method, design, spec, eta, mean, sd, nodes)
            if msg:
                warnings.append(msg)
            if cov is not None:
                se, latent_se = _public_se(cov, spec, eta, mean, sd)
                extra["covariance"] = cov
                extra["se_intercept"] = _intercept_se(cov, spec, eta.shape[0])
        return CalibrationResult(
            model=model,
            params=params,
            se=se,
            loglik=ll,
            aic=-2 * ll + 2 * k,
            bic=-2 * ll + k * np.log(design.n_persons),
            n_iter=n_iter,
            converged=converged,
            warnings=warnings,
            theta_nodes=nodes,
            theta_weights=counts.node_mass / counts.node_mass.sum(),
            latent_mean=mean,
            latent_sd=sd,
            latent_se=latent_se,
            n_parameters=k,
            n_persons=design.n_persons,
            se_method=se_label,
            engine=self.engine,
            extra=extra,
        )

    # ------------------------------------------------------------------ girth
    def _girth_estimates(self, model, responses, design, spec, eta_fixed):
        from . import _girth_engine

        if not isinstance(responses, np.ndarray):
            responses = np.asarray(responses, dtype=float)
        if (~spec.free.any(axis=1)).any():
            raise ValueError("engine='girth' does not support anchor items")
        if self.slope_prior is not None or self.guessing_prior is not None:
            raise ValueError("engine='girth' does not support priors")
        eta, mean, sd, warn = _girth_engine.fit(
            model, responses, self.n_quadrature, self.theta_bounds, self.girth_options
        )
        # Honest convergence: one of our EM steps from girth's estimates must not move them.
        nodes, _ = normal_quadrature(self.n_quadrature, self.theta_bounds)
        vec = _em.pack(eta, mean, sd, spec)
        stepped, _ = _em_map(design, spec, eta, mean, sd, nodes)(vec)
        change = float(np.max(np.abs(stepped - vec)))
        if change >= self.tol:
            warn.append(
                f"not converged: one EM step from girth's estimates still moves a parameter by {change:.2e}"
            )
        return eta, mean, sd, 0, warn


# ---------------------------------------------------------------------- EM driver
def _em_map(design, spec, eta_template, mean0, sd0, nodes):
    """The EM map x -> M(E(x)) in packed coordinates, returning (x', penalised loglik at x)."""

    def step(vec):
        eta, mean, sd = _em.unpack(vec, eta_template, mean0, sd0, spec)
        eta = _em.project(eta)
        counts = design.map_sum(_em.expected_counts, eta, nodes, normal_weights(nodes, mean, sd))
        new_eta = _em.mstep_items(eta, counts, nodes, spec)
        new_mean, new_sd = _em.mstep_latent(counts, nodes, mean, sd, spec)
        return _em.pack(new_eta, new_mean, new_sd, spec), counts.loglik + _log_prior(eta, spec)

    return step


def _log_prior(eta, spec: ModelSpec) -> float:
    total = 0.0
    if spec.slope_prior is not None:
        m, s = spec.slope_prior
        rows = spec.free[:, 0] if not spec.common_slope else _em._common_rows(spec)
        a = eta[rows, 0][: (1 if spec.common_slope else None)]
        la = np.log(a)
        total += float(np.sum(-la - (la - m) ** 2 / (2 * s**2)))
    if spec.guessing_prior is not None:
        al, be = spec.guessing_prior
        c = expit(eta[spec.free[:, 2], 2])
        total += float(np.sum((al - 1) * np.log(c) + (be - 1) * np.log1p(-c)))
    return total


def _run_em(design, spec, eta0, mean0, sd0, nodes, max_iter, tol, accelerate, callback=None,
            early_design=None):
    """EM with SQUAREM extrapolation; returns (eta, mean, sd, n_estep, warnings).

    With ``early_design`` (the float32 twin of ``design``) the E-steps run on
    it until one EM step moves less than ``SINGLE_PRECISION_UNTIL``; the rest,
    and the convergence decision, run on ``design``, so the answer is the
    float64 fit's to within ``tol``.
    """
    x = _em.pack(eta0, mean0, sd0, spec)
    project = lambda vec: _clip_packed(vec, eta0, mean0, sd0, spec)  # noqa: E731
    n_eval, converged = 0, False
    if early_design is not None:
        x, n_eval, _ = run_squarem(
            _em_map(early_design, spec, eta0, mean0, sd0, nodes), x, max_iter,
            max(tol, SINGLE_PRECISION_UNTIL), accelerate, callback, project=project,
        )
    if n_eval < max_iter:
        later = None if callback is None else (lambda i, ll: callback(n_eval + i, ll))
        x, n_more, converged = run_squarem(
            _em_map(design, spec, eta0, mean0, sd0, nodes), x, max_iter - n_eval, tol,
            accelerate, later, project=project,
        )
        n_eval += n_more
    eta, mean, sd = _em.unpack(x, eta0, mean0, sd0, spec)
    warnings = [] if converged else [
        f"not converged: EM stopped after {n_eval} E-steps (max_iter={max_iter}) above tol={tol:g}"
    ]
    return _em.project(eta), mean, sd, n_eval, warnings


def _clip_packed(vec, eta0, mean0, sd0, spec):
    eta, mean, sd = _em.unpack(vec, eta0, mean0, sd0, spec)
    eta = _em.project(eta)
    sd = float(np.clip(sd, 0.05, 20.0))
    return _em.pack(eta, mean, sd, spec)


def _item_warnings(params, spec: ModelSpec) -> list:
    out = []
    free = spec.free.any(axis=1) | (spec.common_slope & _em._common_rows(spec))
    a, b, c, _ = params.T
    for j in np.flatnonzero(free & (a > SLOPE_WARN_HIGH)):
        out.append(f"item {j}: slope {a[j]:.3g} is running off (> {SLOPE_WARN_HIGH})")
    for j in np.flatnonzero(free & (a < SLOPE_WARN_LOW)):
        out.append(f"item {j}: slope {a[j]:.3g} is near zero; the item barely discriminates")
    for j in np.flatnonzero(free & (np.abs(b) > 5.5)):
        out.append(f"item {j}: difficulty {b[j]:.3g} lies at the edge of the quadrature grid")
    g_free = spec.free[:, 2]
    for j in np.flatnonzero(g_free & (c < GUESSING_WARN_LOW)):
        out.append(f"item {j}: guessing {c[j]:.2g} is at its lower bound")
    for j in np.flatnonzero(g_free & (c > GUESSING_WARN_HIGH)):
        out.append(f"item {j}: guessing {c[j]:.3g} is implausibly high (> {GUESSING_WARN_HIGH})")
    return out


# ---------------------------------------------------------------------- standard errors
def _covariance(method, design, spec, eta, mean, sd, nodes):
    """Covariance of packed parameters from the observed information."""
    x = _em.pack(eta, mean, sd, spec)
    if method == "hessian":
        info = -_numerical_hessian(design, spec, eta, mean, sd, nodes, x)
        label = "observed information: numerical Hessian of the marginal log-likelihood (central differences of the analytic score)"
    else:
        info = design.map_sum(_cross_product_sums, spec, eta, mean, sd, nodes)
        info += _prior_information(spec, eta, nodes)
        label = "observed information: cross-product of per-person scores (XPD)"
    info = 0.5 * (info + info.T)
    try:
        evals = np.linalg.eigvalsh(info)
        if evals.min() <= 0:
            return None, label, "information matrix is not positive definite; standard errors unavailable"
        return np.linalg.inv(info), label, ""
    except np.linalg.LinAlgError:
        return None, label, "information matrix could not be inverted; standard errors unavailable"


def _score_at(design, spec, eta_t, mean, sd, nodes, vec):
    e, m, s = _em.unpack(vec, eta_t, mean, sd, spec)
    counts = design.map_sum(_em.expected_counts, e, nodes, normal_weights(nodes, m, s))
    return _em.score_vector(e, counts, nodes, m, s, spec)


def _numerical_hessian(design, spec, eta, mean, sd, nodes, x):
    k = x.size
    H = np.empty((k, k))
    for i in range(k):
        h = 1e-4 * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        H[:, i] = (_score_at(design, spec, eta, mean, sd, nodes, xp)
                   - _score_at(design, spec, eta, mean, sd, nodes, xm)) / (2 * h)
    return H


def _cross_product_sums(design, spec, eta, mean, sd, nodes):
    """(k, k) Σ_i s_i s_iᵀ with s_i the score of person i (Fisher identity per person)."""
    J = design.n_items
    weights = normal_weights(nodes, mean, sd)
    logp, logq = _em.log_tables(eta, nodes)
    p = np.exp(logp).T  # (J, Q)
    q = np.exp(logq).T
    _, dp = _em.prob_gradient(eta, nodes)
    cols = _packed_columns(spec)
    zq = (nodes - mean) / sd
    dlogw_mu = (zq - weights @ zq) / sd
    dlogw_lsd = zq**2 - weights @ zq**2
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    k = spec.n_free
    info = np.zeros((k, k))
    for chunk in design.chunks:
        post, _ = _em.chunk_posterior(chunk, design.kind, logp.copy(), logq.copy(), log_w, np.float64)
        if design.kind == "complete":
            y1 = np.asarray(chunk, float)
            y0 = 1.0 - y1
        else:
            dense = chunk.toarray() if sp.issparse(chunk) else np.asarray(chunk)
            y1, y0 = dense[:, :J].astype(float), dense[:, J:].astype(float)
        S = np.zeros((post.shape[0], k))
        for kk in range(4):
            if not cols[kk]:
                continue
            g = y1 * (post @ (dp[kk] / p).T) - y0 * (post @ (dp[kk] / q).T)  # (n_c, J)
            for j, col in cols[kk]:
                S[:, col] += g[:, j]
        if spec.estimate_mean:
            S[:, cols["mean"]] = post @ dlogw_mu
        if spec.estimate_var:
            S[:, cols["lsd"]] = post @ dlogw_lsd
        info += S.T @ S
    return info


def _prior_information(spec, eta, nodes):
    """(k, k) information the priors add to the cross-product of person scores."""
    J = eta.shape[0]
    cols = _packed_columns(spec)
    info = np.zeros((spec.n_free, spec.n_free))
    _, _, pinfo = _em.item_derivatives(eta, np.zeros((J, nodes.size)), np.zeros((J, nodes.size)), nodes, spec)
    for kk in (0, 2):
        for j, col in cols[kk]:
            info[col, col] += pinfo[j, kk, kk]
    return info


def _packed_columns(spec: ModelSpec) -> dict:
    """Map (parameter kind, item) to its column in the packed vector."""
    cols = {0: [], 1: [], 2: [], 3: []}
    idx = np.argwhere(spec.free)  # row-major order matches eta[free]
    for n, (j, kk) in enumerate(idx):
        cols[int(kk)].append((int(j), n))
    pos = len(idx)
    if spec.common_slope:
        cols[0] = [(int(j), pos) for j in np.flatnonzero(_em._common_rows(spec))]
        pos += 1
    if spec.estimate_mean:
        cols["mean"] = pos
        pos += 1
    if spec.estimate_var:
        cols["lsd"] = pos
    return cols


def _public_se(cov, spec, eta, mean, sd):
    """Delta-method SEs of (a, b, c, d) and of (latent mean, latent variance)."""
    J = eta.shape[0]
    k = cov.shape[0]
    cols = _packed_columns(spec)
    G = np.zeros((4 * J, k))
    a, dint = eta[:, 0], eta[:, 1]
    c, u = expit(eta[:, 2]), expit(eta[:, 3])
    for j, col in cols[0]:
        G[4 * j, col] = 1.0
        G[4 * j + 1, col] = dint[j] / a[j] ** 2
    for j, col in cols[1]:
        G[4 * j + 1, col] = -1.0 / a[j]
    for j, col in cols[2]:
        G[4 * j + 2, col] = c[j] * (1 - c[j])
    for j, col in cols[3]:
        G[4 * j + 3, col] = u[j] * (1 - u[j])
    var = np.einsum("ik,kl,il->i", G, cov, G)
    se = np.sqrt(np.maximum(var, 0)).reshape(J, 4)
    se[np.abs(G).reshape(J, 4, k).sum(axis=2) == 0] = np.nan
    se_mean = np.sqrt(cov[cols["mean"], cols["mean"]]) if "mean" in cols else np.nan
    # variance = exp(2 log sd): d var / d log sd = 2 var
    se_var = 2 * sd**2 * np.sqrt(cov[cols["lsd"], cols["lsd"]]) if "lsd" in cols else np.nan
    return se, (float(se_mean), float(se_var))


def _intercept_se(cov, spec, n_items):
    """(J,) SE of the intercept d of the logit a θ + d (mirt's metric)."""
    out = np.full(n_items, np.nan)
    for j, col in _packed_columns(spec)[1]:
        out[j] = np.sqrt(cov[col, col])
    return out
