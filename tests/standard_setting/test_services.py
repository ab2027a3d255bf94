"""Standard setting in the app: the bookmark against a worked example, Angoff, rounds kept,
impact and classification quality, applying the cuts (audited), and the classical pilot."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from piaa.audit import AuditEvent, verify_chain
from piaa.delivery import assessments as assessment_service
from piaa.delivery import scoring
from piaa.delivery.parameters import record_parameter_set
from piaa.errors import Conflict, Invalid
from piaa.standard_setting import services
from piaa.standard_setting.models import Rating
from tests.delivery.conftest import sit


@pytest.fixture
def psychometrician(make_user):
    return make_user(role="psychometrician")


@pytest.fixture
def worked_example(session, competency, operational, make_assessment):
    """Six items of known 2PL parameters (the rest of the bank uncalibrated).

    Worked by hand from the bookmark method's definition (Mitzel, Lewis, Patz & Green, 2001;
    Cizek & Bunch, 2007, ch. 10, "Bookmark"): at RP67 an item's page is located at
    θ = b + ln(.67/.33)/a = b + 0.708185/a. With (a, b) = (1, -2), (2, -1), (1, -0.5),
    (0.5, 0), (1, 1), (2, 1.5) the locations are -1.291815, -0.645907, 0.208185,
    1.416370, 1.708185, 1.854093, already in page order 1..6.
    """
    rows = {operational[k].id: [a, b, 0.0, 1.0]
            for k, (a, b) in enumerate([(1, -2), (2, -1), (1, -0.5), (0.5, 0), (1, 1), (2, 1.5)])}
    record_parameter_set(session, competency, "2pl", rows, label="worked example")
    session.commit()
    return make_assessment("loft", certifying_level=3)


PAGES = [-1.291815, -0.645907, 0.208185, 1.416370, 1.708185, 1.854093]


def test_bookmark_cuts_follow_the_worked_example(session, worked_example, psychometrician):
    setting = services.start(session, worked_example, method="bookmark", actor=psychometrician,
                             panellists=["Asha", "Ravi", "Meera"], levels=[2, 3])
    assert [round(p["location"], 6) for p in setting.booklet] == PAGES
    # Bookmarks (first page not mastered) for levels 2 and 3: Asha 2 and 4, Ravi 3 and 5,
    # Meera 3 and 6. Each cut is the location of the page before the bookmark; the panel's
    # cut is the median: level 2 -> median(-1.291815, -0.645907, -0.645907) = -0.645907,
    # level 3 -> median(0.208185, 1.416370, 1.708185) = 1.416370.
    for panellist, pages in zip(setting.panellists, [(2, 4), (3, 5), (3, 6)]):
        services.record_bookmarks(session, setting, panellist.id, {2: pages[0], 3: pages[1]}, actor=psychometrician)
    result = services.summary(session, setting)
    level2, level3 = result.boundaries
    assert level2.cut == pytest.approx(-0.645907, abs=1e-6) and level3.cut == pytest.approx(1.416370, abs=1e-6)
    assert level3.by_panellist == pytest.approx({"Asha": 0.208185, "Ravi": 1.416370, "Meera": 1.708185}, abs=1e-6)
    assert level3.sd == pytest.approx(np.std([0.208185, 1.416370, 1.708185], ddof=1), abs=1e-6)
    assert (level3.low, level3.high) == pytest.approx((0.208185, 1.708185), abs=1e-6)
    # Unrated boundaries keep the assessment's cuts [-2.0, -0.75, 0.25, 1.0, 2.0]: level 3's new
    # cut 1.42 would pass level 4's 1.0, so there is nothing to apply until the panel sets it too.
    assert result.cuts is None
    with pytest.raises(Conflict, match="must rise level by level"):
        services.apply(session, setting, actor=psychometrician)


def test_rp_is_configurable_and_checked(session, worked_example, psychometrician):
    setting = services.start(session, worked_example, method="bookmark", actor=psychometrician,
                             panellists=["Asha"], rp=0.5)
    # RP50 puts a 2PL item at its difficulty.
    assert [p["location"] for p in setting.booklet] == pytest.approx([-2, -1, -0.5, 0, 1, 1.5])
    with pytest.raises(Invalid, match="between 0 and 1, got 1.2"):
        services.start(session, worked_example, method="bookmark", actor=psychometrician, panellists=["A"], rp=1.2)


def test_rounds_are_kept_and_the_result_is_applied_with_an_audit(session, worked_example, psychometrician,
                                                                   candidate, make_window):
    setting = services.start(session, worked_example, method="bookmark", actor=psychometrician,
                             panellists=["Asha", "Ravi"])
    first, second = setting.panellists
    services.record_bookmarks(session, setting, first.id, {1: 2, 2: 3, 3: 4, 4: 5, 5: 6}, actor=psychometrician)
    with pytest.raises(Invalid, match="bookmark for level 3 is on page 7; pages run from 2 to 6"):
        services.record_bookmarks(session, setting, second.id, {1: 2, 2: 3, 3: 7, 4: 5, 5: 6}, actor=psychometrician)
    with pytest.raises(Invalid, match="level by level"):
        services.record_bookmarks(session, setting, second.id, {1: 3, 2: 2, 3: 4, 4: 5, 5: 6}, actor=psychometrician)
    assert services.summary(session, setting).missing == ["Ravi"]
    services.next_round(session, setting, actor=psychometrician)
    services.record_bookmarks(session, setting, first.id, {1: 2, 2: 3, 3: 4, 4: 5, 5: 6}, actor=psychometrician)
    services.record_bookmarks(session, setting, second.id, {1: 2, 2: 3, 3: 4, 4: 5, 5: 6}, actor=psychometrician)
    assert session.scalar(select(func.count()).select_from(Rating)) == 15  # round 1 kept beside round 2

    cuts = services.apply(session, setting, actor=psychometrician, note="panel of two, round 2")
    session.commit()
    assessment = worked_example
    assert assessment.cut_scores == cuts == pytest.approx(PAGES[:5], abs=1e-4)
    assert assessment.theta_cuts_standard_setting_id == setting.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.cuts_set"))
    assert event.data["previous"] == [-2.0, -0.75, 0.25, 1.0, 2.0] and event.data["round"] == 2
    assert event.actor_id == psychometrician.id and verify_chain(session).ok
    with pytest.raises(Conflict, match="applied"):
        services.record_bookmarks(session, setting, first.id, {1: 2, 2: 3, 3: 4, 4: 5, 5: 6}, actor=psychometrician)


def test_impact_and_classification_quality_use_recent_candidates(session, worked_example, psychometrician,
                                                                  candidate, make_window, cohort, make_user):
    window = make_window(worked_example)
    for k in range(6):
        user = make_user(role="candidate")
        assessment_service.enrol(session, cohort, user)
        sit(session, user, window, choose=lambda row, k=k: "B" if row.position < 2 * k else "A")
    setting = services.start(session, worked_example, method="bookmark", actor=psychometrician, panellists=["Asha"])
    services.record_bookmarks(session, setting, setting.panellists[0].id, {1: 2, 2: 3, 3: 4, 4: 5, 5: 6},
                              actor=psychometrician)
    result = services.summary(session, setting)
    assert result.n_candidates == 6 and sum(row["count"] for row in result.impact) == 6
    assert sum(row["share"] for row in result.impact) == pytest.approx(1.0)
    assert len(result.quality) == 5 and all(0.5 <= row["accuracy"] <= 1 for row in result.quality)
    assert result.overall["source"].startswith("Rudner")


def test_a_bookmark_needs_an_active_calibration(session, make_assessment, psychometrician):
    assessment = make_assessment("loft")
    with pytest.raises(Conflict, match="no active parameter set"):
        services.start(session, assessment, method="bookmark", actor=psychometrician, panellists=["A"])
    with pytest.raises(Invalid, match="named twice"):
        services.start(session, assessment, method="angoff", actor=psychometrician, panellists=["A", "A"])


def test_angoff_cuts_are_mean_ratings_in_per_cent_with_the_panels_median(session, make_assessment, psychometrician):
    # Modified Angoff (Angoff, 1971; Cizek & Bunch, 2007, ch. 6): a panellist's cut is the sum of
    # the item probabilities over the number of items, in per cent; by hand, three panellists
    # rating every item .50/.55/.70 at level 3 give 50, 55 and 70; the panel's median is 55.
    assessment = make_assessment("loft")
    setting = services.start(session, assessment, method="angoff", actor=psychometrician,
                             panellists=["A", "B", "C"], levels=[3])
    for panellist, p in zip(setting.panellists, (0.5, 0.55, 0.7)):
        services.record_angoff(session, setting, panellist.id, {(3, i): p for i in setting.items}, actor=psychometrician)
    with pytest.raises(Invalid, match=r"a probability is 0 to 1, got 1\.5"):
        services.record_angoff(session, setting, setting.panellists[0].id,
                               {(3, i): 1.5 for i in setting.items}, actor=psychometrician)
    [boundary] = services.summary(session, setting).boundaries
    assert boundary.cut == pytest.approx(55.0) and boundary.by_panellist == pytest.approx({"A": 50, "B": 55, "C": 70})
    services.apply(session, setting, actor=psychometrician)
    assert assessment.percent_cut_scores == [20.0, 40.0, 55.0, 75.0, 90.0]
    assert services.cuts_came_from(session, assessment, setting.id, assessment.percent_cut_scores)
    assessment.percent_cut_scores = [20, 40, 50, 75, 90]  # edited by hand afterwards: no longer the panel's
    assert not services.cuts_came_from(session, assessment, setting.id, assessment.percent_cut_scores)


def test_the_pilot_records_kr20_of_a_fixed_form(session, make_assessment, make_window, cohort, make_user,
                                                 psychometrician):
    from piaa.psychometrics.classical import cronbach_alpha

    assessment = make_assessment("fixed", n_forms=1)
    window = make_window(assessment, max_attempts=1)
    with pytest.raises(Invalid, match="needs 30 scored attempts of one form; the largest group has 0"):
        services.record_pilot(session, assessment, actor=psychometrician)
    rng = np.random.default_rng(30)
    matrix = []
    for _ in range(30):
        user = make_user(role="candidate")
        assessment_service.enrol(session, cohort, user)
        ability = rng.normal()
        answers = {}

        def choose(row, ability=ability, answers=answers):
            right = rng.random() < 1 / (1 + np.exp(-(ability - (row.position % 5 - 2) * 0.6)))
            answers[row.position] = float(right)
            return "B" if right else "A"

        sit(session, user, window, choose=choose)
        matrix.append([answers[k] for k in sorted(answers)])
    pilot = services.record_pilot(session, assessment, actor=psychometrician)
    assert pilot["n"] == 30 and pilot["max_score"] == 10.0
    assert pilot["reliability"] == pytest.approx(cronbach_alpha(np.array(matrix)).alpha)
    assert pilot["mean"] == pytest.approx(np.sum(matrix) / 30)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.pilot_recorded")) is not None
    # Scoring now reads the pilot (practice still: the cuts are not a panel's).
    assert scoring.practice_reasons(session, assessment, 10.0)[0][0].startswith("Its per-cent cut scores")
