"""r_wg against a worked example from its published formula, and on simulated raters."""
import numpy as np
import pytest

from piaa.workplace.agreement import r_wg


def test_r_wg_worked_example():
    # James, Demaree & Wolf (1984), J. Appl. Psychol. 69(1): r_wg = 1 - s^2 / sigma^2_EU with
    # sigma^2_EU = (A^2 - 1) / 12 = 2.0 for A = 5 (the value tabled by LeBreton & Senter 2008).
    # Worked by hand: ratings 4, 4, 5, 4, 3 have mean 4 and s^2 = (0+0+1+0+1)/4 = 0.5, so
    # r_wg = 1 - 0.5/2 = 0.75. Ratings 1, 5, 1, 5 have s^2 = 16/3, so the raw index is
    # 1 - 8/3 = -5/3, truncated to 0 (LeBreton & Senter 2008, question 8).
    ratings = np.array([[4, 1, 3], [4, 5, np.nan], [5, 1, np.nan], [4, 5, np.nan], [3, np.nan, np.nan]])
    np.testing.assert_allclose(r_wg(ratings)[:2], [0.75, 0.0])
    assert np.isnan(r_wg(ratings)[2])  # one rater: no agreement to speak of
    np.testing.assert_allclose(r_wg(ratings, truncate=False)[:2], [0.75, -5 / 3])
    # a 7-point scale: sigma^2_EU = 48/12 = 4
    np.testing.assert_allclose(r_wg(np.array([[4.0], [4.0], [5.0], [4.0], [3.0]]), n_options=7), [1 - 0.5 / 4])


def test_r_wg_recovers_agreement_and_its_absence():
    rng = np.random.default_rng(20260105)
    # Raters drawing uniformly from 1..5: s^2 is unbiased for sigma^2_EU, so the raw index
    # averages 0 (standard error over 4000 groups of 6 is about 0.01).
    uniform = rng.integers(1, 6, size=(6, 4000)).astype(float)
    assert abs(r_wg(uniform, truncate=False).mean()) < 0.05
    # Raters who see the same level and err by at most one step agree strongly.
    true = rng.integers(2, 5, size=4000)
    close = true[None, :] + rng.choice([-1, 0, 0, 0, 1], size=(6, 4000))
    assert r_wg(close).mean() > 0.75


def test_r_wg_refuses_bad_shapes():
    with pytest.raises(ValueError, match="n_raters, n_targets"):
        r_wg(np.array([1.0, 2.0]))
