"""``piaa demo`` leaves a service in which the measurement loop has run: a calibrated scale
built by the app's own calibration job, cuts from a recorded bookmark standard setting, an
adaptive assessment open to the demo candidate, courses whose effectiveness report tiers the
providers as they were made; and a second run adds nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from piaa.demo import DEMO_PASSWORD
from piaa.extensions import db
from tests.conftest import login
from tests.delivery.helpers import Sitting, bearer

pytestmark = pytest.mark.slow


def run_demo(app):
    from piaa.demo import demo_command

    result = app.test_cli_runner().invoke(demo_command, [])
    assert result.exit_code == 0, result.output + repr(result.exception)
    db.session.expire_all()
    return result.output


def row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_the_demo_runs_the_loop_once(app, session):
    from piaa.accounts.models import User
    from piaa.calibration.models import CalibrationRun
    from piaa.delivery import scoring
    from piaa.delivery.models import Assessment, Attempt, Enrolment, Window
    from piaa.clock import now
    from piaa.items.calibration_models import ParameterSet
    from piaa.items.models import APPROVED, Competency, Item
    from piaa.reports.demo_data import PROVIDERS
    from piaa.reports.services import Selection, report_for_selection
    from piaa.standard_setting.models import StandardSetting
    from piaa.standard_setting.services import cuts_came_from

    output = run_demo(app)
    assert "calibration run" in output and "θ cuts from a bookmark standard setting" in output

    # An active parameter set recorded from a calibration run of the app's job.
    competency = session.scalar(select(Competency).where(Competency.code == "FN-DATADEC"))
    active = session.scalar(select(ParameterSet).where(ParameterSet.competency_id == competency.id,
                                                       ParameterSet.active.is_(True)))
    runs = list(session.scalars(select(CalibrationRun).where(CalibrationRun.competency_id == competency.id)
                                .order_by(CalibrationRun.id)))
    assert [r.scale for r in runs] == ["free", "anchors"] and all(r.state == "finished" for r in runs)
    assert active is not None and active.source.startswith(f"calibration run {runs[-1].id}")
    assert len(active.items) >= 120
    # Pretest items: some promoted, some left as pretest, as the second run's results said.
    assert session.scalar(select(func.count()).select_from(Item).where(
        Item.competency_id == competency.id, Item.state == APPROVED)) >= 1

    # The adaptive assessment's θ cuts are the applied result of a bookmark standard setting.
    assessment = session.scalar(select(Assessment).where(Assessment.code == "DEMO-FN-DATADEC"))
    assert assessment.mode == "adaptive" and assessment.certifying_level == 3
    setting = session.get(StandardSetting, assessment.theta_cuts_standard_setting_id)
    assert setting.method == "bookmark" and setting.applied_at is not None
    assert cuts_came_from(session, assessment, setting.id, assessment.cut_scores)
    assert assessment.cut_scores != [-2.0, -1.0, 0.0, 1.0, 2.0]
    # Its readiness check ran on the active set and left Sympson–Hetter parameters for delivery,
    # holding some items back.
    control = assessment.exposure_control
    assert assessment.max_exposure == 0.3 and control["parameter_set_id"] == active.id
    assert control["k"] and all(0 <= k < 1 for k in control["k"].values())
    assert "bank readiness (1000 simulees)" in output
    # The pre- and post-course forms share those cuts, each from its own recorded setting.
    for code in ("PRE-FN-DATADEC", "POST-FN-DATADEC"):
        course_form = session.scalar(select(Assessment).where(Assessment.code == code))
        assert course_form.cut_scores == assessment.cut_scores
        assert cuts_came_from(session, course_form, course_form.theta_cuts_standard_setting_id,
                              course_form.cut_scores)

    # ... with a window open now to the demo candidate.
    candidate = session.scalar(select(User).where(User.email == "candidate@demo.piaa.in"))
    window = session.scalar(select(Window).where(Window.assessment_id == assessment.id,
                                                 Window.opens_at <= now(), Window.closes_at > now()))
    assert window is not None
    assert session.scalar(select(Enrolment.id).where(Enrolment.cohort_id == window.cohort_id,
                                                     Enrolment.user_id == candidate.id))

    # The classical forms of the uncalibrated banks report practice results (issue 15's rules).
    noting = session.scalar(select(Assessment).where(Assessment.code == "DEMO-FN-NOTING"))
    assert noting.mode == "loft" and scoring.practice_reasons(session, noting)

    # The effectiveness report tiers the providers as the demo made them.
    report = report_for_selection(session, Selection(competency="FN-DATADEC"))
    providers = {row["provider"]: row for row in report.providers}
    above, below, small = PROVIDERS[0].name, PROVIDERS[1].name, PROVIDERS[-1].name
    assert providers[above]["tier"] == "above" and not providers[above]["suppressed"]
    assert providers[below]["tier"] == "below" and not providers[below]["suppressed"]
    assert providers[small]["suppressed"] and providers[small]["n"] < 10
    assert report.attrition["no post"] > 0

    # The psychometrician's and the analyst's pages show the demo's content.
    for email, url, expected in (
            ("psychometrician@demo.piaa.in", f"/calibration/runs/{runs[-1].id}", "DD-"),
            ("psychometrician@demo.piaa.in", f"/standard-setting/{setting.id}", "bookmark"),
            ("analyst@demo.piaa.in", "/reports/?competency=FN-DATADEC", above)):
        reader = app.test_client()
        login(reader, session.scalar(select(User).where(User.email == email)), password=DEMO_PASSWORD)
        response = reader.get(url)
        assert response.status_code == 200 and expected in response.get_data(as_text=True), url

    before = row_counts()
    output = run_demo(app)
    assert row_counts() == before
    assert "calibration run" not in output

    # The demo candidate sits the adaptive assessment and reads θ ± SE and a level on the new scale.
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.check_in_and_start()
    seen = sitting.sit_one_at_a_time(lambda item: _first_choice(item))
    sitting.submit()
    db.session.expire_all()
    attempt = session.get(Attempt, sitting.attempt_id)
    assert attempt.state == "scored" and attempt.parameter_set_id == active.id
    assert assessment.min_items <= seen <= assessment.max_items
    assert attempt.level == scoring.level_from_cuts(attempt.theta, assessment.cut_scores)
    assert scoring.latest_score(session, attempt).confidence is not None
    login(client := app.test_client(), candidate, password=DEMO_PASSWORD)
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    # as the page rounds them: once, to 2 places
    assert f"Your ability estimate (θ) is {attempt.theta:.2f}, with a standard error of {attempt.se:.2f}" in page


def _first_choice(item: dict):
    """Some answer of the right shape for any item type the demo bank holds."""
    content = item["content"]
    ids = [o["id"] for o in content.get("options") or []]
    kind = content["type"]
    if kind == "multiple_response":
        return ids[:2]
    if kind == "ordering":
        return ids
    if kind == "numeric_entry":
        return "10"
    if kind == "text_entry":
        return "mean"
    if kind == "true_false":
        return True
    return ids[0]
