"""Next-item selection for adaptive tests over a precomputed item bank.

:class:`ItemBank` holds everything about a calibrated bank that does not
depend on the examinee: parameter columns, the blueprint cell of every item,
and item information and log-probabilities on the quadrature grid. Build it
once per bank (per process) and reuse it for every call.

:func:`select_next_item` is the stateless entry point for the delivery
service: given one examinee's θ (and, for posterior-weighted information,
their responses so far) and the mask of items already administered, it
returns the next item. :func:`select_items` does the same for many examinees
at once and is what the simulation harness advances in lockstep. Both
evaluate the criterion for every item of the bank in one vectorized call.

Criteria
--------
* ``"mfi"``: maximum Fisher information at the current θ.
* ``"pwi"``: posterior-weighted information ∫ I_j(θ) p(θ | responses) dθ
  (van der Linden, 1998), which is less greedy early in a test when θ is
  still poorly known.
* ``"nearest_cut"``: Fisher information at the cut score nearest the current
  θ (Spray & Reckase, 1994; Eggen & Straetmans, 2000, for several cuts): the
  item that best tells the two levels on either side of it apart.
* ``"cut_doubt"``: aims at the level while it is in doubt. With p_k the
  posterior probability that θ is at or above cut k, each cut is weighted by
  u_k = 4 p_k (1 - p_k) (1 when the side is a coin toss, 0 when decided); the
  criterion is D · Σ_k u_k I_j(c_k) / Σ_k u_k + (1 - D) · I_j(θ̂), D = max_k u_k.
  So the test measures at the cuts whose side is uncertain and, once every
  side is settled, sharpens θ̂ itself (which the reported θ ± SE needs).

Exposure control (randomesque, Sympson–Hetter) and content balancing
(Kingsbury–Zara) are applied here; their parameters live in
:mod:`.exposure` and :mod:`.content`.

References
----------
van der Linden, W. J. (1998). Bayesian item selection criteria for adaptive
testing. Psychometrika, 63, 201-216.
Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for
computerized adaptive tests. Applied Measurement in Education, 2, 359-375.
Spray, J. A., & Reckase, M. D. (1994). The selection of test items for
decision making with a computer adaptive test. Paper presented at the annual
meeting of the National Council on Measurement in Education, New Orleans.
Eggen, T. J. H. M., & Straetmans, G. J. J. M. (2000). Computerized adaptive
testing for classifying examinees into three categories. Educational and
Psychological Measurement, 60, 713-734.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..estimation import DICHOTOMOUS_MODELS, POLYTOMOUS_MODELS
from ..irt import log_prob_pair, validate_params
from ..quadrature import normal_weights
from .classification import above_cut_weights, check_cuts, cut_side_probabilities, level_probabilities
from .content import ContentBlueprint
from .exposure import SympsonHetter

__all__ = [
    "ItemBank",
    "NoItemAvailableError",
    "Selection",
    "SelectionBatch",
    "select_items",
    "select_next_item",
    "CRITERIA",
]

CRITERIA = ("mfi", "pwi", "nearest_cut", "cut_doubt")
# Criteria that read the posterior, and those that need the cut scores.
POSTERIOR_CRITERIA = ("pwi", "cut_doubt")
CUT_CRITERIA = ("nearest_cut", "cut_doubt")
_TINY = 1e-300


class NoItemAvailableError(RuntimeError):
    """Every item of the bank is administered, excluded or outside the blueprint."""


class ItemBank:
    """A calibrated item bank with the arrays selection needs, computed once.

    Parameters
    ----------
    params : (J, 4) a, b, c, d rows for dichotomous models, or
        (J, 1 + K - 1) a, b1.. rows for "grm" / "gpcm".
    model : item model name (see :mod:`piaa.psychometrics.estimation`).
    content : optional (J,) blueprint cell of each item (any hashable
        labels, e.g. competency sub-area strings).
    n_quadrature, theta_bounds : grid for posterior-weighted information and
        for the examinee posteriors the bank computes.

    Attributes
    ----------
    params, model, n_items, nodes (Q,), cells (C,) distinct content labels,
    cell_of_item (J,) index into ``cells`` (all 0 without content),
    info_at_nodes (Q, J), log_prob_at_nodes (Q, J, K).

    Examples
    --------
    One examinee's turn in the delivery service (the bank built once per
    process and cached; the attempt holds only its responses)::

        bank = ItemBank(params, model="2pl", content=sub_area_of_item)
        theta, se = bank.eap(responses)            # responses: (J,), NaN = not given
        nxt = select_next_item(theta[0], bank, ~np.isnan(responses),
                               blueprint=blueprint, randomesque=3, rng=rng)
    """

    def __init__(self, params, model: str = "2pl", content=None,
                 n_quadrature: int = 61, theta_bounds=(-6.0, 6.0)):
        self.model = str(model).lower()
        if self.model in DICHOTOMOUS_MODELS:
            self.params = validate_params(params)
            self.dichotomous = True
            a, b, c, d = (np.ascontiguousarray(col) for col in self.params.T)
            self._b = b
            self._half_a = 0.5 * a
            self._quarter_a2 = 0.25 * a * a
            self._half_range = 0.5 * (d - c)
            self._mid = c + 0.5 * (d - c)      # P at t = 0
            self._slope_scale = 0.25 * a * (d - c)
            self._is_2pl = bool(np.all(c == 0) and np.all(d == 1))
            self.n_categories = np.full(a.shape[0], 2)
        elif self.model in POLYTOMOUS_MODELS:
            from .. import polytomous

            self.params = polytomous.validate_poly_params(params, self.model)
            self.dichotomous = False
            grm = self.model == "grm"
            self._prob_fn = polytomous.prob_grm if grm else polytomous.prob_gpcm
            self._log_prob_fn = polytomous.log_prob_grm if grm else polytomous.log_prob_gpcm
            self._info_fn = polytomous.information_grm if grm else polytomous.information_gpcm
            self.n_categories = polytomous.n_categories(self.params)
        else:
            raise ValueError(
                f"model must be one of {DICHOTOMOUS_MODELS + POLYTOMOUS_MODELS}, got {model!r}"
            )
        self.n_items = self.params.shape[0]
        self._set_content(content)
        lo, hi = (float(v) for v in theta_bounds)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"theta_bounds must be finite with low < high, got {theta_bounds!r}")
        self.theta_bounds = (lo, hi)
        self.nodes = np.linspace(lo, hi, int(n_quadrature))
        self.info_at_nodes = self.information(self.nodes)              # (Q, J)
        # Log-probability of each score category at each node: (Q, J, K);
        # floored so an absent category is a large negative number, not -inf.
        self.log_prob_at_nodes = np.maximum(self._category_log_probs(self.nodes), np.log(_TINY))
        self._log_standard_prior = np.log(normal_weights(self.nodes, 0.0, 1.0))
        self._cut_arrays: dict = {}

    def cut_arrays(self, cuts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cuts (K,), above (Q, K), info_at_cuts (K, J))`` for cut scores ``cuts``,
        computed once per distinct set of cuts (see :mod:`.classification`)."""
        try:  # the cuts as given are the key: checked once, not on every call of a sitting
            key = tuple(map(float, cuts))
        except TypeError:  # a scalar or an array of another shape: let the check say what is wrong
            key = tuple(float(c) for c in check_cuts(cuts))
        found = self._cut_arrays.get(key)
        if found is None:
            c = check_cuts(key)
            found = (c, above_cut_weights(self.nodes, c), self.information(c))
            if len(self._cut_arrays) < 16:       # a process meets few sets of cuts
                self._cut_arrays[key] = found
        return found

    def level_probabilities(self, posterior, cuts) -> np.ndarray:
        """(n, K + 1) posterior probability of each level from (n, Q) ``posterior``."""
        return level_probabilities(posterior, self.cut_arrays(cuts)[1])

    def _set_content(self, content):
        if content is None:
            self.cells = np.array([0])
            self.cell_of_item = np.zeros(self.n_items, dtype=int)
        else:
            labels = np.asarray(content)
            if labels.shape != (self.n_items,):
                raise ValueError(
                    f"content must give one cell per item, shape ({self.n_items},); "
                    f"got {labels.shape}"
                )
            self.cells, self.cell_of_item = np.unique(labels, return_inverse=True)
        # (J, C) indicator, so per-cell counts of many examinees are one product.
        self.cell_indicator = (
            self.cell_of_item[:, None] == np.arange(self.cells.shape[0])
        ).astype(float)

    def __len__(self) -> int:
        return self.n_items

    # ------------------------------------------------------------ functions

    def information(self, theta) -> np.ndarray:
        """(n, J) Fisher information of every item at each θ (n,)."""
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        if not self.dichotomous:
            return np.asarray(self._info_fn(theta, self.params), dtype=float)
        t = theta[:, None] - self._b
        t *= self._half_a
        np.tanh(t, out=t)                      # t = 2F - 1, F the logistic
        if self._is_2pl:
            # a² F (1 - F), and F (1 - F) = (1 - t²) / 4.
            t *= t
            np.subtract(1.0, t, out=t)
            t *= self._quarter_a2
            return t
        # 4PL: I = P'² / (P (1 - P)) with P = c + (d - c) F and
        # P' = a (d - c) F (1 - F); written in t to keep passes in place.
        half_range = self._half_range
        p = t * half_range
        p += self._mid
        slope = t * t
        np.subtract(1.0, slope, out=slope)
        slope *= self._slope_scale             # P' = a (d - c) (1 - t²) / 4
        slope *= slope
        q = np.subtract(1.0, p)
        p *= q
        np.maximum(p, _TINY, out=p)
        slope /= p
        return slope

    def _category_log_probs(self, theta) -> np.ndarray:
        """(n, J, K) log-probability of each score category at each θ."""
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        if not self.dichotomous:
            return np.asarray(self._log_prob_fn(theta, self.params), dtype=float)
        log_p, log_q = log_prob_pair(theta, self.params)
        return np.stack([log_q, log_p], axis=2)

    def category_probs(self, theta) -> np.ndarray:
        """(n, J, K) probability of each score category at each θ."""
        return np.exp(self._category_log_probs(theta))

    def log_posterior(self, responses, prior_mean=0.0, prior_sd=1.0) -> np.ndarray:
        """(n, Q) unnormalised log posterior on ``nodes`` from sparse responses.

        Only administered items (non-NaN) enter, so the cost scales with the
        test length, not the bank size.
        """
        x = np.atleast_2d(np.asarray(responses, dtype=float))
        if x.shape[1] != self.n_items:
            raise ValueError(f"responses have {x.shape[1]} items, the bank has {self.n_items}")
        rows, items = np.nonzero(~np.isnan(x))
        scores = x[rows, items]
        top = self.n_categories[items] - 1
        bad = (scores < 0) | (scores > top) | (scores != np.round(scores))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"response of person row {rows[i]} to item {items[i]} is {scores[i]!r}; "
                f"expected an integer 0..{top[i]}"
            )
        contrib = self.log_prob_at_nodes[:, items, scores.astype(int)]      # (Q, m)
        logpost = np.zeros((x.shape[0], self.nodes.shape[0]))
        np.add.at(logpost, rows, contrib.T)
        return logpost + self._log_prior(prior_mean, prior_sd)

    def posterior(self, responses, prior_mean=0.0, prior_sd=1.0) -> np.ndarray:
        """(n, Q) posterior weights on ``nodes`` (rows sum to one)."""
        return normalise_log_posterior(self.log_posterior(responses, prior_mean, prior_sd))

    def eap(self, responses, prior_mean=0.0, prior_sd=1.0) -> tuple[np.ndarray, np.ndarray]:
        """(n,) EAP θ and posterior SD from sparse responses (same grid as
        :func:`piaa.psychometrics.estimation.estimate_ability`)."""
        return posterior_mean_sd(self.posterior(responses, prior_mean, prior_sd), self.nodes)

    def posterior_of(self, items, scores, prior_mean=0.0, prior_sd=1.0) -> np.ndarray:
        """(1, Q) posterior weights of one examinee from the bank indices of the items given
        and their integer scores: :meth:`posterior` of a row holding only those, without the
        row of the whole bank (the delivery service's case, once per answer)."""
        items = np.asarray(items, dtype=np.intp)
        scores = np.asarray(scores, dtype=np.intp)
        if items.shape != scores.shape or items.ndim != 1:
            raise ValueError(f"items and scores must be two equal 1-d sequences, got "
                             f"{items.shape} and {scores.shape}")
        bad = (scores < 0) | (scores >= self.n_categories[items])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"score of item {items[i]} is {scores[i]}; expected an integer "
                             f"0..{self.n_categories[items[i]] - 1}")
        log_post = self.log_prob_at_nodes[:, items, scores].sum(axis=1) + self._log_prior(prior_mean, prior_sd)
        return normalise_log_posterior(log_post[None, :])

    def eap_of(self, items, scores, prior_mean=0.0, prior_sd=1.0) -> tuple[float, float]:
        """EAP θ and posterior SD of one examinee (see :meth:`posterior_of`)."""
        mean, sd = posterior_mean_sd(self.posterior_of(items, scores, prior_mean, prior_sd), self.nodes)
        return float(mean[0]), float(sd[0])

    def _log_prior(self, mean: float, sd: float) -> np.ndarray:
        """(Q,) log prior weights on ``nodes``; the standard normal's computed once."""
        if (mean, sd) == (0.0, 1.0):
            return self._log_standard_prior
        return np.log(normal_weights(self.nodes, mean, sd))


