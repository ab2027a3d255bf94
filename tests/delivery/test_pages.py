"""The delivery pages through the test client: the candidate's board, check-in, the sitting
shell and the result; the proctor's dashboard, actions and the attempt record; Hindi."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.delivery import attempts as attempt_service
from piaa.delivery.models import Attempt, AttemptEvent
from piaa.delivery.pages import SITTING_STRINGS, scale_position
from tests.conftest import login
from tests.delivery.conftest import sit


def _page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.location)
    return response.get_data(as_text=True)


@pytest.fixture
def candidate_client(app, candidate):
    client = app.test_client()
    login(client, candidate)
    return client


@pytest.fixture
def proctor_client(app, proctor):
    client = app.test_client()
    login(client, proctor)
    return client


# --- the candidate -------------------------------------------------------------------------

def test_candidate_lands_on_a_board_of_open_and_scheduled_windows(candidate_client, make_assessment,
                                                                 make_window, clock):
    open_window = make_window(make_assessment("loft"), name="Noting, March")
    make_window(make_assessment("fixed"), name="Later", opens_at=clock() + timedelta(days=2),
                closes_at=clock() + timedelta(days=3))
    home = candidate_client.get("/")
    assert home.status_code == 302 and home.location.endswith("/assessments")
    html = _page(candidate_client, "/assessments")
    assert f'id="window-{open_window.id}"' in html and "Noting (loft)" in html
    assert "Scheduled" in html and "Noting (fixed)" in html
    assert html.count("Begin</button>") == 1  # the scheduled window cannot be begun yet


def test_begin_check_in_then_the_sitting_shell(app, session, candidate, candidate_client, make_assessment,
                                               make_window):
    window = make_window(make_assessment("loft"))
    begun = candidate_client.post(f"/assessments/{window.id}/begin", data={"language": "en"})
    attempt = session.scalar(select(Attempt).where(Attempt.window_id == window.id))
    assert begun.status_code == 302 and begun.location.endswith(f"/attempts/{attempt.id}/check-in")
    assert "I am the person named above" in _page(candidate_client, begun.location)

    refused = candidate_client.post(f"/attempts/{attempt.id}/check-in", data={"identity": "yes"})
    assert refused.status_code == 422 and "accept the rules" in refused.get_data(as_text=True)
    in_hindi = candidate_client.post(f"/attempts/{attempt.id}/check-in?lang=hi", data={"identity": "yes"})
    assert "चेक-इन के लिए अपनी पहचान की पुष्टि करें और नियम स्वीकार करें" in in_hindi.get_data(as_text=True)
    candidate_client.get("/?lang=en")  # the language chosen stays for the session

    checked = candidate_client.post(f"/attempts/{attempt.id}/check-in", data={
        "identity": "yes", "rules": "yes", "system_check": json.dumps({"storage": True, "server": 35})})
    assert checked.status_code == 302 and checked.location.endswith(f"/attempts/{attempt.id}/sit")
    session.expire_all()
    assert session.get(Attempt, attempt.id).state == "checked_in"
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.check_in"))
    assert audit.data["system_check"] == {"received": True, "storage": True, "server": 35}

    html = _page(candidate_client, checked.location)
    config = json.loads(re.search(r'<script type="application/json" id="sitting-config">(.*?)</script>',
                                  html, re.DOTALL).group(1))
    assert config["attempt_id"] == attempt.id and config["api"] == f"/api/v1/attempts/{attempt.id}"
    # English texts are shown as written: only translations differing from them are sent.
    assert config["one_at_a_time"] is False and "Saved" not in config["strings"]
    assert config["initial"]["attempt"]["state"] == "checked_in" and config["initial"]["items"] == []
    # Before the start the page carries no item.
    assert "Stem of item" not in html and '"key"' not in html
    # Beginning again goes back to the same attempt, at the step it has reached.
    again = candidate_client.post(f"/assessments/{window.id}/begin")
    assert again.location.endswith(f"/attempts/{attempt.id}/sit")


def test_a_wrong_access_code_is_explained_on_the_board(candidate_client, make_assessment, make_window):
    window = make_window(make_assessment("loft"), access_code="ALPHA-7")
    response = candidate_client.post(f"/assessments/{window.id}/begin", data={"access_code": "BETA"},
                                     follow_redirects=True)
    assert "the access code is not right" in response.get_data(as_text=True)


def test_someone_elses_attempt_is_not_found(app, session, make_user, make_assessment, make_window, candidate):
    window = make_window(make_assessment("loft"))
    attempt = attempt_service.create_attempt(session, candidate, window.id)
    session.commit()
    other = app.test_client()
    login(other, make_user(role="candidate"))
    for page in ("check-in", "sit", "result"):
        assert other.get(f"/attempts/{attempt.id}/{page}").status_code == 404


def test_result_shows_level_in_words_and_theta_on_a_scale(session, candidate, candidate_client, calibration,
                                                          make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    attempt = sit(session, candidate, window)
    assert attempt.state == "scored" and attempt.score_method == "eap"
    # θ and SE whose 3-place rounding would move the 2-place figure (0.3349 -> 0.335 -> 0.34):
    # the page rounds the stored values once.
    attempt.theta, attempt.se = 0.3349, 0.4449
    session.commit()
    html = _page(candidate_client, f"/attempts/{attempt.id}/result")
    level = attempt.assessment.competency.level(attempt.level)
    assert f"{attempt.level} – {level.label}" in html and level.descriptor in html
    assert 'role="img"' in html and 'aria-labelledby="scale-title scale-desc"' in html
    point = scale_position(0.3349, 0.4449)
    assert f'<circle cx="{point.x}"' in html
    text = re.search(r'<figcaption id="scale-text">(.*?)</figcaption>', html, re.DOTALL).group(1)
    assert "is 0.33, with a standard error of 0.44" in text
    # Cut scores are a scoring rule: the page draws no level bands from them.
    for cut in ("-0.75", "0.25"):
        assert f'"{cut}' not in html


def test_result_labels_a_classical_score(session, candidate, candidate_client, make_assessment, make_window):
    attempt = sit(session, candidate, make_window(make_assessment("loft")), choose=lambda row: "A")
    html = _page(candidate_client, f"/attempts/{attempt.id}/result")
    assert "Classical score (no calibration yet)" in html
    assert "You scored 0 of 10 marks (0.0 per cent)" in html
    assert "did not reach level 1" in html


def test_a_timed_out_attempt_is_closed_by_opening_any_page(session, candidate, candidate_client, clock,
                                                           make_assessment, make_window):
    window = make_window(make_assessment("loft", pause_policy="clock_runs"))
    attempt = sit(session, candidate, window, submit=False)
    clock.advance(seconds=1800 + 6)
    response = candidate_client.get(f"/attempts/{attempt.id}/sit")
    assert response.status_code == 302 and response.location.endswith(f"/attempts/{attempt.id}/result")
    html = _page(candidate_client, response.location)
    assert "The time ran out, so your answers were submitted automatically." in html


def test_the_board_and_the_sitting_texts_speak_hindi(session, candidate, candidate_client, make_assessment,
                                                     make_window):
    window = make_window(make_assessment("loft"))
    attempt = attempt_service.create_attempt(session, candidate, window.id, language="hi")
    attempt_service.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    session.commit()
    candidate_client.post("/language", data={"lang": "hi"})
    assert "मेरे मूल्यांकन" in _page(candidate_client, "/assessments")
    html = _page(candidate_client, f"/attempts/{attempt.id}/sit")
    assert '<html lang="hi">' in html
    config = json.loads(re.search(r'id="sitting-config">(.*?)</script>', html, re.DOTALL).group(1))
    assert config["item_lang"] == "hi" and config["strings"]["Saved"] == "सहेजा गया"


def test_the_result_names_competency_and_level_in_hindi(session, candidate, candidate_client, calibration,
                                                       make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    attempt = sit(session, candidate, window)
    competency = attempt.assessment.competency
    competency.name_hi = "टिप्पण और प्रारूपण"
    described = competency.level(attempt.level)
    described.descriptor_hi = f"स्तर {attempt.level} पर टिप्पण"
    session.commit()
    candidate_client.post("/language", data={"lang": "hi"})
    html = _page(candidate_client, f"/attempts/{attempt.id}/result")
    assert '<h2 id="level-heading">टिप्पण और प्रारूपण</h2>' in html
    hindi_label = {"Basic": "आधारभूत", "Intermediate": "मध्यवर्ती", "Proficient": "प्रवीण", "Advanced": "उन्नत",
                   "Expert": "विशेषज्ञ"}[described.label]
    assert f"{attempt.level} – {hindi_label}" in html and described.descriptor_hi in html
    assert described.descriptor not in html


def test_every_delivery_text_has_hindi():
    from pathlib import Path

    import piaa
    from piaa.delivery import pages, proctoring
    from tests.test_i18n import hindi

    templates = Path(piaa.__file__).parent / "templates" / "delivery"
    used = set(SITTING_STRINGS) | set(pages.STATE_LABELS.values()) | set(pages.MODE_LABELS.values())
    used |= set(pages.PURPOSE_LABELS.values()) | {done for done, _act in pages.PROCTOR_ACTIONS.values()}
    used |= set(proctoring.TERMINATION_REASONS.values())
    for path in templates.glob("*.html"):
        used |= {a or b for a, b in re.findall(r"""\b_\((?:"([^"]+)"|'([^']+)')""", path.read_text())}
    catalogue = hindi()
    missing = sorted(text for text in used if text not in catalogue)
    assert missing == []


