"""CAT item selection: agreement with catsim, exclusions, PWI, content balancing."""

from __future__ import annotations

import numpy as np
import pytest

from piaa.psychometrics.cat import (
    ContentBlueprint,
    ItemBank,
    NoItemAvailableError,
    select_items,
    select_next_item,
)
from piaa.psychometrics.estimation import estimate_ability
from piaa.psychometrics.irt import information


def _bank_params(rng, n_items, guessing=True):
    c = rng.uniform(0.0, 0.25, n_items) if guessing else np.zeros(n_items)
    return np.column_stack([rng.lognormal(0.0, 0.3, n_items), rng.normal(size=n_items),
                            c, np.ones(n_items)])


@pytest.mark.parametrize("guessing", [False, True])
def test_same_item_as_catsim_max_info(guessing):
    # catsim is a declared test dependency (the peer we compare with): no skip
    import catsim.item_bank as catsim_bank
    import catsim.selection as catsim_selection

    rng = np.random.default_rng(11)
    params = _bank_params(rng, 800, guessing)
    bank = ItemBank(params, model="3pl" if guessing else "2pl")
    theirs = catsim_bank.ItemBank(params)
    selector = catsim_selection.MaxInfoSelector()
    for _ in range(40):
        theta = rng.uniform(-3, 3)
        taken = rng.choice(800, rng.integers(0, 40), replace=False)
        mask = np.zeros(800, dtype=bool)
        mask[taken] = True
        ours = select_next_item(theta, bank, mask).item
        assert ours == selector.select(item_bank=theirs, administered_items=list(taken),
                                       est_theta=theta)


def test_bank_information_matches_irt_module():
    rng = np.random.default_rng(2)
    params = _bank_params(rng, 300)
    params[:, 3] = rng.uniform(0.9, 1.0, 300)       # 4PL rows too
    theta = np.linspace(-5, 5, 21)
    np.testing.assert_allclose(ItemBank(params, "4pl").information(theta),
                               information(theta, params), rtol=1e-12, atol=1e-15)


def test_never_returns_administered_or_excluded_items():
    rng = np.random.default_rng(3)
    params = _bank_params(rng, 50)
    bank = ItemBank(params, "3pl")
    best = int(np.argmax(information([0.0], params)[0]))
    taken = np.zeros(50, dtype=bool)
    taken[best] = True
    second = select_next_item(0.0, bank, taken).item
    assert second != best
    excluded = np.zeros(50, dtype=bool)
    excluded[second] = True
    third = select_next_item(0.0, bank, taken, excluded=excluded).item
    assert third not in (best, second)
    with pytest.raises(NoItemAvailableError):
        select_next_item(0.0, bank, np.ones(50, dtype=bool))
    with pytest.raises(NoItemAvailableError):
        select_next_item(0.0, bank, taken, excluded=~taken)


def test_pwi_is_information_averaged_over_the_posterior():
    rng = np.random.default_rng(4)
    params = _bank_params(rng, 200, guessing=False)
    bank = ItemBank(params)
    responses = np.full(200, np.nan)
    given = rng.choice(200, 6, replace=False)
    responses[given] = [1, 1, 0, 1, 0, 1]
    # Posterior on the bank grid equals estimate_ability's EAP on the same grid.
    theta, se = bank.eap(responses)
    ref = estimate_ability(responses, params)
    np.testing.assert_allclose([theta[0], se[0]], [ref.theta[0], ref.se[0]], atol=1e-12)
    # Brute force: average item information over the posterior by hand.
    post = bank.posterior(responses)[0]
    pwi = post @ information(bank.nodes, params)
    pwi[given] = -np.inf
    chosen = select_next_item(theta[0], bank, ~np.isnan(responses), criterion="pwi",
                              responses=responses).item
    assert chosen == int(np.argmax(pwi))
    with pytest.raises(ValueError, match="pwi"):
        select_next_item(0.0, bank, np.zeros(200, dtype=bool), criterion="pwi")


def test_pwi_prefers_broad_items_when_theta_is_uncertain():
    # Derivation: for the 2PL ∫ I_j(θ) dθ = a_j, so under a posterior much
    # wider than 1/a_j the PWI is about a_j times the posterior density at b_j.
    # At θ = 0, MFI takes item 0 (a = 1, b = 0: I = 0.25) over item 1
    # (a = 2.5, b = 1.4: I = 0.18); with prior SD 3, PWI ≈ 0.133 for item 0
    # and ≈ 2.5 * 0.119 = 0.30 for item 1.
    params = np.array([[1.0, 0.0, 0.0, 1.0], [2.5, 1.4, 0.0, 1.0]])
    bank = ItemBank(params)
    none = np.zeros(2, dtype=bool)
    assert select_next_item(0.0, bank, none).item == 0
    pick = select_next_item(0.0, bank, none, criterion="pwi",
                            responses=np.full(2, np.nan), prior_sd=3.0)
    assert pick.item == 1