def normalise_log_posterior(log_post: np.ndarray) -> np.ndarray:
    """Rows of exp(log_post) scaled to sum to one, without underflow."""
    w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def posterior_mean_sd(post: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) mean and SD of posteriors given as (n, Q) weights on ``nodes``."""
    # einsum rather than BLAS gemv: see estimation._rowdot.
    mean = np.einsum("ij,j->i", post, nodes)
    var = np.einsum("ij,j->i", post, nodes * nodes) - mean * mean
    return mean, np.sqrt(np.maximum(var, 0.0))


@dataclass(frozen=True)
class Selection:
    """The item chosen for one examinee.

    Attributes
    ----------
    item : index of the next item in the bank.
    rejected : items that won a Sympson–Hetter draw's turn but lost the
        lottery; by that procedure they are not offered to this examinee
        again, so the caller adds them to the examinee's excluded mask.
    cell : blueprint cell label the item was drawn from (None without
        content balancing).
    """

    item: int
    rejected: np.ndarray
    cell: object = None


@dataclass(frozen=True)
class SelectionBatch:
    """Items chosen for many examinees: ``items`` (n,) (-1 when none is
    available), ``rejected`` (n, J) Sympson–Hetter rejections, ``considered``
    (n, J) items that entered a Sympson–Hetter lottery (accepted or not;
    what the exposure calibration counts) and ``cells`` (n,) cell indices."""

    items: np.ndarray
    rejected: np.ndarray
    considered: np.ndarray
    cells: np.ndarray


def _as_bank(bank, model) -> ItemBank:
    return bank if isinstance(bank, ItemBank) else ItemBank(bank, model=model)


def _criterion(bank, theta, criterion, responses, posterior, prior_mean, prior_sd, cuts):
    if criterion == "mfi":
        return bank.information(theta)
    if criterion in CUT_CRITERIA:
        if cuts is None:
            raise ValueError(f"criterion {criterion!r} needs the cut scores (cuts)")
        c, above, info_at_cuts = bank.cut_arrays(cuts)
        if criterion == "nearest_cut":
            return info_at_cuts[np.abs(theta[:, None] - c).argmin(axis=1)]
    if posterior is None:
        if responses is None:
            raise ValueError(f"criterion {criterion!r} needs responses or a posterior")
        posterior = bank.posterior(responses, prior_mean, prior_sd)
    posterior = np.atleast_2d(np.asarray(posterior, dtype=float))
    if posterior.shape != (theta.shape[0], bank.nodes.shape[0]):
        raise ValueError(
            f"posterior must have shape {(theta.shape[0], bank.nodes.shape[0])}, "
            f"got {posterior.shape}"
        )
    if criterion == "cut_doubt":
        p = cut_side_probabilities(posterior, above)                 # (n, K)
        doubt = 4.0 * p * (1.0 - p)
        total = doubt.sum(axis=1, keepdims=True)
        weights = doubt / np.maximum(total, _TINY)
        at_cuts = (np.einsum("k,kj->j", weights[0], info_at_cuts)[None, :]
                   if weights.shape[0] == 1 else weights @ info_at_cuts)
        d = doubt.max(axis=1, keepdims=True)
        return d * at_cuts + (1.0 - d) * bank.information(theta)
    if posterior.shape[0] == 1:
        # One examinee: a vector-matrix product, faster in einsum than in a
        # multithreaded BLAS call (see estimation._rowdot).
        return np.einsum("q,qj->j", posterior[0], bank.info_at_nodes)[None, :]
    return posterior @ bank.info_at_nodes


def _mask(name, value, shape):
    m = np.asarray(value, dtype=bool)
    if m.ndim == 1:
        m = m[None, :]
    if m.shape != shape:
        raise ValueError(f"{name} must have shape {shape[1:]} or {shape}, got {np.shape(value)}")
    return m


def select_items(
    theta,
    bank,
    administered,
    *,
    excluded=None,
    criterion: str = "mfi",
    responses=None,
    posterior=None,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    randomesque: int = 1,
    exposure: SympsonHetter | None = None,
    blueprint: ContentBlueprint | None = None,
    rng: np.random.Generator | None = None,
    model: str = "2pl",
    cuts=None,
) -> SelectionBatch:
    """Choose the next item for each of n examinees at once.

    Parameters
    ----------
    theta : (n,) current ability estimates (used by "mfi").
    bank : ItemBank, or a parameter array (then ``model`` applies; building
        the bank costs more than a selection, so pass an ItemBank in a loop).
    administered : (n, J) bool, items each examinee has already taken.
    excluded : (J,) or (n, J) bool, items the caller rules out (enemy items,
        earlier Sympson–Hetter rejections, items seen in an earlier attempt).
    criterion : "mfi", "pwi", "nearest_cut" or "cut_doubt" (see the module).
    responses : (n, J) sparse responses, for "pwi" and "cut_doubt" when
        ``posterior`` is None.
    posterior : (n, Q) posterior weights on ``bank.nodes`` for "pwi" and
        "cut_doubt".
    prior_mean, prior_sd : prior for that posterior.
    randomesque : choose uniformly among the top-k items (k = 1: no
        randomisation). Needs ``rng`` when k > 1.
    exposure : Sympson–Hetter exposure parameters (not with randomesque > 1).
    blueprint : content targets; the item comes from the most
        under-represented cell that still has an available item.
    rng : random generator for randomesque and Sympson–Hetter draws.
    cuts : (K,) ascending cut scores, for "nearest_cut" and "cut_doubt".

    Returns
    -------
    SelectionBatch.
    """
    bank = _as_bank(bank, model)
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    n, n_items = theta.shape[0], bank.n_items
    if not np.all(np.isfinite(theta)):
        i = int(np.flatnonzero(~np.isfinite(theta))[0])
        raise ValueError(f"theta must be finite; examinee {i} has {theta[i]!r}")
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    randomesque = int(randomesque)
    if randomesque < 1:
        raise ValueError(f"randomesque must be at least 1, got {randomesque}")
    if exposure is not None and randomesque > 1:
        raise ValueError("use either randomesque or Sympson-Hetter exposure control, not both")
    if (exposure is not None or randomesque > 1) and rng is None:
        raise ValueError("exposure control needs rng (a numpy Generator)")
    taken = _mask("administered", administered, (n, n_items))
    available = ~taken
    if excluded is not None:
        available &= ~_mask("excluded", excluded, (n, n_items))

    cells = np.zeros(n, dtype=int)
    if blueprint is not None:
        cells = blueprint.next_cells(bank, taken, available)
        available &= bank.cell_of_item[None, :] == cells[:, None]

    value = _criterion(bank, theta, criterion, responses, posterior, prior_mean, prior_sd, cuts)
    value = np.where(available, value, -np.inf)
    has_item = available.any(axis=1)
    no_rejections = np.zeros((n, n_items), dtype=bool)
    if exposure is not None:
        items, rejected, considered = exposure.choose(value, rng)
    elif randomesque > 1:
        items = _randomesque(value, randomesque, rng)
        rejected, considered = no_rejections, no_rejections
    else:
        items = value.argmax(axis=1)
        rejected, considered = no_rejections, no_rejections
    items = np.where(has_item, items, -1)
    return SelectionBatch(items=items, rejected=rejected, considered=considered, cells=cells)


def _randomesque(value, k, rng):
    """Uniform choice among each row's k highest finite values."""
    k = min(k, value.shape[1])
    top = np.argpartition(-value, k - 1, axis=1)[:, :k]
    finite = np.isfinite(np.take_along_axis(value, top, axis=1))
    # Random keys, -1 for non-finite entries, so argmax picks a random finite one.
    keys = np.where(finite, rng.random(top.shape), -1.0)
    return top[np.arange(top.shape[0]), keys.argmax(axis=1)]


