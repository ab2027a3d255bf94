"""Demo step: one open window per sample bank, now, for the demo candidates, so a new user
can sit an assessment straight away (``piaa demo``)."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from piaa.accounts.models import CANDIDATE, PROCTOR, User
from piaa.clock import now
from piaa.delivery import assessments as assessment_service
from piaa.delivery.models import Assessment, Cohort, Enrolment, Window
from piaa.delivery.parameters import active_parameter_set
from piaa.i18n import N_
from piaa.items.calibration_models import ItemParameter
from piaa.items.models import OPERATIONAL, Competency, Item, ItemBank

DEMO_COHORT = "Demo officials"
WINDOW_DAYS = 30


def _blueprint(session: Session, bank: ItemBank, competency: Competency) -> dict:
    """Two items per level present in the bank (one where a level has only one)."""
    counts = dict(session.execute(select(Item.level, func.count())
                                  .where(Item.bank_id == bank.id, Item.competency_id == competency.id,
                                         Item.state == OPERATIONAL)
                                  .group_by(Item.level)).all())
    return {"cells": [{"level": level, "sub_area": None, "count": min(2, n)}
                      for level, n in sorted(counts.items())], "tolerance": 0}


# A bank this large (calibrated, operational items) carries an adaptive test that stops at a
# standard error of 0.3 (reliability about 0.91) within 30 items; a smaller one stops at 0.4.
LARGE_POOL = 100


def _adaptive_options(session: Session, bank: ItemBank, competency: Competency, total: int) -> dict:
    """Adaptive settings for a calibrated competency; LOFT (a classical score, practice until a
    recorded standard setting and a reliable pilot exist) otherwise."""
    parameter_set = active_parameter_set(session, competency.id)
    if parameter_set is None:
        return dict(mode="loft")
    calibrated = session.scalar(select(func.count()).select_from(ItemParameter).join(Item, Item.id == ItemParameter.item_id)
                                .where(ItemParameter.parameter_set_id == parameter_set.id, Item.bank_id == bank.id,
                                       Item.state == OPERATIONAL)) or 0
    if calibrated >= LARGE_POOL:
        return dict(mode="adaptive", se_target=0.3, min_items=10, max_items=30, time_limit_s=40 * 60)
    return dict(mode="adaptive", se_target=0.4, min_items=5, max_items=min(20, 2 * total))


def _assessment_for(session: Session, bank: ItemBank, competency: Competency,
                    echo: Callable[[str], None]) -> Assessment:
    code = f"DEMO-{competency.code}"[:64]
    existing = session.scalar(select(Assessment).where(Assessment.code == code))
    if existing is not None:
        return existing
    blueprint = _blueprint(session, bank, competency)
    total = sum(c["count"] for c in blueprint["cells"])
    options = dict(time_limit_s=20 * 60) | _adaptive_options(session, bank, competency, total)
    assessment = assessment_service.create_assessment(
        session, code=code, title=f"{competency.name} (demo)", competency=competency.code,
        purpose="certification", blueprint=blueprint,
        cut_scores=[-2.0, -1.0, 0.0, 1.0, 2.0], percent_cut_scores=[20, 40, 60, 75, 90],
        certifying_level=3, bank=bank, languages=bank.languages, **options)
    pool = f"up to {assessment.max_items} of the calibrated items" if assessment.mode == "adaptive" else f"{total} items"
    echo(f"  assessment {code}: {assessment.mode}, {pool} from {bank.name}")
    return assessment


def adaptive_assessment(session: Session, bank: ItemBank, competency: Competency,
                        echo: Callable[[str], None] = print) -> Assessment:
    """The competency's demo certification assessment (adaptive once the competency is
    calibrated), created if need be; its window opens with the others."""
    return _assessment_for(session, bank, competency, echo)


def open_demo_windows(session: Session, users: list[User], echo: Callable[[str], None] = print) -> None:
    candidates = [u for u in users if u.role == CANDIDATE]
    proctors = [u for u in users if u.role == PROCTOR]
    cohort = session.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT)) \
        or assessment_service.create_cohort(session, name=DEMO_COHORT, course=N_("PIAA demo"))
    enrolled = set(session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)))
    for user in candidates:
        if user.id not in enrolled:  # a second demo run changes nothing
            assessment_service.enrol(session, cohort, user)
    at = now()
    for bank in session.scalars(select(ItemBank).order_by(ItemBank.name)):
        competencies = session.scalars(select(Competency).join(Item, Item.competency_id == Competency.id)
                                       .where(Item.bank_id == bank.id, Item.state == OPERATIONAL)
                                       .group_by(Competency.id).order_by(Competency.code)
                                       .having(func.count(Item.id) >= 3))
        for competency in competencies:
            assessment = _assessment_for(session, bank, competency, echo)
            already_open = session.scalar(select(Window.id).where(
                Window.assessment_id == assessment.id, Window.cohort_id == cohort.id,
                Window.opens_at <= at, Window.closes_at > at))
            if already_open:
                continue
            window = assessment_service.create_window(
                session, assessment=assessment, cohort=cohort, opens_at=at - timedelta(minutes=1),
                closes_at=at + timedelta(days=WINDOW_DAYS), proctors=proctors, max_attempts=3)
            echo(f"  window {window.id} open for {WINDOW_DAYS} days: {window.name}")