def test_scale_position_maps_theta_and_its_band_linearly():
    # Derivation: x = 100 * (v - (-4)) / 8, so 0 -> 50, 1 -> 62.5, 0.5 -> 56.25, 1.5 -> 68.75.
    assert scale_position(0.0, None).x == 50.0
    point = scale_position(1.0, 0.5)
    assert (point.x, point.band_from, point.band_to, point.low, point.high) == (62.5, 56.25, 68.75, 0.5, 1.5)
    clipped = scale_position(5.2, 1.0)
    assert (clipped.x, clipped.band_from, clipped.band_to) == (100.0, 100.0, 100.0)
    assert scale_position(40.0, None, low=0.0, high=100.0).x == 40.0
    with pytest.raises(ValueError, match="standard error cannot be negative, got -0.1"):
        scale_position(0.0, -0.1)
    with pytest.raises(ValueError, match="high > low"):
        scale_position(0.0, None, low=1.0, high=1.0)


# --- the proctor ---------------------------------------------------------------------------

def test_proctor_lands_on_the_live_dashboard_of_their_windows(session, candidate, proctor, proctor_client,
                                                              make_user, make_assessment, make_window):
    mine = make_window(make_assessment("loft"), name="Window A")
    theirs = make_window(make_assessment("loft"), name="Window B", proctors=[make_user(role="proctor")])
    attempt = attempt_service.create_attempt(session, candidate, mine.id)
    other = attempt_service.create_attempt(session, candidate, theirs.id)
    session.commit()
    home = proctor_client.get("/")
    assert home.location.endswith("/proctor")
    html = _page(proctor_client, "/proctor")
    assert f'data-attempt="{attempt.id}"' in html and f'data-attempt="{other.id}"' not in html
    assert "Window A" in html and 'data-poll-s="3.0"' in html
    assert proctor_client.get(f"/proctor/attempts/{other.id}").status_code == 404


