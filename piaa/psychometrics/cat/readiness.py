"""Is a bank ready for an adaptive test? Simulate the test the service would give.

:func:`check_readiness` takes a calibrated bank, the cut scores and the policy's limits,
calibrates Sympson–Hetter exposure control for that policy on one sample of simulees
drawn from the population (θ ~ N(mean, sd)), then runs a fresh sample through the
controlled test and reports how well it classifies: accuracy at each cut, exact-level
accuracy, reliability, test length and the highest item exposure. ``piaa cat simulate``
and the service's readiness check for an assessment both call it, so both report the same
figures for the same inputs and seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .content import ContentBlueprint
from .exposure import calibrate_sympson_hetter
from .selection import ItemBank
from .simulation import CatPolicy, CatSimulation, simulate_cat
from .stopping import StoppingRule

__all__ = ["ReadinessCheck", "check_readiness", "exposure_margin", "SH_ROUNDS"]

# Rounds of the exposure calibration: enough for a 300-item bank at a 0.25 cap to settle
# (it takes 10-20 from no control), bounded so a check takes seconds, not minutes.
SH_ROUNDS = 40


def exposure_margin(r_max: float, n: int) -> float:
    """How far below the cap the exposure calibration aims: two binomial standard errors of
    a rate r_max over n simulees. A rate calibrated to exactly r_max on one sample lands
    above it on about half of the next samples' items, and the busiest of a few hundred
    such items one to two standard errors above; aiming this much lower keeps the fresh
    sample's busiest item at the cap."""
    return 2.0 * float(np.sqrt(r_max * (1.0 - r_max) / max(int(n), 1)))


@dataclass(frozen=True)
class ReadinessCheck:
    """Outcome of :func:`check_readiness`.

    Attributes
    ----------
    summary : the headline figures as plain values (JSON-ready).
    simulation : the evaluation run (per simulee and per item arrays).
    exposure_k : (J,) Sympson–Hetter parameters found (ones without control).
    """

    summary: dict
    simulation: CatSimulation = field(repr=False)
    exposure_k: np.ndarray = field(repr=False)


def check_readiness(
    params,
    cuts,
    *,
    max_items: int,
    max_exposure: float = 1.0,
    examinees: int = 5000,
    rng: np.random.Generator,
    model: str = "2pl",
    min_items: int = 1,
    confidence: float | None = None,
    se_target: float | None = None,
    criterion: str = "cut_doubt",
    content=None,
    blueprint: dict | None = None,
    theta_mean: float = 0.0,
    theta_sd: float = 1.0,
    calibration_examinees: int | None = None,
    progress=None,
) -> ReadinessCheck:
    """Calibrate exposure control for the policy, then simulate it on fresh simulees.

    Parameters
    ----------
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous item parameters.
    cuts : (K,) ascending cut scores.
    max_items, min_items, confidence, se_target : the stopping rule.
    max_exposure : highest share of simulees an item may reach (1: no control).
    examinees : simulees in the evaluation run.
    rng : random generator (simulees, responses, exposure draws).
    model, content, blueprint : the bank's model, each item's sub-area and the target
        share of each sub-area (``{label: share}``), for content balancing.
    criterion : selection criterion (see :mod:`.selection`).
    theta_mean, theta_sd : the population the test will meet.
    calibration_examinees : simulees per exposure-calibration round
        (default ``max(examinees, 2000)``).
    progress : optional ``progress(step, max_steps)`` after every simulation step; an
        optional ``progress.phase(label, max_steps)`` is told when each run begins.

    Returns
    -------
    ReadinessCheck.
    """
    if not 0 < max_exposure <= 1:
        raise ValueError(f"max_exposure must be in (0, 1], got {max_exposure!r}")
    if int(examinees) < 2:
        raise ValueError(f"examinees must be at least 2, got {examinees!r}")
    progress = progress or (lambda step, total: None)
    phase = getattr(progress, "phase", lambda label, total: None)
    bank = ItemBank(params, model=model, content=content)
    policy = CatPolicy(
        stopping=StoppingRule(se_target=se_target, min_items=min_items, max_items=max_items,
                              confidence=confidence),
        criterion=criterion, cuts=tuple(np.atleast_1d(cuts)),
        blueprint=ContentBlueprint(dict(blueprint)) if blueprint else None,
    )
    n_cal = int(calibration_examinees or max(int(examinees), 2000))
    calibration = None
    if max_exposure < 1.0:
        rounds = [0]

        def round_progress(step, total):
            if step == 1:
                rounds[0] += 1
                phase(f"exposure control, round {rounds[0]}", total)
            progress(step, total)

        margin = min(exposure_margin(max_exposure, n_cal), 0.5 * max_exposure)
        # Aim at r_max - margin. The busiest of the items held at that rate shows about one
        # margin more by chance, so a round whose busiest item is within half a margin of
        # the cap has settled; waiting for one under the cap only waits for a lucky draw.
        calibration = calibrate_sympson_hetter(
            bank, rng.normal(theta_mean, theta_sd, n_cal), policy, max_exposure - margin, rng,
            n_rounds=SH_ROUNDS, tol=1.5 * margin, progress=round_progress, update="ratio")
        policy = CatPolicy(stopping=policy.stopping, criterion=policy.criterion, cuts=policy.cuts,
                           blueprint=policy.blueprint, exposure=calibration.exposure)
    phase("simulating", int(max_items))
    sim = simulate_cat(bank, rng.normal(theta_mean, theta_sd, int(examinees)), policy, rng,
                       progress=progress)
    summary = {
        **sim.classification(),
        "mean_length": sim.mean_length,
        "max_exposure": sim.max_exposure,
        "items_above_max_exposure": int(np.sum(sim.exposure_rate > max_exposure)),
        "bias": sim.bias,
        "rmse": sim.rmse,
        "mean_se": float(np.mean(sim.se)),
        "mean_level_confidence": float(np.mean(sim.level_confidence)),
        "unused_items": int(np.sum(sim.exposure_rate == 0)),
        "examinees": int(examinees),
        "policy": {"cuts": list(policy.cuts), "criterion": criterion, "max_items": int(max_items),
                   "min_items": int(min_items), "confidence": confidence, "se_target": se_target,
                   "max_exposure": float(max_exposure), "model": bank.model,
                   "items": bank.n_items, "blueprint": dict(blueprint) if blueprint else None},
        "exposure_control": None if calibration is None else {
            "method": "sympson-hetter", "calibration_examinees": n_cal,
            "target": max_exposure - margin,
            "rounds": int(calibration.max_exposure.size), "converged": bool(calibration.converged),
            "max_exposure_by_round": [round(float(v), 4) for v in calibration.max_exposure]},
    }
    k = np.ones(bank.n_items) if calibration is None else calibration.exposure.k
    return ReadinessCheck(summary=summary, simulation=sim, exposure_k=k)
