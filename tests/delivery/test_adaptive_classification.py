"""Adaptive delivery that serves the level: the stop on the decided level, Sympson–Hetter
exposure parameters from the bank-readiness check, and the check itself."""
import numpy as np
import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.delivery import forms, readiness
from piaa.delivery.models import AttemptItem
from piaa.errors import Invalid
from piaa.items.models import Item
from tests.delivery.conftest import CUTS, sit


def administered(session, attempt):
    return list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                                .order_by(AttemptItem.position)))


def _level_confidence(session, assessment, rows):
    adaptive = forms.adaptive_pool(session, assessment)
    return forms.level_confidence(adaptive, CUTS, [(r.item_id, r.category) for r in rows if r.scored])


def test_adaptive_stops_once_the_level_is_decided_with_the_assessments_confidence(
        session, candidate, calibration, make_assessment, make_window):
    assessment = make_assessment("adaptive", se_target=0.05, min_items=3, max_items=20)
    readiness.set_adaptive_policy(session, assessment, confidence_threshold=0.7)
    session.commit()
    attempt = sit(session, candidate, make_window(assessment), choose=lambda row: "A")  # all wrong
    rows = administered(session, attempt)
    # All wrong sends θ below the first cut (-2): "no level" is decided long before 20 items
    # (the SE target 0.05 is never met on 40 items).
    assert 3 <= len(rows) < 20
    assert _level_confidence(session, assessment, rows) >= 0.7
    # One item fewer had not yet decided it.
    assert _level_confidence(session, assessment, rows[:-1]) < 0.7 or len(rows) == 3
    assert attempt.state == "scored" and attempt.level is None


def test_a_higher_confidence_asks_more_items(session, make_user, cohort, calibration,
                                             make_assessment, make_window):
    from piaa.delivery import assessments as assessment_service

    lengths = {}
    for confidence in (0.6, 0.95):
        user = make_user(role="candidate")
        assessment_service.enrol(session, cohort, user)
        assessment = make_assessment("adaptive", se_target=0.05, min_items=2, max_items=20)
        readiness.set_adaptive_policy(session, assessment, confidence_threshold=confidence)
        session.commit()
        rng = np.random.default_rng(4)  # the same answers for both
        attempt = sit(session, user, make_window(assessment),
                      choose=lambda row: "B" if rng.random() < 0.5 else "A")
        lengths[confidence] = len(administered(session, attempt))
    assert lengths[0.6] < lengths[0.95]


def test_selection_uses_the_stored_sympson_hetter_parameters(session, candidate, calibration,
                                                             operational, make_assessment, make_window):
    # Sympson & Hetter (1985): an item whose turn comes is given with probability k and
    # otherwise passed over and kept from the candidate for the rest of the test. With
    # k = 0 for all but three items of each sub-area, only those can be given.
    assessment = make_assessment("adaptive", se_target=0.05, min_items=5, max_items=5)
    readiness.set_adaptive_policy(session, assessment, max_exposure=0.3)
    adaptive = forms.adaptive_pool(session, assessment)
    allowed = set()
    for area in ("noting", "drafting"):
        allowed |= set(sorted(item.id for item in operational if item.sub_area == area)[:3])
    assessment.exposure_control = {
        "parameter_set_id": adaptive.parameter_set_id, "max_exposure": 0.3,
        "k": {str(item.id): 0.0 for item in operational if item.id not in allowed}}
    session.commit()
    attempt = sit(session, candidate, make_window(assessment))
    given = {r.item_id for r in administered(session, attempt)}
    assert len(given) == 5 and given <= allowed
    passed_over = set(attempt.plan["passed_over"])
    assert passed_over and not passed_over & given and not passed_over & allowed
    # Parameters computed for another parameter set, or without a cap, are not used.
    assert forms.exposure_control(adaptive, assessment) is not None
    assessment.exposure_control = {**assessment.exposure_control, "parameter_set_id": -1}
    assert forms.exposure_control(adaptive, assessment) is None


