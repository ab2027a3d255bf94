"""Pre/post matching in the database: spans, attrition by reason, and sums computed in SQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from piaa.accounts.services import get_or_create_organisation
from piaa.delivery import assessments as assessment_service
from piaa.errors import Invalid, for_the_api
from piaa.reports import services
from tests.delivery.conftest import sit


@pytest.fixture
def course_run(session, competency, clock):
    provider = get_or_create_organisation(session, "Institute of Noting", "provider")
    course = services.create_course(session, code="NOTE-101", title="Noting in practice",
                                    provider=provider, competencies={competency: 3})
    run = services.create_run(session, course, code="NOTE-101-R1", starts_at=clock() + timedelta(days=10),
                              ends_at=clock() + timedelta(days=20))
    session.commit()
    return run


def _official(session, make_user, cohort, name):
    user = make_user(role="candidate", organisation="Department of Posts", kind="mdo", email=f"{name}@example.gov.in")
    assessment_service.enrol(session, cohort, user)
    services.set_official(session, user, mdo=user.organisation, position="Section Officer")
    return user


def test_matching_finds_pre_and_post_and_counts_attrition_by_reason(
        session, make_user, cohort, calibration, make_assessment, make_window, course_run, clock):
    window = make_window(make_assessment(mode="adaptive"), max_attempts=5,
                         closes_at=clock() + timedelta(days=60))
    matched, no_post, no_pre, voided = (_official(session, make_user, cohort, n)
                                        for n in ("matched", "nopost", "nopre", "voided"))
    session.commit()
    after_run = course_run.ends_at + timedelta(days=5)
    pre = sit(session, matched, window)
    post = sit(session, matched, window, choose=lambda row: "B")
    post.ended_at = after_run
    sit(session, no_post, window)
    late = sit(session, no_pre, window)
    late.ended_at = after_run
    cancelled = sit(session, voided, window)
    cancelled.state = "voided"
    other_post = sit(session, voided, window)
    other_post.ended_at = after_run
    services.enrol(session, course_run, [matched, no_post, no_pre, voided])
    session.commit()

    selection = services.Selection(competency="FN-NOTING")
    attrition = services.attrition_for_selection(session, selection)
    assert attrition == {"enrolled": 4, "matched": 1, "no pre": 1, "no post": 1, "voided": 1}
    cells = services.cells_for_selection(session, selection)
    assert len(cells) == 1 and cells.sums.n.tolist() == [1.0]
    assert cells.sums.sum_pre[0] == pytest.approx(pre.theta)
    assert cells.sums.sum_post[0] == pytest.approx(post.theta)
    assert cells.sums.sum_pre_var[0] == pytest.approx(pre.se**2)
    assert cells.provider.tolist() == ["Institute of Noting"] and cells.mdo.tolist() == ["Department of Posts"]
    assert cells.transitions.sum() == 1 and cells.gain_counts.sum() == 1

    # A post sitting beyond the span does not count.
    tight = services.Selection(competency="FN-NOTING", post_days=3)
    assert services.attrition_for_selection(session, tight)["matched"] == 0

    report = services.report_for_selection(session, selection)
    assert report.n_matched == 1
    assert report.providers[0]["suppressed"] and report.providers[0]["effect"] is None
    assert report.attrition["no pre"] == 1


def test_enrolment_file_is_all_or_nothing(session, make_user, course_run):
    user = make_user(role="candidate", email="official@example.gov.in")
    with pytest.raises(Invalid) as caught:
        services.enrol_from_csv(session, course_run, "email\nofficial@example.gov.in\nnobody@example.gov.in\n",
                                filename="batch.csv")
    # the API sends the message filled in; a page shows the marked text in the reader's language
    assert for_the_api(caught.value.problems[0]) == {"file": "batch.csv", "row": 3, "field": "email",
                                                     "message": "no official 'nobody@example.gov.in'"}
    assert caught.value.problems[0]["template"] == "no official {email}"
    assert services.enrol_from_csv(session, course_run, b"email\nofficial@example.gov.in\n") == 1
    assert services.enrol_from_csv(session, course_run, b"email\nOFFICIAL@example.gov.in\n") == 0
    assert user.id


def test_cli_report_from_the_database(app, session, course_run, tmp_path):
    from piaa.cli import main

    out = tmp_path / "out"
    result = app.test_cli_runner().invoke(main, ["effectiveness", "--competency", "FN-NOTING",
                                                 "--from", "2000-01-01", "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (out / "providers.csv").read_text().startswith("provider,competency,n,effect")
    result = app.test_cli_runner().invoke(main, ["effectiveness", "--competency", "NOPE", "--out",
                                                 str(tmp_path / "none")])
    assert result.exit_code != 0 and "no competency 'NOPE'" in result.output
    assert not (tmp_path / "none").exists()