def test_proctor_actions_from_the_attempt_record(session, candidate, proctor, proctor_client,
                                                 make_assessment, make_window, clock):
    window = make_window(make_assessment("loft"))
    attempt = sit(session, candidate, window, submit=False)
    url = f"/proctor/attempts/{attempt.id}"

    def act(action, **form):
        response = proctor_client.post(f"{url}/{action}", data=form, follow_redirects=True)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "Warning sent." in act("warn", message="Eyes on your own screen, please.")
    assert "Attempt paused." in act("pause", reason="Noise in the room")
    clock.advance(seconds=90)
    assert "Attempt resumed." in act("resume")
    assert "a reason" in act("add-time", minutes="5")  # refused without a reason, and said so
    assert "Time added." in act("add-time", minutes="5", reason="Power cut")
    assert "Incident note written." in act("note", text="Candidate's phone rang once.")
    html = act("terminate", reason_code="unauthorised_material", note="Phone in use")
    assert "Attempt terminated." in html
    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    assert attempt.state == "scored" and attempt.extra_time_s == 300 and attempt.paused_total_s == 90
    kinds = [e.kind for e in session.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
                                             .order_by(AttemptEvent.id))]
    assert {"warning", "pause", "resume", "add_time", "incident_note", "terminate"} <= set(kinds)
    # The record shows the whole timeline: state changes, actions and each item's timing.
    html = _page(proctor_client, url)
    for text in ("terminate", "add time", "incident note", "Phone in use", "Answer timing"):
        assert text in html
    assert html.count("<tr class=\"sev-") >= len(kinds)
    assert html.count("<td>shown</td>") == 1  # the LOFT form was laid out at once: one row
    assert "Attempt voided." in act("void", reason="Impersonation confirmed later")
    assert proctor_client.post(f"{url}/explode").status_code == 404


def test_the_candidate_result_says_a_proctor_ended_it(session, candidate, candidate_client, proctor,
                                                      make_assessment, make_window):
    from piaa.delivery import proctoring

    attempt = sit(session, candidate, make_window(make_assessment("loft")), submit=False)
    proctoring.terminate(session, proctor, attempt.id, "collusion", "")
    session.commit()
    assert "The proctor ended this attempt." in _page(candidate_client, f"/attempts/{attempt.id}/result")
