"""Assessments from the browser: created with the blueprint typed in a level x sub-area grid,
refused with the reason beside the field, edited (audited), with the pool's readiness, fixed
forms assembled and previewed, and a LOFT draw previewed without storing anything."""
from sqlalchemy import func, select

from piaa.audit import AuditEvent
from piaa.delivery import assessments as service
from piaa.delivery.models import Assessment, Attempt, FixedForm
from piaa.errors import Conflict
from tests.delivery.conftest import sit

import pytest


def form(**overrides) -> dict:
    data = {"code": "NOTE-CERT", "title": "Noting certification", "title_hi": "टिप्पण प्रमाणन",
            "bank_id": "0", "purpose": "certification", "mode": "loft", "tolerance": "0",
            "time_limit_min": "20", "pretest_count": "0",
            "cut1": "-2", "cut2": "-1", "cut3": "0", "cut4": "1", "cut5": "2",
            "certifying_level": "2", "confidence_percent": "80", "navigation": "free",
            "pause_policy": "clock_stops", "allow_other_device": "y", "heartbeat_timeout_s": "45",
            "min_reading_s": "2", "languages": ["en", "hi"], "exposure_k": "3",
            # grid columns are the pool's sub-areas in order (drafting=0, noting=1), then "any"
            "cell-1-0": "1", "cell-1-1": "1", "cell-3-1": "2", "cell-any-any": "1"}
    data.update(overrides)
    return data


