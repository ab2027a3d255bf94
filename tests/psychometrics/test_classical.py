"""Tests for classical item analysis (p-values, item–rest r, alpha, distractors)."""

from __future__ import annotations

import numpy as np
import pytest

from piaa.psychometrics.classical import (
    cronbach_alpha,
    distractor_analysis,
    item_statistics,
    score_key,
)

from ._analysis_data import lsat6_from_patterns, reference


@pytest.fixture(scope="module")
def lsat6():
    ref = reference("analysis_lsat6_descript.json")
    return ref, lsat6_from_patterns(ref["patterns"])


def test_lsat6_matches_ltm_descript(lsat6):
    ref, x = lsat6
    stats = item_statistics(x)
    # ltm prints 4 decimals, so agreement to 5e-5 is all the reference can show.
    tol = 5e-5 + 1e-12
    np.testing.assert_allclose(stats.p_value, ref["proportion_correct"], atol=tol)
    np.testing.assert_allclose(stats.item_total_r, ref["point_biserial_included"], atol=tol)
    np.testing.assert_allclose(stats.item_rest_r, ref["point_biserial_excluded"], atol=tol)
    np.testing.assert_allclose(stats.reliability.alpha, ref["alpha"], atol=tol)
    np.testing.assert_allclose(stats.reliability.alpha_if_deleted, ref["alpha_excluding"], atol=tol)
    counts = np.bincount(x.sum(axis=1).astype(int), minlength=6)
    np.testing.assert_array_equal(counts, ref["score_frequencies"])


def test_alpha_and_sem_by_hand():
    # 4 persons x 3 items. Totals 3, 2, 1, 0: var(T) = 5/3 (n-1 denominator).
    # Item variances: item0 (1,1,1,0) -> 1/4; item1 (1,1,0,0) -> 1/3; item2 (1,0,0,0) -> 1/4.
    # alpha = 3/2 * (1 - (1/4 + 1/3 + 1/4) / (5/3)) = 3/2 * (1 - 0.5) = 0.75.
    # SEM = sqrt(5/3) * sqrt(0.25) = 0.645497...
    # Deleting item1: totals of items 0, 2 are 2, 1, 1, 0, var = 2/3;
    # alpha = 2 * (1 - (1/4 + 1/4) / (2/3)) = 0.5.
    x = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
    res = cronbach_alpha(x)
    assert res.alpha == pytest.approx(0.75)
    assert res.sem == pytest.approx(np.sqrt(5 / 3) * 0.5)
    assert res.alpha_if_deleted[1] == pytest.approx(0.5)
    assert res.n_persons == 4


def test_alpha_if_deleted_equals_alpha_of_remaining_items():
    rng = np.random.default_rng(11)
    theta = rng.normal(size=400)
    x = (rng.uniform(size=(400, 8)) < 1 / (1 + np.exp(-(theta[:, None] - np.linspace(-1, 1, 8))))).astype(float)
    res = cronbach_alpha(x)
    for j in range(8):
        assert res.alpha_if_deleted[j] == pytest.approx(cronbach_alpha(np.delete(x, j, axis=1)).alpha)


def test_missing_responses_use_item_takers_and_complete_rows():
    x = np.array([[1, 0, 1], [0, np.nan, 1], [1, 1, 0], [1, 1, 1], [0, 0, 0]], dtype=float)
    stats = item_statistics(x)
    assert stats.n.tolist() == [5, 4, 5]
    assert stats.p_value[1] == pytest.approx(2 / 4)
    assert stats.reliability.n_persons == 4
    assert stats.reliability.alpha == pytest.approx(cronbach_alpha(x[[0, 2, 3, 4]]).alpha)


def test_polytomous_p_value_is_mean_over_max():
    x = np.array([[0, 2], [1, 1], [2, 0], [2, 2]], dtype=float)
    stats = item_statistics(x, max_scores=[2, 4])
    np.testing.assert_allclose(stats.p_value, [1.25 / 2, 1.25 / 4])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="row 1, column 0"):
        item_statistics(np.array([[1, 0], [0.5, 1], [1, 1]]))
    with pytest.raises(ValueError, match="max_scores\\[0\\]"):
        item_statistics(np.array([[2, 0], [1, 1]]), max_scores=[1, 1])