def select_next_item(
    theta: float,
    bank,
    administered,
    *,
    excluded=None,
    criterion: str = "mfi",
    responses=None,
    posterior=None,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    randomesque: int = 1,
    exposure: SympsonHetter | None = None,
    blueprint: ContentBlueprint | None = None,
    rng: np.random.Generator | None = None,
    model: str = "2pl",
    cuts=None,
) -> Selection:
    """Choose the next item for one examinee (stateless; see :func:`select_items`).

    Parameters
    ----------
    theta : the examinee's current θ estimate.
    bank : ItemBank (or parameter array, slower).
    administered : (J,) bool mask of items already taken.
    excluded, criterion, responses (J,), posterior (Q,), prior_mean,
    prior_sd, randomesque, exposure, blueprint, rng, cuts : as for
        :func:`select_items`.

    Returns
    -------
    Selection with the item index and any Sympson–Hetter rejections.

    Raises
    ------
    NoItemAvailableError
        If no item is left (all administered, excluded, or the blueprint's
        cells are exhausted).
    """
    bank = _as_bank(bank, model)
    batch = select_items(
        np.array([theta], dtype=float), bank, administered, excluded=excluded,
        criterion=criterion,
        responses=None if responses is None else np.atleast_2d(responses),
        posterior=None if posterior is None else np.atleast_2d(posterior),
        prior_mean=prior_mean, prior_sd=prior_sd, randomesque=randomesque,
        exposure=exposure, blueprint=blueprint, rng=rng, model=model, cuts=cuts,
    )
    item = int(batch.items[0])
    if item < 0:
        raise NoItemAvailableError(
            f"no item available at theta={theta!r}: every item is administered or excluded"
        )
    cell = bank.cells.tolist()[batch.cells[0]] if blueprint is not None else None
    return Selection(item=item, rejected=np.flatnonzero(batch.rejected[0]), cell=cell)
