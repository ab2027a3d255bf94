"""Fixtures for the reports: delivery's competency, calibrated bank, assessments and windows
(sittings go through the real delivery and scoring services), and providers whose learners'
pre- and post-course results are written by the simulated history."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from piaa.accounts.models import User
from piaa.accounts.services import get_or_create_organisation
from piaa.calibration import simulated_history
from piaa.reports import services
from tests.delivery.conftest import (  # noqa: F401  (fixtures)
    SUB_AREAS,
    _fresh_pool_cache,
    agency,
    bank,
    calibration,
    candidate,
    cohort,
    competency,
    make_assessment,
    make_window,
    operational,
    proctor,
)

#: provider: (matched learners, true value added in θ)
PROVIDER_EFFECTS = {
    "Institute of Noting": (18, 1.2),
    "Drafting Academy": (16, -1.2),
    "Records College": (14, 0.0),
    "Small Centre": (6, 0.0),
}


@pytest.fixture
def provider_results(session, cohort, calibration, competency, make_assessment, make_window, clock):
    """One course of FN-NOTING per provider of :data:`PROVIDER_EFFECTS`, one run each, and its
    learners (officials of the Department of Posts) with a pre-course sitting two days before
    the runs and a post-course one two days after, both scored on the active set. Returns the
    runs by provider."""
    rng = np.random.default_rng(11)
    # Two of each cell's four items per sitting: the post-course sitting draws the two its
    # learner has not seen, as delivery does.
    blueprint = {"cells": [{"level": level, "sub_area": sub_area, "count": 2}
                           for level in range(1, 6) for sub_area in SUB_AREAS],
                 "tolerance": 0}
    window = make_window(make_assessment(mode="loft", blueprint=blueprint),
                         closes_at=clock() + timedelta(days=30))
    truth = simulated_history.true_parameters(session, competency.id, rng)
    mdo = get_or_create_organisation(session, "Department of Posts", "mdo")
    runs = {}
    for k, (name, (size, effect)) in enumerate(PROVIDER_EFFECTS.items()):
        provider = get_or_create_organisation(session, name, "provider")
        course = services.create_course(session, code=f"NOTE-{k + 1}", title=f"Noting {k + 1}",
                                        provider=provider, competencies={competency: 3})
        run = services.create_run(session, course, code=f"NOTE-{k + 1}-R1",
                                  starts_at=clock() + timedelta(days=1), ends_at=clock() + timedelta(days=3))
        ids = simulated_history.add_officials(session, cohort, size, rng, prefix=f"learner{k}",
                                              organisation_id=mdo.id, attributes=False)
        users = [session.get(User, i) for i in ids]
        for user in users:
            services.set_official(session, user, mdo=mdo, position="Section Officer")
        pre = rng.normal(0.0, 0.8, size)
        post = 0.3 + 0.85 * pre + effect + rng.normal(0, 0.3, size)
        simulated_history.sit(session, window, ids, true_params=truth, rng=rng, theta=pre,
                              at=clock() - timedelta(days=2))
        simulated_history.sit(session, window, ids, true_params=truth, rng=rng, theta=post,
                              at=clock() + timedelta(days=5))
        services.enrol(session, run, users)
        runs[name] = run
    session.commit()
    return runs