# ------------------------------------------------------------- distractors
@pytest.fixture(scope="module")
def sat12(public_csv):
    _, raw = public_csv("SAT12_raw.csv")
    _, key_rows = public_csv("SAT12_key.csv")
    return raw, key_rows[:, 0]


def _distractor_by_loops(raw, key, fraction):
    """Independent option statistics written item by item, option by option."""
    n, n_items = raw.shape
    scored = (raw == key).astype(float)
    total = scored.sum(axis=1)
    order = np.argsort(total, kind="stable")
    size = int(np.floor(fraction * n))
    low_rows, high_rows = order[:size], order[n - size:]
    options = sorted(set(raw.ravel().tolist()))
    out = {"prop": [], "mean": [], "pbis": [], "upper": [], "lower": []}
    for j in range(n_items):
        rest = total - scored[:, j]
        row = {k: [] for k in out}
        for opt in options:
            pick = raw[:, j] == opt
            row["prop"].append(pick.mean())
            row["mean"].append(total[pick].mean() if pick.any() else np.nan)
            row["pbis"].append(np.corrcoef(pick.astype(float), rest)[0, 1] if 0 < pick.sum() < n else np.nan)
            row["upper"].append(pick[high_rows].mean())
            row["lower"].append(pick[low_rows].mean())
        for k in out:
            out[k].append(row[k])
    return options, {k: np.array(v) for k, v in out.items()}


def test_sat12_distractors_match_independent_loops(sat12):
    # No published option-level table exists for SAT12, so the reference is an
    # independent, loop-based computation from the definitions.
    raw, key = sat12
    res = distractor_analysis(raw, key)
    options, ref = _distractor_by_loops(raw, key, 0.27)
    np.testing.assert_array_equal(res.options, options)
    assert res.n_persons == 600
    np.testing.assert_allclose(res.proportion, ref["prop"], atol=1e-12)
    np.testing.assert_allclose(res.mean_total, ref["mean"], atol=1e-10)
    np.testing.assert_allclose(res.point_biserial, ref["pbis"], atol=1e-10)
    np.testing.assert_allclose(res.upper, ref["upper"], atol=1e-12)
    np.testing.assert_allclose(res.lower, ref["lower"], atol=1e-12)
    # The keyed option of item 1 is chosen by the stronger candidates.
    k = int(np.flatnonzero(res.options == key[0])[0])
    assert res.point_biserial[0, k] > 0 and res.discrimination[0, k] > 0


def test_sat12_scoring_with_omits_as_wrong(sat12):
    raw, key = sat12
    scored = score_key(raw, key)
    assert set(np.unique(scored)) <= {0.0, 1.0}
    # SAT12's omit code 8 never equals a key (keys are 1-5), so omits score 0.
    assert np.all(scored[raw == 8] == 0)
    stats = item_statistics(scored)
    assert 0.0 < stats.reliability.alpha < 1.0
    assert stats.reliability.sem == pytest.approx(
        stats.reliability.total_sd * np.sqrt(1 - stats.reliability.alpha)
    )


def test_seeded_item_rest_correlation_tracks_discrimination():
    # Recovery: items simulated with a larger slope must show a larger item-rest r.
    rng = np.random.default_rng(2024)
    theta = rng.normal(size=5000)
    slopes = np.array([0.3, 0.8, 1.5, 2.5])
    p = 1 / (1 + np.exp(-slopes * theta[:, None]))
    x = (rng.uniform(size=p.shape) < p).astype(float)
    x = np.hstack([x, (rng.uniform(size=(5000, 10)) < 1 / (1 + np.exp(-theta[:, None]))).astype(float)])
    stats = item_statistics(x)
    assert np.all(np.diff(stats.item_rest_r[:4]) > 0)
    np.testing.assert_allclose(stats.p_value[:4], 0.5, atol=0.03)