def test_bank_readiness_check_simulates_the_assessment_and_stores_exposure_parameters(
        session, calibration, make_assessment, operational):
    assessment = make_assessment("adaptive", se_target=0.3, min_items=4, max_items=10)
    readiness.set_adaptive_policy(session, assessment, max_exposure=0.5)
    summary = readiness.check_bank_readiness(session, assessment, examinees=400, seed=3)
    session.commit()
    assert len(summary["accuracy_at_cuts"]) == len(CUTS)
    assert all(0.5 < a <= 1 for a in summary["accuracy_at_cuts"])
    assert 0 < summary["reliability"] < 1 and 4 <= summary["mean_length"] <= 10
    assert summary["parameter_set_id"] == calibration.id
    assert summary["policy"]["blueprint"] == {"drafting": 0.5, "noting": 0.5}
    stored = assessment.exposure_control
    assert stored["parameter_set_id"] == calibration.id and stored["max_exposure"] == 0.5
    ids = {str(item.id) for item in operational}
    assert set(stored["k"]) <= ids and all(0 <= k < 1 for k in stored["k"].values())
    # The same seed gives the same figures (the check is reproducible for an audit).
    again = readiness.check_bank_readiness(session, assessment, examinees=400, seed=3, store=False)
    assert again["accuracy_at_cuts"] == summary["accuracy_at_cuts"]
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "assessment",
                                                                  AuditEvent.subject_id == str(assessment.id))))
    assert actions.count("assessment.readiness_checked") == 2


def test_readiness_refuses_what_it_cannot_check(session, calibration, make_assessment):
    loft = make_assessment("loft")
    with pytest.raises(Invalid) as err:
        readiness.check_bank_readiness(session, loft)
    assert err.value.field == "mode"
    adaptive = make_assessment("adaptive")
    with pytest.raises(Invalid) as err:
        readiness.check_bank_readiness(session, adaptive, examinees=5)
    assert err.value.field == "examinees"
    with pytest.raises(Invalid) as err:
        readiness.set_adaptive_policy(session, adaptive, confidence_threshold=1.2)
    assert err.value.field == "confidence_threshold"
    with pytest.raises(Invalid) as err:
        readiness.set_adaptive_policy(session, adaptive, max_exposure=0)
    assert err.value.field == "max_exposure"


def test_first_item_aims_at_the_cut_in_doubt(session, candidate, calibration, make_assessment,
                                             make_window):
    # At the start the prior puts θ = 0 between the cuts -0.75 and 0.25, both in doubt;
    # the first item is the most informative under the cut_doubt criterion in the
    # blueprint's first sub-area, not merely the most informative at θ = 0 when these differ.
    assessment = make_assessment("adaptive", se_target=0.05, min_items=3, max_items=3,
                                 exposure_k=1)
    attempt = sit(session, candidate, make_window(assessment), submit=False)
    first = session.get(Item, administered(session, attempt)[0].item_id)
    adaptive = forms.adaptive_pool(session, assessment)
    post = adaptive.bank.posterior_of([], [])
    from piaa.psychometrics.cat import select_next_item

    expected = select_next_item(0.0, adaptive.bank, np.zeros(adaptive.bank.n_items, bool),
                                criterion="cut_doubt", posterior=post, cuts=CUTS,
                                blueprint=adaptive.content)
    assert first.id == adaptive.items[expected.item].item_id


# ---------------------------------------------------------------- the readiness page


def test_readiness_page_runs_the_check_and_shows_its_figures(app, session, make_user, calibration,
                                                             make_assessment, candidate):
    from tests.conftest import login

    assessment = make_assessment("adaptive", se_target=0.3, min_items=4, max_items=10)
    url = f"/assessments/{assessment.id}/readiness"
    client = app.test_client()
    login(client, make_user(role="psychometrician"))
    page = client.get(url).get_data(as_text=True)
    assert "No check has been run" in page and 'for="max_exposure"' in page
    bad = client.post(url, data={"confidence_threshold": "sure", "max_exposure": "0.5"})
    assert bad.status_code == 200 and "confidence_threshold must be a number" in bad.get_data(as_text=True)
    done = client.post(url, data={"confidence_threshold": "0.9", "max_exposure": "0.5", "examinees": "300"})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    session.refresh(assessment)
    assert assessment.confidence_threshold == 0.9 and assessment.exposure_control["parameter_set_id"] == calibration.id
    assert page.count("<tr><td>") == len(CUTS) and 'id="reliability"' in page
    hindi = client.get(url + "?lang=hi").get_data(as_text=True)
    assert "प्रश्न-बैंक की तैयारी" in hindi and "विश्वसनीयता" in hindi
    # A candidate may not see it.
    other = app.test_client()
    login(other, candidate)
    assert other.get(url).status_code == 403


def test_every_readiness_text_has_hindi():
    import re
    from pathlib import Path

    import piaa.delivery.readiness_views  # noqa: F401  (registers the Hindi)
    from piaa.i18n import _CATALOGUES

    template = Path(readiness.__file__).parents[1] / "templates" / "readiness" / "check.html"
    used = {a or b for a, b in re.findall(r"""\b_\((?:"([^"]+)"|'([^']+)')""", template.read_text())}
    assert used and sorted(t for t in used if t not in _CATALOGUES["hi"]) == []
