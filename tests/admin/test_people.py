"""Cohorts from a CSV (every problem listed by row and field, nothing saved), accommodations,
windows in India time with their proctors, accounts (a password or token shown once and never
cached), roles, deactivation, and organisations with their Hindi names."""
import io
from datetime import datetime, timezone

from sqlalchemy import func, select

from piaa.accounts.models import ApiToken, Organisation, User
from piaa.accounts.services import check_password, user_for_token
from piaa.delivery.models import Cohort, Enrolment, Window
from tests.conftest import login


def upload(text: str, name: str = "batch.csv"):
    return (io.BytesIO(text.encode()), name)


def test_a_cohort_from_a_csv_with_accommodations(admin_client, make_user, session):
    asha = make_user(role="candidate", email="asha@example.gov.in")
    ravi = make_user(role="candidate", email="ravi@example.gov.in")
    response = admin_client.post("/admin/cohorts", content_type="multipart/form-data", data={
        "name": "Batch 7", "course": "Noting", "provider_id": "0",
        "members": upload("email,time_factor\nasha@example.gov.in,1.5\nRAVI@example.gov.in,\n")})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    cohort = session.scalar(select(Cohort).where(Cohort.name == "Batch 7"))
    factors = {e.user_id: e.time_factor for e in cohort.enrolments}
    assert factors == {asha.id: 1.5, ravi.id: 1.0}
    page = admin_client.get(response.location).get_data(as_text=True)
    assert 'id="tf-%d"' % asha.id in page and 'value="1.5"' in page
    # the accommodation of one official, changed on the cohort's page
    assert admin_client.post(f"/admin/cohorts/{cohort.id}/members/{ravi.id}", data={"time_factor": "1.25"}).status_code == 302
    session.expire_all()
    assert session.scalar(select(Enrolment.time_factor).where(Enrolment.user_id == ravi.id)) == 1.25


