"""Psychometrics for PIAA: IRT models, calibration, ability estimation, CAT and item analysis.

Pure numpy/scipy. Arrays in, result objects out; nothing here imports Flask,
SQLAlchemy or any other part of ``piaa``, so the package can be used on its own.

Conventions: responses are ``(n_persons, n_items)`` float arrays (0/1 or
0..K-1, NaN = not administered); dichotomous item parameters are
``(n_items, 4)`` = a, b, c, d in the logistic metric with D = 1.
"""

from .irt import information, log_prob_pair, loglik, prob
from .quadrature import normal_quadrature, normal_weights
from .calibration import (
    CalibrationResult,
    ExpectedCounts,
    IRTCalibrator,
    SparseResponses,
    expected_counts,
)
from .polytomous import (
    fit_polytomous,
    information_gpcm,
    information_grm,
    loglik_poly,
    prob_gpcm,
    prob_grm,
)
from .simulation import simulate_params, simulate_responses, simulate_theta
from .classical import cronbach_alpha, distractor_analysis, item_statistics, score_key
from .dif import logistic_dif, mantel_haenszel
from .fit import infit_outfit, person_fit, s_x2
from .linking import link, transform_params
from .standard_setting import bookmark_cut_scores, classification_accuracy, ordered_item_booklet
from .estimation import (
    AbilityEstimates,
    eap_sum_score_table,
    empirical_reliability,
    estimate_ability,
    marginal_reliability,
)
from . import cat

__all__ = [
    "prob",
    "log_prob_pair",
    "information",
    "loglik",
    "normal_quadrature",
    "normal_weights",
    "IRTCalibrator",
    "CalibrationResult",
    "SparseResponses",
    "ExpectedCounts",
    "expected_counts",
    "prob_grm",
    "prob_gpcm",
    "information_grm",
    "information_gpcm",
    "loglik_poly",
    "fit_polytomous",
    "simulate_theta",
    "simulate_params",
    "simulate_responses",
    "item_statistics",
    "cronbach_alpha",
    "distractor_analysis",
    "score_key",
    "s_x2",
    "infit_outfit",
    "person_fit",
    "mantel_haenszel",
    "logistic_dif",
    "link",
    "transform_params",
    "ordered_item_booklet",
    "bookmark_cut_scores",
    "classification_accuracy",
    "AbilityEstimates",
    "estimate_ability",
    "eap_sum_score_table",
    "marginal_reliability",
    "empirical_reliability",
    "cat",
]
