"""Fixtures for the measurement loop: delivery's competency, bank (40 operational items and
6 pretest items), cohort and assessments, plus response histories written by
``piaa.calibration.simulated_history``."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from piaa.calibration import simulated_history
from piaa.items.models import APPROVED, OPERATIONAL, Item
from tests.delivery.conftest import (_fresh_pool_cache, agency, bank, calibration, candidate,  # noqa: F401
                                     cohort, competency, make_assessment, make_window, operational,
                                     proctor)


@pytest.fixture
def psychometrician(make_user):
    return make_user(role="psychometrician")


@pytest.fixture
def pretest(session, bank):
    return list(session.scalars(select(Item).where(Item.state == APPROVED).order_by(Item.id)))


@pytest.fixture
def full_form_window(session, operational, make_assessment, make_window, clock):
    """A fixed-form assessment whose one form holds all 40 operational items, with two
    pretest items seeded per sitting, and a window of it that closed yesterday."""
    from piaa.delivery.forms import assemble_fixed_form

    assessment = make_assessment(mode="fixed", n_forms=0, pretest_count=2,
                                 blueprint={"cells": [{"level": None, "sub_area": None, "count": 40}],
                                            "tolerance": 0})
    assemble_fixed_form(session, assessment, np.random.default_rng(1), item_ids=[i.id for i in operational])
    session.commit()
    return make_window(assessment, opens_at=clock() - timedelta(days=10), closes_at=clock() - timedelta(days=1))


def true_params_for(session, competency, seed: int = 11) -> dict[int, list[float]]:
    return simulated_history.true_parameters(session, competency.id, np.random.default_rng(seed))


def bank_truth(session, competency, operational, truth, label="banked truth"):
    """The operational items' true parameters as the active set (anchors at their truth)."""
    from piaa.delivery.parameters import record_parameter_set

    ps = record_parameter_set(session, competency, "2pl", {i.id: truth[i.id] for i in operational},
                              label=label, se={i.id: [0.05, 0.05, 0.0, 0.0] for i in operational})
    session.commit()
    return ps


@pytest.fixture
def make_history(session, cohort):
    """``make_history(window, n, truth, seed=..., dif=...)``: n simulated officials sit it."""

    def factory(window, n, truth, seed=5, **options):
        rng = np.random.default_rng(seed)
        users = simulated_history.add_officials(session, cohort, n, rng)
        sitting = simulated_history.sit(session, window, users, true_params=truth, rng=rng,
                                        at=window.closes_at - timedelta(hours=1), **options)
        session.commit()
        return sitting

    return factory
