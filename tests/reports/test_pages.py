"""The analyst's pages under /reports: content, filters, scope by organisation, exports, Hindi."""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest

from piaa.accounts.services import get_or_create_organisation
from piaa.delivery import assessments as assessment_service
from piaa.reports import services
from tests.delivery.conftest import sit


@pytest.fixture
def matched(session, make_user, cohort, calibration, make_assessment, make_window, competency, clock):
    """Two providers' courses; one official of each of two MDOs matched in each."""
    window = make_window(make_assessment(mode="adaptive"), max_attempts=5,
                         closes_at=clock() + timedelta(days=60))
    runs = []
    for name in ("Institute A", "Institute B"):
        provider = get_or_create_organisation(session, name, "provider")
        course = services.create_course(session, code=f"C-{name[-1]}", title=f"Course {name[-1]}",
                                        provider=provider, competencies={competency: 3})
        runs.append(services.create_run(session, course, code=f"R-{name[-1]}",
                                        starts_at=clock() + timedelta(days=5),
                                        ends_at=clock() + timedelta(days=8)))
    session.commit()
    for k, (run, mdo) in enumerate(zip(runs, ("Ministry X", "Ministry Y"))):
        user = make_user(role="candidate", organisation=mdo, kind="mdo", email=f"o{k}@example.gov.in")
        assessment_service.enrol(session, cohort, user)
        services.set_official(session, user, mdo=user.organisation, position="Under Secretary")
        session.commit()
        sit(session, user, window)
        post = sit(session, user, window)
        post.ended_at = run.ends_at + timedelta(days=3)
        services.enrol(session, run, [user])
    session.commit()
    return runs


def test_overview_shows_tables_plots_and_downloads(client, login_as, make_user, matched):
    login_as(make_user(role="analyst", organisation="Capacity Building Commission", kind="mdo"))
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Institute A" in html and "Institute B" in html and "Ministry X" in html
    assert 'id="table-providers"' in html and "Composite" in html
    assert "Matched learners: <strong>2</strong>" in html
    pdf = client.get("/reports/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    csv_text = client.get("/reports/export.csv?table=providers").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "provider,competency,n,effect,lower,upper,tier,suppressed"
    assert client.get("/reports/export.xlsx").data[:2] == b"PK"
    assert client.get("/reports/export.csv?table=secrets").status_code in (400, 422)


def test_filters_and_detail_pages(client, login_as, make_user, matched):
    login_as(make_user(role="analyst", organisation=None))
    html = client.get("/reports/?provider=Institute+A").get_data(as_text=True)
    assert "Matched learners: <strong>1</strong>" in html
    assert client.get("/reports/providers/Institute B").status_code == 200
    assert client.get("/reports/courses/C-A").status_code == 200
    assert client.get("/reports/ministries/Ministry Y").status_code == 200
    assert client.get("/reports/providers/Nobody").status_code == 404
    assert client.get("/reports/?from=yesterday").status_code in (400, 422)


def test_a_provider_sees_its_own_courses_and_an_mdo_its_own_officials(client, login_as, make_user, matched):
    login_as(make_user(role="analyst", organisation="Institute A", kind="provider"))
    html = client.get("/reports/").get_data(as_text=True)
    assert "C-A" in html and "C-B" not in html
    client.post("/logout")
    login_as(make_user(role="analyst", organisation="Ministry Y", kind="mdo"))
    html = client.get("/reports/").get_data(as_text=True)
    assert "Matched learners: <strong>1</strong>" in html and "Ministry X" not in html


def test_candidates_cannot_read_reports(client, login_as, make_user, matched):
    login_as(make_user(role="candidate"))
    assert client.get("/reports/").status_code == 403


def test_page_in_hindi(client, login_as, make_user, matched):
    login_as(make_user(role="analyst", organisation=None))
    html = client.get("/reports/?lang=hi").get_data(as_text=True)
    assert "पाठ्यक्रम और प्रदाता की प्रभावशीलता" in html and "मिलान किए गए शिक्षार्थी" in html


def test_a_providers_value_added_is_estimated_among_all_providers(client, login_as, make_user,
                                                                   provider_results):
    login_as(make_user(role="analyst", organisation="Drafting Academy", kind="provider"))
    html = client.get("/reports/").get_data(as_text=True)
    # Its own row, with an estimate and a tier; the others only as unnamed points.
    assert "Below expected" in html and "Other providers" in plot_text(html)
    assert "Institute of Noting" not in html and "Records College" not in html
    rows = client.get("/reports/export.csv?table=providers").get_data(as_text=True).splitlines()
    assert len(rows) == 2 and rows[1].startswith("Drafting Academy,FN-NOTING,16,-")
    assert rows[1].endswith(",below,false")


def test_a_hidden_provider_shows_no_tier_in_page_csv_or_pdf(client, login_as, make_user, provider_results,
                                                             tmp_path):
    login_as(make_user(role="analyst", organisation=None))
    html = client.get("/reports/").get_data(as_text=True)
    rows = {re.search(r'<th scope="row"><a [^>]*>([^<]+)</a>', row).group(1): row
            for row in html.split("<tr>") if 'scope="row"><a href="/reports/providers/' in row}
    # Small Centre (6 learners) is hidden, and Records College (14, the smallest) beside it.
    for name in ("Small Centre", "Records College"):
        assert "hidden" in rows[name] and "expected" not in rows[name]
    assert "Above expected" in rows["Institute of Noting"]
    assert "computed on 5 plausible values" in html
    lines = client.get("/reports/export.csv?table=providers").get_data(as_text=True).splitlines()
    hidden = [line for line in lines if line.endswith(",true")]
    assert sorted(line.split(",")[0] for line in hidden) == ["Records College", "Small Centre"]
    assert all(line.split(",")[3:7] == ["", "", "", ""] for line in hidden)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(client.get("/reports/export.pdf").data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    small = next(line for line in text.splitlines() if line.strip().startswith("Small Centre"))
    assert "hidden" in small and "expected" not in small
    # In Hindi the Latin names and the digits keep their own glyphs (they once took the
    # Devanagari face's glyph numbers: "FN-NOTING" came out as "N-Nमि TनNद").
    pdf.write_bytes(client.get("/reports/export.pdf?lang=hi").data)
    hindi = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                    check=True).stdout.split())
    assert "Course and provider effectiveness" in hindi and "FN-NOTING 54" in hindi
    assert "Institute of Noting" in hindi and "Value added is the provider" in hindi


def plot_text(html: str) -> str:
    """The text inside a page's plots, which it shows as SVG images (data: URIs)."""
    import base64

    return "\n".join(base64.b64decode(data).decode("utf-8")
                     for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html))
