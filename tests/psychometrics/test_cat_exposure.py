"""Exposure control: the Sympson–Hetter lottery and its calibration by simulation."""

from __future__ import annotations

import numpy as np
import pytest

from piaa.psychometrics.cat import (
    CatPolicy,
    ItemBank,
    RandomStart,
    StoppingRule,
    SympsonHetter,
    calibrate_sympson_hetter,
    select_next_item,
    simulate_cat,
)
from piaa.psychometrics.irt import information


def _bank(seed, n_items):
    rng = np.random.default_rng(seed)
    params = np.column_stack([rng.lognormal(0.0, 0.3, n_items), rng.normal(size=n_items),
                              np.zeros(n_items), np.ones(n_items)])
    return ItemBank(params), params


def test_lottery_with_k_one_is_max_information():
    bank, params = _bank(1, 60)
    rng = np.random.default_rng(0)
    none = np.zeros(60, dtype=bool)
    pick = select_next_item(0.4, bank, none, exposure=SympsonHetter.uncontrolled(60), rng=rng)
    assert pick.item == int(np.argmax(information([0.4], params)[0]))
    assert pick.rejected.size == 0


def test_lottery_passes_over_items_with_their_probability():
    bank, params = _bank(2, 60)
    order = np.argsort(-information([0.0], params)[0])
    k = np.ones(60)
    k[order[0]] = 0.0            # never administered
    k[order[1]] = 0.3            # administered 30 % of the time it comes up
    control = SympsonHetter(k)
    rng = np.random.default_rng(3)
    none = np.zeros(60, dtype=bool)
    picks = [select_next_item(0.0, bank, none, exposure=control, rng=rng) for _ in range(2000)]
    items = np.array([p.item for p in picks])
    assert not np.any(items == order[0])
    assert np.mean(items == order[1]) == pytest.approx(0.3, abs=0.04)
    # Items passed over are reported so the caller can exclude them.
    assert all(order[0] in p.rejected for p in picks)
    assert all(p.item not in p.rejected for p in picks)
    lost = [p for p in picks if p.item == order[2]]
    assert all(set(p.rejected) == {order[0], order[1]} for p in lost)


def test_lottery_falls_back_when_every_draw_is_lost():
    bank, params = _bank(4, 30)
    control = SympsonHetter(np.zeros(30))
    pick = select_next_item(0.0, bank, np.zeros(30, bool), exposure=control,
                            rng=np.random.default_rng(0))
    assert pick.item == int(np.argmax(information([0.0], params)[0]))
    assert pick.item not in pick.rejected and pick.rejected.size == 29


def test_exposure_parameters_are_validated():
    with pytest.raises(ValueError, match="item 2"):
        SympsonHetter(np.array([1.0, 0.5, 1.5]))
    bank, _ = _bank(0, 5)
    with pytest.raises(ValueError, match="not both"):
        select_next_item(0.0, bank, np.zeros(5, bool), randomesque=3,
                         exposure=SympsonHetter.uncontrolled(5), rng=np.random.default_rng(0))


def test_calibrated_sympson_hetter_bounds_exposure_in_new_sample():
    bank, _ = _bank(5, 300)
    rng = np.random.default_rng(20240611)
    policy = CatPolicy(stopping=StoppingRule(max_items=15), start=RandomStart(-0.5, 0.5))
    free = simulate_cat(bank, rng.normal(size=800), policy, rng)
    assert free.max_exposure > 0.6              # the problem being solved
    r_max = 0.25
    calib = calibrate_sympson_hetter(bank, rng.normal(size=800), policy, r_max, rng,
                                     n_rounds=30, tol=0.02)
    assert calib.converged
    assert calib.max_exposure[0] > 0.6 and calib.max_exposure[-1] <= r_max + 0.02
    # Applied to a fresh sample from the same population the bound holds up
    # to sampling error (binomial SD at 0.25 with n = 800 is 0.015).
    controlled = simulate_cat(bank, rng.normal(size=800),
                              CatPolicy(stopping=policy.stopping, start=policy.start,
                                        exposure=calib.exposure), rng)
    assert controlled.max_exposure <= r_max + 0.05
    # Control costs some precision, but not much with 300 items.
    assert controlled.rmse < free.rmse * 1.25
    with pytest.raises(ValueError, match="r_max"):
        calibrate_sympson_hetter(bank, [0.0], policy, 1.5, rng)
