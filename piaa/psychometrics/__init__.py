"""Psychometrics for PIAA: IRT models, calibration, ability estimation, CAT and item analysis.

Pure numpy/scipy. Arrays in, result objects out; nothing here imports Flask,
SQLAlchemy or any other part of ``piaa``, so the package can be used on its own.

Conventions: responses are ``(n_persons, n_items)`` float arrays (0/1 or
0..K-1, NaN = not administered); dichotomous item parameters are
``(n_items, 4)`` = a, b, c, d in the logistic metric with D = 1; polytomous
ones ``(n_items, 1 + K - 1)`` = a, b1..b_{K-1}, NaN-padded.

The public API, by task (adaptive testing lives in the subpackage :mod:`.cat`):

* item response functions: :func:`prob`, :func:`log_prob_pair`,
  :func:`information`, :func:`loglik` (dichotomous); :func:`prob_grm`,
  :func:`prob_gpcm`, :func:`category_prob`, :func:`information_grm`,
  :func:`information_gpcm`, :func:`loglik_poly` ... (polytomous);
* calibration: :class:`IRTCalibrator` (every model), :func:`fit_polytomous`,
  :func:`expected_counts` (the E-step of one partition of the data);
* scoring: :func:`estimate_ability`, :func:`eap_sum_score_table`,
  reliabilities;
* item analysis: classical statistics, fit, DIF, linking, standard setting;
* simulation of parameters, abilities and responses.
"""

# Submodules are imported when a name from them is first used (PEP 562), so that a caller
# of one routine (the delivery service's CAT selection) does not pay for all of them
# (scipy.stats alone costs about 0.9 s of CPU at start-up).
import importlib

_EXPORTS: dict[str, tuple[str, ...]] = {
    "._item_models": ("DICHOTOMOUS_MODELS", "POLYTOMOUS_MODELS"),
    ".calibration": (
        "CalibrationResult",
        "ExpectedCounts",
        "IRTCalibrator",
        "SparseResponses",
        "expected_counts",
    ),
    ".classical": (
        "AlphaResult",
        "DistractorAnalysis",
        "ItemStatistics",
        "cronbach_alpha",
        "distractor_analysis",
        "item_statistics",
        "score_key",
    ),
    ".decision": (
        "AbilityPosterior",
        "ClassicalDecisionQuality",
        "LevelConfidence",
        "ability_posterior",
        "classical_level_confidence",
        "livingston_lewis",
        "normal_level_confidence",
        "posterior_level_confidence",
        "subkoviak_agreement",
    ),
    ".dif": ("LogisticDIFResult", "MantelHaenszelResult", "logistic_dif", "mantel_haenszel"),
    ".estimation": (
        "AbilityEstimates",
        "SumScoreTable",
        "eap_sum_score_table",
        "empirical_reliability",
        "estimate_ability",
        "marginal_reliability",
        "total_information",
    ),
    ".fit": (
        "PersonFitResult",
        "RaschFitResult",
        "SX2Result",
        "infit_outfit",
        "person_fit",
        "s_x2",
    ),
    ".irt": ("information", "log_prob_pair", "loglik", "prob", "validate_params"),
    ".linking": ("LINKING_METHODS", "LinkingResult", "link", "transform_params"),
    ".polytomous": (
        "category_log_prob",
        "category_prob",
        "expected_score",
        "fit_polytomous",
        "from_slope_intercept",
        "information_gpcm",
        "information_grm",
        "information_poly",
        "log_prob_gpcm",
        "log_prob_grm",
        "loglik_poly",
        "marginal_loglik",
        "n_categories",
        "prob_gpcm",
        "prob_grm",
        "standard_errors",
        "to_slope_intercept",
        "validate_poly_params",
    ),
    ".quadrature": ("normal_quadrature", "normal_weights"),
    ".simulation": ("simulate_params", "simulate_responses", "simulate_theta"),
    ".standard_setting": (
        "ClassificationQuality",
        "OrderedItemBooklet",
        "bookmark_cut_scores",
        "classification_accuracy",
        "ordered_item_booklet",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    # model names
    "DICHOTOMOUS_MODELS",
    "POLYTOMOUS_MODELS",
    # dichotomous item response functions
    "validate_params",
    "prob",
    "log_prob_pair",
    "information",
    "loglik",
    # polytomous item response functions
    "validate_poly_params",
    "n_categories",
    "prob_grm",
    "prob_gpcm",
    "log_prob_grm",
    "log_prob_gpcm",
    "category_prob",
    "category_log_prob",
    "expected_score",
    "information_grm",
    "information_gpcm",
    "information_poly",
    "loglik_poly",
    "to_slope_intercept",
    "from_slope_intercept",
    # quadrature
    "normal_quadrature",
    "normal_weights",
    # calibration
    "IRTCalibrator",
    "CalibrationResult",
    "SparseResponses",
    "ExpectedCounts",
    "expected_counts",
    "fit_polytomous",
    "marginal_loglik",
    "standard_errors",
    # ability estimation and reliability
    "AbilityEstimates",
    "estimate_ability",
    "total_information",
    "SumScoreTable",
    "eap_sum_score_table",
    "marginal_reliability",
    "empirical_reliability",
    # simulation
    "simulate_theta",
    "simulate_params",
    "simulate_responses",
    # classical item analysis
    "ItemStatistics",
    "item_statistics",
    "AlphaResult",
    "cronbach_alpha",
    "DistractorAnalysis",
    "distractor_analysis",
    "score_key",
    # model fit
    "SX2Result",
    "s_x2",
    "RaschFitResult",
    "infit_outfit",
    "PersonFitResult",
    "person_fit",
    # differential item functioning
    "MantelHaenszelResult",
    "mantel_haenszel",
    "LogisticDIFResult",
    "logistic_dif",
    # linking
    "LINKING_METHODS",
    "LinkingResult",
    "link",
    "transform_params",
    # standard setting
    "OrderedItemBooklet",
    "ordered_item_booklet",
    "bookmark_cut_scores",
    "ClassificationQuality",
    "classification_accuracy",
    # decision confidence
    "AbilityPosterior",
    "LevelConfidence",
    "ability_posterior",
    "posterior_level_confidence",
    "normal_level_confidence",
    "classical_level_confidence",
    "ClassicalDecisionQuality",
    "livingston_lewis",
    "subkoviak_agreement",
    # computerized adaptive testing (subpackage)
    "cat",
]


def __getattr__(name: str):
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name], __name__), name)
        globals()[name] = value  # once found, an ordinary module attribute
        return value
    if name == "cat":
        return importlib.import_module(".cat", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
