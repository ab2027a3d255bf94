"""Each staff role lands on a dashboard of its own that links only to pages that exist; an
administrator who opens /assessments is taken to the administration list."""
import pytest

from piaa.admin import overview
from piaa.admin.overview import Link
from tests.conftest import login


@pytest.mark.parametrize("role, landing", [("admin", "/admin"), ("psychometrician", "/psychometrician"),
                                           ("analyst", "/analyst")])
def test_each_staff_role_lands_on_its_dashboard(app, make_user, role, landing):
    client = app.test_client()
    login(client, make_user(role=role))
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith(landing)
    page = client.get(landing)
    assert page.status_code == 200
    assert 'id="links"' in page.get_data(as_text=True)


def test_dashboard_links_only_to_endpoints_the_app_serves(app):
    links = [Link("Item banks", "items.banks"), Link("Calibration", "calibration.not_built_here")]
    with app.test_request_context():
        assert [link.endpoint for link in overview.existing(links)] == ["items.banks"]


def test_psychometrician_dashboard_links_to_standard_setting(app, make_user):
    client = app.test_client()
    login(client, make_user(role="psychometrician"))
    html = client.get("/psychometrician").get_data(as_text=True)
    assert 'href="/standard-setting"' in html and 'href="/banks"' in html


def test_admin_dashboard_counts_what_exists(admin_client, make_assessment, make_window, candidate):
    make_window(make_assessment(mode="loft"))
    html = admin_client.get("/admin").get_data(as_text=True)
    # one assessment, one cohort, one window open now
    for label in ("Assessments", "Cohorts", "Windows open now"):
        start = html.index(f"<dt>{label}</dt>")
        assert "<dd>1</dd>" in html[start:start + 60], label


def test_assessments_sends_an_admin_to_the_administration_list(admin_client):
    response = admin_client.get("/assessments")
    assert response.status_code == 302 and response.location.endswith("/admin/assessments")


def test_other_roles_cannot_open_the_administration(app, make_user):
    client = app.test_client()
    login(client, make_user(role="psychometrician"))
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/accounts").status_code == 403


def test_the_admin_pages_read_in_hindi(admin_client):
    admin_client.post("/language", data={"lang": "hi"})
    html = admin_client.get("/admin").get_data(as_text=True)
    assert "प्रशासन" in html and "Administration</h1>" not in html