def test_creating_an_assessment_from_the_grid(admin_client, bank, session):
    page = admin_client.get("/admin/assessments/new?competency=FN-NOTING")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="cell-3-1"' in html and "drafting" in html
    response = admin_client.post("/admin/assessments/new?competency=FN-NOTING", data=form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    created = session.scalar(select(Assessment).where(Assessment.code == "NOTE-CERT"))
    assert created.blueprint == {"cells": [
        {"level": 1, "sub_area": "drafting", "count": 1}, {"level": 1, "sub_area": "noting", "count": 1},
        {"level": 3, "sub_area": "noting", "count": 2}, {"level": None, "sub_area": None, "count": 1}],
        "tolerance": 0}
    assert created.time_limit_s == 1200 and created.certifying_level == 2
    assert created.confidence_threshold == pytest.approx(0.8) and created.languages == ["en", "hi"]
    assert created.proctoring["require_admission"] is False and created.proctoring["allow_other_device"] is True
    assert created.title_hi == "टिप्पण प्रमाणन"


def test_refusals_sit_beside_their_fields_and_nothing_is_saved(admin_client, bank, session):
    response = admin_client.post("/admin/assessments/new?competency=FN-NOTING",
                                 data=form(cut3="-1.5", time_limit_min="0"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="time_limit_min-error"' in html and "Enter a number from 1 to 360." in html
    response = admin_client.post("/admin/assessments/new?competency=FN-NOTING", data=form(cut3="-1.5"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="cut1-error"' in html
    assert "Each level must begin at a higher θ than the level before it." in html and "cut_scores" not in html
    response = admin_client.post("/admin/assessments/new?competency=FN-NOTING", data=form(**{"cell-2-0": "two"}))
    assert response.status_code == 422 and "enter a whole number of items, not two" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Assessment.id))) == 0


def test_editing_is_audited_and_keeps_the_code(admin_client, make_assessment, session):
    assessment = make_assessment(mode="loft")
    page = admin_client.get(f"/admin/assessments/{assessment.id}/edit").get_data(as_text=True)
    assert 'value="1800"' not in page and 'id="time_limit_min"' in page and 'value="30"' in page
    data = form(code="IGNORED", time_limit_min="45", certifying_level="3", confidence_percent="90",
                **{"cell-1-0": "", "cell-1-1": "", "cell-3-1": "", "cell-any-any": "", "cell-2-1": "3"})
    response = admin_client.post(f"/admin/assessments/{assessment.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    edited = session.get(Assessment, assessment.id)
    assert edited.code == assessment.code and edited.time_limit_s == 2700
    assert edited.certifying_level == 3 and edited.confidence_threshold == pytest.approx(0.9)
    assert edited.blueprint["cells"] == [{"level": 2, "sub_area": "noting", "count": 3}]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.updated"))
    assert event.data["changed"]["time_limit_s"] == {"from": 1800, "to": 2700}


def test_the_mode_cannot_change_once_attempts_exist(session, make_assessment, make_window, candidate):
    assessment = make_assessment(mode="loft")
    sit(session, candidate, make_window(assessment))
    with pytest.raises(Conflict):
        service.update_assessment(session, assessment, mode="fixed")


def test_readiness_counts_the_pool_by_level_and_sub_area(session, bank, calibration, competency):
    readiness = service.readiness(session, competency.id)
    # 4 operational items per level and sub-area, all calibrated; 6 pretest items at level 3
    assert readiness.count(2, "noting") == 4 and readiness.count(2, "noting", "calibrated") == 4
    assert readiness.count(3, None, "pretest") == 6
    assert readiness.totals == {"operational": 40, "pretest": 6, "calibrated": 40}
    assert readiness.shortfalls({"cells": [{"level": 5, "sub_area": "noting", "count": 5}]}) == [
        "L5/noting needs 5, the pool holds 4"]


def test_assessment_page_shows_readiness_and_shortfalls(admin_client, make_assessment, calibration):
    assessment = make_assessment(mode="loft", blueprint={"cells": [{"level": 5, "sub_area": "noting", "count": 5}]})
    html = admin_client.get(f"/admin/assessments/{assessment.id}").get_data(as_text=True)
    assert "40 operational items, 40 of them calibrated; 6 pretest items." in html
    assert "L5/noting needs 5, the pool holds 4" in html


def test_assembling_and_previewing_a_fixed_form(admin_client, make_assessment, session):
    assessment = make_assessment(mode="fixed", n_forms=0)
    response = admin_client.post(f"/admin/assessments/{assessment.id}/forms")
    assert response.status_code == 302 and response.location.endswith(f"/admin/assessments/{assessment.id}/forms/1")
    assert session.scalar(select(func.count(FixedForm.id))) == 1
    html = admin_client.get(response.location).get_data(as_text=True)
    assert html.count("<tr><td>") == 10 and "which officer signs the note?" in html


def test_previewing_a_loft_draw_stores_nothing(admin_client, make_assessment, session):
    assessment = make_assessment(mode="loft")
    html = admin_client.get(f"/admin/assessments/{assessment.id}/draw").get_data(as_text=True)
    assert html.count("<tr><td>") == 10
    assert session.scalar(select(func.count(Attempt.id))) == 0


def test_a_draw_the_pool_cannot_fill_says_why(admin_client, make_assessment):
    assessment = make_assessment(mode="loft", blueprint={"cells": [{"level": 5, "sub_area": "noting", "count": 9}]})
    html = admin_client.get(f"/admin/assessments/{assessment.id}/draw").get_data(as_text=True)
    assert 'id="draw-problem"' in html and "needs 9 items" in html


@pytest.mark.parametrize("overrides, field, words", [
    (dict(mode="adaptive", se_target="0.3", min_items="10", max_items="5"), "max_items",
     "Give at least as many items as the minimum (10)."),
    (dict(pcut1="50", pcut2="40", pcut3="60", pcut4="70", pcut5="80"), "pcut1",
     "Each level must begin at a higher per cent than the level before it."),
])
def test_a_services_refusal_is_said_in_plain_words(admin_client, bank, overrides, field, words):
    response = admin_client.post("/admin/assessments/new?competency=FN-NOTING", data=form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error">{words}' in html
    assert "got " not in html and "_items must" not in html


def test_a_taken_code_is_said_in_plain_words_and_in_hindi(admin_client, bank, make_assessment):
    taken = make_assessment("loft")
    response = admin_client.post("/admin/assessments/new?competency=FN-NOTING", data=form(code=taken.code))
    assert 'id="code-error">That code is taken: choose another.' in response.get_data(as_text=True)
    response = admin_client.post("/admin/assessments/new?competency=FN-NOTING&lang=hi", data=form(code=taken.code))
    assert "यह कोड पहले से लिया जा चुका है: कोई दूसरा चुनें।" in response.get_data(as_text=True)


def test_a_new_assessment_starts_from_the_service_s_proctoring_defaults(admin_client, bank):
    """The form's heartbeat timeout is the one the sitting's beat is sized for (a shorter one
    makes every phone beat more often than its 20-KB budget allows)."""
    import re

    from piaa.delivery.assessments import PROCTORING_DEFAULTS

    page = admin_client.get("/admin/assessments/new?competency=FN-NOTING").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="heartbeat_timeout_s"[^>]*>', page).group(0)
    assert f'value="{PROCTORING_DEFAULTS["heartbeat_timeout_s"]}"' in field
