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
from piaa.delivery.models import Assessment, Cohort, Window
from piaa.delivery.parameters import active_parameter_set
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


def _assessment_for(session: Session, bank: ItemBank, competency: Competency,
                    echo: Callable[[str], None]) -> Assessment:
    code = f"DEMO-{competency.code}"[:64]
    existing = session.scalar(select(Assessment).where(Assessment.code == code))
    if existing is not None:
        return existing
    calibrated = active_parameter_set(session, competency.id) is not None
    blueprint = _blueprint(session, bank, competency)
    total = sum(c["count"] for c in blueprint["cells"])
    adaptive = dict(mode="adaptive", se_target=0.4, min_items=5, max_items=min(20, 2 * total)) \
        if calibrated else dict(mode="loft")
    assessment = assessment_service.create_assessment(
        session, code=code, title=f"{competency.name} (demo)", competency=competency.code,
        purpose="certification", blueprint=blueprint, time_limit_s=20 * 60,
        cut_scores=[-2.0, -1.0, 0.0, 1.0, 2.0], percent_cut_scores=[20, 40, 60, 75, 90],
        certifying_level=3, bank=bank, languages=bank.languages, **adaptive)
    echo(f"  assessment {code}: {assessment.mode}, {total} items from {bank.name}")
    return assessment


def open_demo_windows(session: Session, users: list[User], echo: Callable[[str], None] = print) -> None:
    candidates = [u for u in users if u.role == CANDIDATE]
    proctors = [u for u in users if u.role == PROCTOR]
    cohort = session.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT)) \
        or assessment_service.create_cohort(session, name=DEMO_COHORT, course="PIAA demo")
    for user in candidates:
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
