"""Demo step: courses of data-informed decision making with known, different effects, so the
analyst's effectiveness pages show real content on the first run.

Six providers run a course each (the larger ones in two runs). Their learners, officials of
three MDOs, sit a pre-course LOFT form before their run and a post-course form after it,
on the calibrated scale (``simulated_history``: the rows delivery and scoring write, θ
from the active parameter set, levels from cuts set by a standard setting). The truth:

    post = 0.25 + 0.85 pre + value added + N(0, 0.35²),  pre ~ N(intake, 0.8²)

with one provider clearly above the others (+0.6), one clearly below (-0.6), two whose
intake differs (±0.7) but whose value added is average, an average one, and one so small
(7 learners) that its figures are suppressed. A few learners miss the post-course sitting
(attrition "no post").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from piaa.accounts import services as accounts
from piaa.accounts.models import MDO, PROVIDER, User
from piaa.calibration import simulated_history
from piaa.clock import now
from piaa.delivery import assessments as assessment_service
from piaa.delivery.models import LOFT, POST_COURSE, PRE_COURSE, Assessment, Cohort, Window
from piaa.i18n import N_
from piaa.items.models import Competency, Item, ItemBank

from . import services
from .models import Course, CourseEnrolment, Official, RequiredLevel

COMPETENCY = "FN-DATADEC"
TARGET_LEVEL = 3


@dataclass(frozen=True)
class DemoProvider:
    name: str
    course: str
    title: str
    learners: int
    value_added: float
    intake: float


PROVIDERS = (
    DemoProvider("Institute of Evidence for Governance (demo)", "DEMO-DATA-EVIDENCE",
                 "Evidence for district decisions", 160, 0.6, 0.0),
    DemoProvider("Regional Administrative Academy (demo)", "DEMO-DATA-NUMBERS",
                 "Working with numbers in government", 160, -0.6, 0.0),
    DemoProvider("Centre for Policy Analytics (demo)", "DEMO-DATA-POLICY",
                 "Data analysis for policy officers", 150, 0.0, 0.7),
    DemoProvider("State Institute of Rural Development (demo)", "DEMO-DATA-BLOCKS",
                 "Dashboards for block officers", 150, 0.0, -0.7),
    DemoProvider("District Training Centre (demo)", "DEMO-DATA-DISTRICT",
                 "Reading district data", 120, 0.0, 0.0),
    DemoProvider("Small Learning Studio (demo)", "DEMO-DATA-STUDIO",
                 "Data stories (pilot batch)", 7, 0.2, 0.0),
)
MDOS = ("Ministry of Health and Family Welfare (demo)", "Ministry of Rural Development (demo)",
        "Department of School Education and Literacy (demo)")
# position, level of data-informed decision making it requires
POSITIONS = (("Under Secretary", 3), ("District Statistical Officer", 4), ("Block Development Officer", 3),
             ("Section Officer", 2))
# Runs: days before now each starts and ends; pre sittings 5 days before, post 7 days after.
RUNS = ((70, 60), (40, 30))
PRE_DAYS_BEFORE, POST_DAYS_AFTER = 5, 7
ATTRITION = 0.06
SEED = 11


def effectiveness_done(session: Session) -> bool:
    return session.scalar(select(Course.id).where(Course.code == PROVIDERS[0].course)) is not None


def _assessment(session: Session, code: str, purpose: str, bank: ItemBank, competency: Competency,
                actor: User) -> Assessment:
    found = session.scalar(select(Assessment).where(Assessment.code == code))
    if found is not None:
        return found
    when = "before" if purpose == PRE_COURSE else "after"
    return assessment_service.create_assessment(
        session, code=code, title=f"{competency.name}: {when} the course", competency=competency.code,
        purpose=purpose, mode=LOFT, time_limit_s=45 * 60, bank=bank, languages=bank.languages,
        blueprint={"cells": [{"level": level, "sub_area": None, "count": 6} for level in range(1, 6)],
                   "tolerance": 0},
        cut_scores=[-2.0, -1.0, 0.0, 1.0, 2.0], actor=actor)


def course_assessments(session: Session, bank: ItemBank, competency: Competency,
                       actor: User) -> tuple[Assessment, Assessment]:
    """The pre- and post-course assessments, their θ cuts set by the demo's bookmark panel:
    the same panel, judging the same booklet as for the certification assessment, so pre,
    post and certification levels share one set of cuts."""
    from piaa.calibration.demo import SEED
    from piaa.standard_setting import demo as standard_setting_demo

    pair = []
    for code, purpose in ((f"PRE-{competency.code}", PRE_COURSE), (f"POST-{competency.code}", POST_COURSE)):
        assessment = _assessment(session, code, purpose, bank, competency, actor)
        if standard_setting_demo.applied_setting(session, assessment) is None:
            standard_setting_demo.simulated_bookmark_setting(session, assessment, actor=actor,
                                                             rng=np.random.default_rng(SEED))
        pair.append(assessment)
    return pair[0], pair[1]


def add_effectiveness_data(session: Session, users: list[User], echo: Callable[[str], None] = print) -> dict:
    """Courses, runs, learners with MDO and position, enrolments and pre/post sittings.
    Does nothing if the demo's courses exist or the competency has no active parameter set.
    Returns counts of what was added."""
    from piaa.calibration.demo import truth
    from piaa.delivery.parameters import active_parameter_set

    if effectiveness_done(session):
        return {}
    competency = session.scalar(select(Competency).where(Competency.code == COMPETENCY))
    if competency is None or active_parameter_set(session, competency.id) is None:
        echo(f"effectiveness demo: {COMPETENCY} is not calibrated; skipped")
        return {}
    bank = session.scalar(select(ItemBank).join(Item, Item.bank_id == ItemBank.id)
                          .where(Item.competency_id == competency.id).limit(1))
    actor = next(u for u in users if u.role == "psychometrician")
    rng = np.random.default_rng(SEED)
    pre, post = course_assessments(session, bank, competency, actor)
    true_params = truth(session, competency.id)
    at = now()
    cohort = session.scalar(select(Cohort).where(Cohort.name == "Course learners (demo)")) \
        or assessment_service.create_cohort(session, name="Course learners (demo)", course=N_("Courses of data-informed decision making"))
    pre_window = _window(session, pre, cohort, at - timedelta(days=RUNS[0][0] + 10), at - timedelta(days=RUNS[1][0] - 1))
    post_window = _window(session, post, cohort, at - timedelta(days=RUNS[0][1] - 1), at - timedelta(days=1))
    mdos = [accounts.get_or_create_organisation(session, name, MDO) for name in MDOS]
    session.flush()
    counts = {"providers": 0, "courses": 0, "runs": 0, "learners": 0, "sittings": 0}
    for provider_spec in PROVIDERS:
        provider = accounts.get_or_create_organisation(session, provider_spec.name, PROVIDER)
        course = services.create_course(session, code=provider_spec.course, title=provider_spec.title,
                                        provider=provider, competencies={competency: TARGET_LEVEL})
        counts["providers"] += 1
        counts["courses"] += 1
        n_runs = len(RUNS) if provider_spec.learners >= 100 else 1
        sizes = np.diff(np.linspace(0, provider_spec.learners, n_runs + 1).round().astype(int))
        for r, size in enumerate(sizes):
            starts, ends = RUNS[r]
            run = services.create_run(session, course, code=f"{provider_spec.course}-{r + 1}",
                                      starts_at=at - timedelta(days=starts), ends_at=at - timedelta(days=ends))
            session.flush()
            learners = _learners(session, cohort, int(size), mdos, competency, rng)
            session.execute(insert(CourseEnrolment.__table__), [
                {"run_id": run.id, "user_id": u, "source": "demo", "created_at": at} for u in learners])
            true_pre = provider_spec.intake + rng.normal(0.0, 0.8, size)
            true_post = 0.25 + 0.85 * true_pre + provider_spec.value_added + rng.normal(0.0, 0.35, size)
            simulated_history.sit(session, pre_window, learners, true_params=true_params, rng=rng,
                                  theta=true_pre, at=run.starts_at - timedelta(days=PRE_DAYS_BEFORE))
            stayed = rng.random(size) >= ATTRITION
            simulated_history.sit(session, post_window, [u for u, s in zip(learners, stayed) if s],
                                  true_params=true_params, rng=rng, theta=true_post[stayed],
                                  at=run.ends_at + timedelta(days=POST_DAYS_AFTER))
            counts["runs"] += 1
            counts["learners"] += int(size)
            counts["sittings"] += int(size) + int(stayed.sum())
    return counts


def _window(session: Session, assessment: Assessment, cohort: Cohort, opens_at, closes_at) -> Window:
    found = session.scalar(select(Window).where(Window.assessment_id == assessment.id, Window.cohort_id == cohort.id))
    return found or assessment_service.create_window(session, assessment=assessment, cohort=cohort,
                                                     opens_at=opens_at, closes_at=closes_at, max_attempts=1)


def _learners(session: Session, cohort: Cohort, n: int, mdos, competency: Competency,
              rng: np.random.Generator) -> list[int]:
    """``n`` officials spread over the MDOs, each with a position and the level it requires."""
    which = rng.integers(0, len(mdos), n)
    ids: list[int] = []
    for m, mdo in enumerate(mdos):
        k = int((which == m).sum())
        if k:
            ids += simulated_history.add_officials(session, cohort, k, rng, prefix="learner", organisation_id=mdo.id)
    positions = rng.integers(0, len(POSITIONS), len(ids))
    mdo_of = np.concatenate([[mdo.id] * int((which == m).sum()) for m, mdo in enumerate(mdos)])
    session.execute(insert(Official.__table__), [
        {"user_id": u, "mdo_id": int(mdo_of[k]), "position": POSITIONS[positions[k]][0]} for k, u in enumerate(ids)])
    session.execute(insert(RequiredLevel.__table__), [
        {"user_id": u, "competency_id": competency.id, "level": POSITIONS[positions[k]][1]}
        for k, u in enumerate(ids)])
    return ids