def test_randomesque_spreads_choice_over_top_k():
    rng = np.random.default_rng(5)
    params = _bank_params(rng, 100)
    bank = ItemBank(params, "3pl")
    none = np.zeros(100, dtype=bool)
    top5 = set(np.argsort(-information([0.0], params)[0])[:5].tolist())
    picks = [select_next_item(0.0, bank, none, randomesque=5, rng=rng).item for _ in range(400)]
    assert set(picks) == top5
    counts = np.bincount(picks, minlength=100)[sorted(top5)]
    assert counts.min() > 50          # ~80 each if uniform
    with pytest.raises(ValueError, match="rng"):
        select_next_item(0.0, bank, none, randomesque=5)


def test_content_balancing_follows_kingsbury_zara():
    rng = np.random.default_rng(6)
    params = _bank_params(rng, 90)
    cells = np.repeat(["algebra", "geometry", "data"], 30)
    bank = ItemBank(params, "3pl", content=cells)
    blueprint = ContentBlueprint({"algebra": 0.5, "geometry": 0.3, "data": 0.2})
    taken = np.zeros(90, dtype=bool)
    first = select_next_item(0.0, bank, taken, blueprint=blueprint)
    assert first.cell == "algebra"                 # largest target when nothing given
    assert first.item == int(np.argmax(information([0.0], params)[0][:30]))
    taken[first.item] = True
    # After one algebra item: shares 1, 0, 0; deficits -0.5, 0.3, 0.2.
    assert select_next_item(0.0, bank, taken, blueprint=blueprint).cell == "geometry"
    # Ten items given sequentially land on the 5 / 3 / 2 blueprint.
    taken[:] = False
    for _ in range(10):
        taken[select_next_item(0.0, bank, taken, blueprint=blueprint).item] = True
    np.testing.assert_array_equal(np.bincount(np.searchsorted(bank.cells, cells[taken]),
                                              minlength=3)[[0, 2, 1]], [5, 3, 2])
    # An exhausted cell is skipped.
    taken[:] = False
    taken[30:60] = True                            # all geometry items used
    assert select_next_item(0.0, bank, taken, blueprint=blueprint).cell in ("algebra", "data")


def test_blueprint_errors_name_the_cell():
    with pytest.raises(ValueError, match="sum to 1"):
        ContentBlueprint({"a": 0.5, "b": 0.2})
    with pytest.raises(ValueError, match="'b'"):
        ContentBlueprint({"a": 1.2, "b": -0.2})
    bank = ItemBank(_bank_params(np.random.default_rng(0), 4), "3pl", content=list("aabb"))
    with pytest.raises(ValueError, match="'z'"):
        select_next_item(0.0, bank, np.zeros(4, bool),
                         blueprint=ContentBlueprint({"a": 0.5, "z": 0.5}))


def test_batch_selection_matches_single_calls():
    rng = np.random.default_rng(8)
    params = _bank_params(rng, 300)
    bank = ItemBank(params, "3pl")
    theta = rng.normal(size=25)
    taken = rng.random((25, 300)) < 0.1
    batch = select_items(theta, bank, taken)
    singles = [select_next_item(t, bank, m).item for t, m in zip(theta, taken)]
    np.testing.assert_array_equal(batch.items, singles)


def test_bad_arguments_are_named():
    bank = ItemBank(_bank_params(np.random.default_rng(0), 10), "3pl")
    with pytest.raises(ValueError, match="criterion"):
        select_next_item(0.0, bank, np.zeros(10, bool), criterion="kl")
    with pytest.raises(ValueError, match="administered"):
        select_next_item(0.0, bank, np.zeros(9, bool))
    with pytest.raises(ValueError, match="theta must be finite"):
        select_next_item(float("nan"), bank, np.zeros(10, bool))
    with pytest.raises(ValueError, match="content"):
        ItemBank(_bank_params(np.random.default_rng(0), 10), content=["a"] * 9)


@pytest.mark.parametrize("model", ["2pl", "3pl"])
def test_eap_of_one_examinee_equals_the_eap_of_their_row(model):
    # Reference: estimate_ability's EAP on the same grid (itself checked against mirt in
    # test_estimation.py), for a pattern given as item indices and scores.
    rng = np.random.default_rng(11)
    params = _bank_params(rng, 120, guessing=model == "3pl")
    bank = ItemBank(params, model)
    items = rng.choice(120, 9, replace=False)
    scores = rng.integers(0, 2, 9)
    row = np.full(120, np.nan)
    row[items] = scores
    ref = estimate_ability(row, params, model=model)
    for prior in ((0.0, 1.0), (0.5, 1.5)):
        theta, se = bank.eap_of(items, scores, *prior)
        row_theta, row_se = bank.eap(row, *prior)
        np.testing.assert_allclose([theta, se], [row_theta[0], row_se[0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(bank.eap_of(items, scores), [ref.theta[0], ref.se[0]], atol=1e-12)
    assert bank.eap_of([], []) == pytest.approx((0.0, 1.0), abs=1e-3)  # the prior alone
    with pytest.raises(ValueError, match="score of item"):
        bank.eap_of(items[:1], [2])