def test_a_bad_csv_lists_every_problem_and_saves_nothing(admin_client, make_user, session):
    make_user(role="candidate", email="asha@example.gov.in")
    make_user(role="proctor", email="pat@example.gov.in")
    response = admin_client.post("/admin/cohorts", content_type="multipart/form-data", data={
        "name": "Batch 8", "provider_id": "0",
        "members": upload("email,time_factor\nasha@example.gov.in,9\nnobody@example.gov.in,1\n"
                          "pat@example.gov.in,1\n")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for row, field in ((2, "time_factor"), (3, "email"), (4, "email")):
        assert f"batch.csv, row {row}, field {field}:" in html, (row, field)
    assert session.scalar(select(func.count(Cohort.id))) == 0  # not even the cohort


def test_a_window_in_india_time_with_a_proctor(admin_client, make_assessment, cohort, proctor, session):
    assessment = make_assessment(mode="loft")
    response = admin_client.post("/admin/windows", data={
        "assessment_id": assessment.id, "cohort_id": cohort.id, "name": "",
        "opens_at": "2026-03-02T09:30", "closes_at": "2026-03-02T17:30", "access_code": "NOTE42",
        "max_attempts": "2", "proctors": [str(proctor.id)]})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    window = session.scalar(select(Window))
    assert window.opens_at.replace(tzinfo=timezone.utc) == datetime(2026, 3, 2, 4, 0, tzinfo=timezone.utc)
    assert [p.user_id for p in window.proctors] == [proctor.id] and window.max_attempts == 2
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "2026-03-02 09:30 IST" in page and proctor.email in page
    refused = admin_client.post("/admin/windows", data={
        "assessment_id": assessment.id, "cohort_id": cohort.id, "opens_at": "2026-03-02T09:30",
        "closes_at": "2026-03-01T09:30", "max_attempts": "1"})
    assert refused.status_code == 422 and "must close after it opens" in refused.get_data(as_text=True)


def test_an_account_with_a_password_shown_once(admin_client, session, app):
    response = admin_client.post("/admin/accounts", data={
        "email": "Neha@Example.gov.in", "name": "Neha Rao", "name_hi": "नेहा राव", "role": "proctor",
        "organisation_id": "0", "password": ""})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    password = html.split('<code id="secret" aria-labelledby="secret-label">')[1].split("</code>")[0]
    user = session.scalar(select(User).where(User.email == "neha@example.gov.in"))
    assert user.role == "proctor" and check_password(user, password)
    assert password not in admin_client.get(f"/admin/accounts/{user.id}").get_data(as_text=True)
    # the new holder signs in with it
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": password}).status_code == 302


def test_role_deactivation_and_password_reset(admin_client, admin, make_user, session):
    user = make_user(role="author")
    assert admin_client.post(f"/admin/accounts/{user.id}/role", data={"role": "reviewer"}).status_code == 302
    assert admin_client.post(f"/admin/accounts/{user.id}/deactivate").status_code == 302
    session.expire_all()
    assert user.role == "reviewer" and user.active is False
    reset = admin_client.post(f"/admin/accounts/{user.id}/password")
    password = reset.get_data(as_text=True).split('aria-labelledby="secret-label">')[1].split("</code>")[0]
    session.expire_all()
    assert check_password(user, password) and reset.headers["Cache-Control"] == "no-store"
    # an administrator cannot lock themselves out
    page = admin_client.post(f"/admin/accounts/{admin.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "you cannot deactivate your own account" in page
    session.expire_all()
    assert admin.active is True


def test_an_api_token_shown_once_and_revoked(admin_client, make_user, session):
    machine = make_user(role="psychometrician")
    response = admin_client.post(f"/admin/accounts/{machine.id}/tokens", data={"label": "nightly calibration"})
    token = response.get_data(as_text=True).split('aria-labelledby="secret-label">')[1].split("</code>")[0]
    assert token.startswith("piaa_") and response.headers["Cache-Control"] == "no-store"
    assert user_for_token(session, token)[0].id == machine.id
    session.commit()  # its last use was written
    stored = session.scalar(select(ApiToken))
    assert token not in admin_client.get(f"/admin/accounts/{machine.id}").get_data(as_text=True)
    assert admin_client.post(f"/admin/accounts/{machine.id}/tokens/{stored.id}/revoke").status_code == 302
    session.expire_all()
    assert user_for_token(session, token)[0] is None


def test_organisations_with_hindi_names(admin_client, session):
    response = admin_client.post("/admin/organisations", data={
        "name": "Institute of Secretariat Training", "name_hi": "सचिवालय प्रशिक्षण संस्थान", "kind": "provider"})
    assert response.status_code == 302
    org = session.scalar(select(Organisation).where(Organisation.kind == "provider"))
    assert org.name_hi == "सचिवालय प्रशिक्षण संस्थान"
    again = admin_client.post("/admin/organisations", data={"name": org.name, "kind": "agency"})
    assert again.status_code == 422 and "That name is taken: choose another." in again.get_data(as_text=True)


def test_a_candidate_cannot_reach_the_accounts(app, make_user):
    client = app.test_client()
    login(client, make_user(role="candidate"))
    assert client.get("/admin/accounts").status_code == 403


def test_a_bad_csv_is_listed_in_hindi_to_an_administrator_reading_hindi(admin_client, make_user, session):
    make_user(role="proctor", email="pat@example.gov.in")
    members = "email,time_factor\nnobody@example.gov.in,1\npat@example.gov.in,9\n"
    response = admin_client.post("/admin/cohorts?lang=hi", content_type="multipart/form-data", data={
        "name": "Batch 9", "provider_id": "0", "members": upload(members)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # Each row's problem in Hindi: the e-mail as it was, the role as its Hindi word.
    assert "batch.csv, पंक्ति 2, क्षेत्र email: ई-मेल &#39;nobody@example.gov.in&#39; वाला कोई खाता नहीं है" in html
    assert "batch.csv, पंक्ति 3, क्षेत्र email: pat@example.gov.in एक पर्यवेक्षक है, अधिकारी नहीं" in html
    assert "no account with e-mail" not in html
    headerless = admin_client.post("/admin/cohorts?lang=hi", content_type="multipart/form-data", data={
        "name": "Batch 9", "provider_id": "0", "members": upload("mail\nx@example.gov.in\n")})
    assert "email कॉलम नहीं है" in headerless.get_data(as_text=True)


def test_the_api_lists_csv_problems_filled_in_and_in_english():
    from piaa.errors import Invalid, found_problem

    error = Invalid("{file}: {n} problem(s)", values={"file": "b.csv", "n": 1},
                    problems=[found_problem("no account with e-mail {email}", {"email": "'x@y.in'"},
                                            file="b.csv", row=2, field="email")])
    assert error.to_dict()["error"]["problems"] == [
        {"file": "b.csv", "row": 2, "field": "email", "message": "no account with e-mail 'x@y.in'"}]
