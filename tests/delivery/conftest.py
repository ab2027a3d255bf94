"""Fixtures for delivery: a competency with a bank of operational and pretest items, a
calibration of it, a cohort with a candidate, proctors, and assessments with open windows."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from piaa.accounts.services import get_or_create_organisation
from piaa.delivery import assessments as assessment_service
from piaa.delivery.forms import assemble_fixed_form, clear_pool_cache
from piaa.delivery.parameters import record_parameter_set
from piaa.items import services as items
from piaa.items.models import APPROVED, OPERATIONAL
from piaa.items.services import SourcedRecord

COMPETENCY = {"code": "FN-NOTING", "name": "Noting and drafting", "type": "functional",
              "description": "Noting and drafting in government work",
              "levels": [{"level": n, "label": label, "descriptor": f"Noting at level {n}"}
                         for n, label in enumerate(["Basic", "Intermediate", "Proficient", "Advanced",
                                                    "Expert"], start=1)]}
SUB_AREAS = ("noting", "drafting")
CUTS = [-2.0, -0.75, 0.25, 1.0, 2.0]
# Distinctive parameter values, so a scan of responses can look for their digits.
SLOPE_DIGITS = "1.2345678"


def stem(code: str) -> dict:
    return {"en": f"Stem of item {code}: which officer signs the note?",
            "hi": f"प्रश्न {code}: टिप्पणी पर कौन हस्ताक्षर करता है?"}


def single_choice(code: str, level: int, sub_area: str) -> dict:
    return {"id": code, "type": "single_choice", "competency": "FN-NOTING", "level": level,
            "sub_area": sub_area, "stem": stem(code),
            "options": [{"id": "A", "text": {"en": "Assistant", "hi": "सहायक"}},
                        {"id": "B", "text": {"en": "Section Officer", "hi": "अनुभाग अधिकारी"}},
                        {"id": "C", "text": {"en": "Clerk", "hi": "लिपिक"}}],
            "key": "B", "rationale": {"en": f"Rationale {code}: the Section Officer signs."}}


@pytest.fixture(autouse=True)
def _fresh_pool_cache():
    clear_pool_cache()
    yield
    clear_pool_cache()


@pytest.fixture
def agency(session):
    org = get_or_create_organisation(session, "Test Agency", "agency")
    session.commit()
    return org


@pytest.fixture
def competency(session):
    items.import_competencies(session, [SourcedRecord(COMPETENCY, 1)])
    session.commit()
    return items.get_competency(session, "FN-NOTING")


@pytest.fixture
def bank(session, agency, competency):
    """40 operational items (levels 1-5 x two sub-areas x 4) and 6 approved pretest items."""
    bank = items.create_bank(session, name="Office Procedure", organisation=agency, languages=["en", "hi"])
    n = 0
    for level in range(1, 6):
        for sub_area in SUB_AREAS:
            for _ in range(4):
                n += 1
                items.create_item_from_bank_json(session, bank, single_choice(f"OP-{n:03d}", level, sub_area),
                                                 state=OPERATIONAL)
    for k in range(1, 7):
        items.create_item_from_bank_json(session, bank, single_choice(f"PT-{k:03d}", 3, SUB_AREAS[k % 2]),
                                         state=APPROVED)
    session.commit()
    return bank


@pytest.fixture
def operational(session, bank):
    from sqlalchemy import select

    from piaa.items.models import Item

    return list(session.scalars(select(Item).where(Item.state == OPERATIONAL).order_by(Item.id)))


@pytest.fixture
def calibration(session, competency, operational):
    """2PL parameters: difficulty follows the level; slopes carry distinctive digits."""
    rng = np.random.default_rng(7)
    rows = {}
    for item in operational:
        b = (item.level - 3) * 0.8 + rng.normal(0, 0.2)
        rows[item.id] = [float(SLOPE_DIGITS) + 0.1 * (item.id % 5), float(b), 0.0, 1.0]
    parameter_set = record_parameter_set(session, competency, "2pl", rows, label="test calibration")
    session.commit()
    return parameter_set


@pytest.fixture
def candidate(make_user):
    return make_user(role="candidate", organisation="Department of Posts", kind="mdo")


@pytest.fixture
def proctor(make_user):
    return make_user(role="proctor")


@pytest.fixture
def cohort(session, candidate):
    cohort = assessment_service.create_cohort(session, name="Batch 1", course="Office procedure")
    assessment_service.enrol(session, cohort, candidate)
    session.commit()
    return cohort


BLUEPRINT = {"cells": [{"level": level, "sub_area": sub_area, "count": 1}
                       for level in range(1, 6) for sub_area in SUB_AREAS], "tolerance": 0}


@pytest.fixture
def make_assessment(session, bank):
    counter = {"n": 0}

    def factory(mode="loft", n_forms=2, **overrides):
        counter["n"] += 1
        settings = dict(code=f"A-{mode}-{counter['n']}", title=f"Noting ({mode})", competency="FN-NOTING",
                        purpose="certification", mode=mode, blueprint=BLUEPRINT, time_limit_s=1800,
                        cut_scores=CUTS, percent_cut_scores=[20, 40, 60, 75, 90], languages=["en", "hi"])
        if mode == "adaptive":
            settings.update(se_target=0.5, min_items=4, max_items=12)
        settings.update(overrides)
        assessment = assessment_service.create_assessment(session, **settings)
        if mode == "fixed":
            rng = np.random.default_rng(counter["n"])
            for _ in range(n_forms):
                assemble_fixed_form(session, assessment, rng)
        session.commit()
        return assessment

    return factory


@pytest.fixture
def make_window(session, cohort, proctor, clock):
    def factory(assessment, **overrides):
        settings = dict(assessment=assessment, cohort=cohort, opens_at=clock() - timedelta(hours=1),
                        closes_at=clock() + timedelta(days=1), proctors=[proctor])
        settings.update(overrides)
        window = assessment_service.create_window(session, **settings)
        session.commit()
        return window

    return factory


def sit(session, user, window, choose=lambda row: "B", submit: bool = True):
    """A whole sitting through the services: every shown item answered by ``choose(row)``."""
    from piaa.delivery import attempts

    attempt = attempts.create_attempt(session, user, window.id)
    attempts.check_in(session, attempt, user, identity_confirmed=True, rules_accepted=True)
    attempts.start(session, attempt, user)
    session.commit()
    seq = 0
    while True:
        shown = attempts.visible_items(session, attempt)
        if not shown:
            break
        for row in shown:
            seq += 1
            attempts.save_answer(session, attempt.id, user, row.ref, choose(row), seq)
        if not attempts.shows_one_at_a_time(attempt):
            break
        attempts.advance(session, attempt.id, user, shown[0].ref)
        session.commit()
    if submit:
        attempts.submit(session, attempt.id, user)
    session.commit()
    return attempt
