"""The package's item models by name, and dispatch on them.

This is the one declared list of model names (``DICHOTOMOUS_MODELS``,
``POLYTOMOUS_MODELS``) and their check. Fit statistics, linking and standard
setting work on any of the models through their category probabilities; this
module turns a model name and a parameter array into those probabilities, so
each analysis is written once for dichotomous and polytomous items alike.
"""

from __future__ import annotations

import numpy as np

from . import irt
from ._checks import check_choice

__all__ = [
    "DICHOTOMOUS_MODELS",
    "POLYTOMOUS_MODELS",
    "check_model",
    "category_probs",
    "expected_item_scores",
    "max_item_scores",
    "n_free_item_params",
    "n_free_group_params",
]

DICHOTOMOUS_MODELS = ("rasch", "1pl", "2pl", "3pl", "4pl")
POLYTOMOUS_MODELS = ("grm", "gpcm")

# Free parameters per item and in the latent distribution, as counted by
# R mirt (its S-X² degrees of freedom subtract both). The 1PL's common slope
# is shared by all items, so no single item owns it.
_ITEM_PARAMS = {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3, "4pl": 4}
_GROUP_PARAMS = {"rasch": 1}


def check_model(model: str) -> str:
    """Return the lower-cased model name or raise naming the bad value."""
    return check_choice("model", str(model).lower(), DICHOTOMOUS_MODELS + POLYTOMOUS_MODELS)


def category_probs(theta, params, model: str = "2pl") -> np.ndarray:
    """Category probabilities of every item at every θ.

    Parameters
    ----------
    theta : (n,) abilities or quadrature nodes.
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous parameters.
    model : one of DICHOTOMOUS_MODELS or POLYTOMOUS_MODELS.

    Returns
    -------
    (n, J, K) array; K = 2 for dichotomous models, categories an item lacks
    have probability 0.
    """
    name = check_model(model)
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    if name in DICHOTOMOUS_MODELS:
        p = irt.prob(theta, params)
        return np.stack([1.0 - p, p], axis=2)
    from . import polytomous  # imported lazily: the module is optional here

    fn = polytomous.prob_grm if name == "grm" else polytomous.prob_gpcm
    return np.asarray(fn(theta, params), dtype=float)


def expected_item_scores(theta, params, model: str = "2pl") -> np.ndarray:
    """(n, J) expected score of each item at each θ (P(correct) for 0/1 items)."""
    probs = category_probs(theta, params, model)
    return probs @ np.arange(probs.shape[2], dtype=float)


def max_item_scores(params, model: str) -> np.ndarray:
    """(J,) highest score of each item: 1 for dichotomous items, K_j - 1 for polytomous ones."""
    name = check_model(model)
    p = np.atleast_2d(np.asarray(params, dtype=float))
    if name in POLYTOMOUS_MODELS:
        return np.sum(~np.isnan(p[:, 1:]), axis=1)
    return np.ones(p.shape[0], dtype=int)


def n_free_item_params(params, model: str) -> np.ndarray:
    """(J,) number of estimated parameters of each item under ``model``."""
    name = check_model(model)
    p = np.asarray(params, dtype=float)
    if name in POLYTOMOUS_MODELS:
        # slope plus one threshold per present category boundary
        return 1 + np.sum(~np.isnan(p[:, 1:]), axis=1)
    return np.full(p.shape[0], _ITEM_PARAMS[name])


def n_free_group_params(model: str) -> int:
    """Estimated parameters of the latent distribution (mirt's Rasch: variance)."""
    return _GROUP_PARAMS.get(check_model(model), 0)
