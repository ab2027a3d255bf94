"""The candidate's side: the result says what comes next (the certificate with its links, or
the level that certifies, the attempts left and a retake when allowed), scores read as people
write them, the sitting's header leads nowhere else, the favicon is served, and the
certificate PDF keeps its QR code clear of the text and names the competency, level and
agency in Hindi too."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import weasyprint
from sqlalchemy import select

from piaa import jobs
from piaa.certificates import credential, rendering, services as certificates
from piaa.certificates.models import Certificate
from piaa.delivery import attempts
from piaa.delivery.pages import readable
from tests.certificates.test_from_scoring import SEVEN_OF_TEN, psychometrician  # noqa: F401
from tests.delivery.conftest import sit
from tests.standard_setting.helpers import PILOT_OF_TEN, angoff_cuts

ALL_WRONG = {"choose": lambda row: "A"}


@pytest.fixture
def certifying(session, make_assessment, make_window, psychometrician, competency, agency):  # noqa: F811
    """A classical assessment that certifies level 3 (7 of 10 holds it with about 87%), of a
    competency and an agency with Hindi names, open with two attempts allowed."""
    competency.name_hi = "टिप्पण और प्रारूपण"
    agency.name_hi = "परीक्षण एजेंसी"
    assessment = make_assessment("loft", certifying_level=3, organisation=agency)
    angoff_cuts(session, assessment, [20, 40, 60, 75, 90], psychometrician)
    assessment.classical_pilot = dict(PILOT_OF_TEN)
    session.commit()
    return make_window(assessment, max_attempts=2)


def test_the_result_links_the_certificate_it_earned_with_hindi_names(session, candidate, certifying, login_as):
    attempt = sit(session, candidate, certifying, **SEVEN_OF_TEN)
    job = session.scalar(select(jobs.Job).where(jobs.Job.func == certificates.RENDER_JOB))
    assert jobs.wait(job.id, timeout=60).state == jobs.FINISHED
    session.expire_all()
    issued = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    assert (issued.competency_name_hi, issued.level_label_hi, issued.agency_name_hi) == (
        "टिप्पण और प्रारूपण", "प्रवीण", "परीक्षण एजेंसी")
    page = login_as(candidate).get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f"Your certificate {issued.serial} for level 3 is issued." in page
    assert f'href="/certificates/{issued.public_id}/certificate.pdf"' in page
    assert f'href="/verify/{issued.public_id}"' in page
    assert 'id="retake-form"' not in page  # nothing to retake for
    assert "You scored 7 of 10 marks (70.0 per cent)" in page


def test_below_the_certifying_level_the_result_counts_the_attempts_left(session, candidate, certifying, login_as):
    client = login_as(candidate)
    first = sit(session, candidate, certifying, **ALL_WRONG)
    page = client.get(f"/attempts/{first.id}/result").get_data(as_text=True)
    assert "This assessment certifies level 3 (Proficient) and above." in page
    assert "You have 1 attempt left in this window." in page and 'id="retake-form"' in page
    retake = client.post(f"/assessments/{certifying.id}/begin")
    assert retake.status_code == 302 and retake.location.endswith("/check-in")
    second = attempts.create_attempt(session, candidate, certifying.id)  # the open one, as created
    assert second.id != first.id
    session.commit()
    second = sit_open(session, candidate, second)
    page = client.get(f"/attempts/{second.id}/result").get_data(as_text=True)
    assert "You have 0 attempts left in this window." in page and 'id="retake-form"' not in page
    hindi = client.get(f"/attempts/{second.id}/result?lang=hi").get_data(as_text=True)
    assert "इस अवधि में आपके पास 0 प्रयास शेष हैं।" in hindi and "आगे क्या" in hindi


def sit_open(session, user, attempt):
    """Finish an attempt already created (all answers wrong)."""
    attempts.check_in(session, attempt, user, identity_confirmed=True, rules_accepted=True)
    attempts.start(session, attempt, user)
    session.commit()
    for seq, row in enumerate(attempts.visible_items(session, attempt), start=1):
        attempts.save_answer(session, attempt.id, user, row.ref, "A", seq)
    attempts.submit(session, attempt.id, user)
    session.commit()
    return attempt


@pytest.mark.parametrize("value, shown", [(2.33333, "2.3"), (10.0, "10"), (0.96, "1"), (7.25, "7.2"), (0, "0")])
def test_scores_read_as_people_write_them(value, shown):
    assert readable(value) == shown


def test_the_sitting_header_leads_nowhere_else(session, candidate, make_assessment, make_window, login_as):
    window = make_window(make_assessment("loft"))
    attempt = attempts.create_attempt(session, candidate, window.id)
    attempts.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    session.commit()
    client = login_as(candidate)
    page = client.get(f"/attempts/{attempt.id}/sit").get_data(as_text=True)
    header = page.split('<header class="site">')[1].split("</header>")[0]
    assert "href=" not in header, header  # no menu, no home link
    assert "/logout" not in header
    assert f'name="next" value="/attempts/{attempt.id}/sit?"' in header
    switched = client.post("/language", data={"lang": "hi", "next": f"/attempts/{attempt.id}/sit?"})
    assert switched.location.rstrip("?").endswith(f"/attempts/{attempt.id}/sit")
    # elsewhere the header keeps its menu
    board = client.get("/certificates/mine").get_data(as_text=True).split("</header>")[0]
    assert 'href="/assessments"' in board and "/logout" in board


def test_the_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00" and len(response.data) < 8000


LONG_DESCRIPTOR = ("Drafts notes and letters on routine and non-routine matters independently, cites the rules and "
                   "precedents that apply, weighs the options for the decision-maker and anticipates the questions a "
                   "senior officer will ask; guides junior colleagues in the form and the order of a file.")


def _boxes(html: str) -> tuple[int, dict[str, tuple[float, float]]]:
    """Pages, and the top and bottom (CSS px) of the first box of each class of interest."""
    document = weasyprint.HTML(string=html, base_url=str(rendering.FONTS_DIR)).render(
        font_config=rendering.font_configuration())

    def walk(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from walk(child)

    found: dict[str, tuple[float, float]] = {}
    for box in walk(document.pages[0]._page_box):
        element = getattr(box, "element", None)
        name = element.get("class") if element is not None else None
        if name in ("descriptor", "confidence", "qr", "facts") and name not in found:
            found[name] = (box.position_y, box.position_y + box.margin_height())
    return len(document.pages), found


def test_the_pdf_keeps_its_qr_code_clear_of_the_text_and_speaks_hindi(app):
    at = datetime(2026, 1, 5, tzinfo=timezone.utc)
    facts = credential.CertificateFacts(
        public_id="5f0c6a3e9b2d4c718e0a1b2c3d4e5f60", serial="PIAA-2026-0000001", official_name="Asha Verma",
        official_name_hi="आशा वर्मा", email="a@example.gov.in", identity_salt="9d1f0c2b7a6e5d4c",
        competency_code="FN-NOTING", competency_name="Noting and drafting", level=3, level_label="Proficient",
        level_descriptor=LONG_DESCRIPTOR, agency_name="National Assessment Agency of the Department of Personnel",
        assessed_at=at, issued_at=at, status_list_number=1, status_list_index=7, decision_confidence=0.93,
        competency_name_hi="टिप्पण और प्रारूपण", level_label_hi="प्रवीण", agency_name_hi="राष्ट्रीय मूल्यांकन एजेंसी")
    issuer = credential.IssuerIdentity("https://piaa.example.gov.in", "PIAA Test Service")
    html = rendering.certificate_html(facts, issuer)
    for hindi in ("टिप्पण और प्रारूपण", "प्रवीण", "राष्ट्रीय मूल्यांकन एजेंसी"):
        assert hindi in html
    pages, boxes = _boxes(html)
    assert pages == 1
    text_bottom = max(boxes["descriptor"][1], boxes["confidence"][1])
    assert boxes["qr"][0] >= text_bottom and boxes["facts"][0] >= text_bottom, boxes
