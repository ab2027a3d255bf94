"""The gap map of a small MDO against figures worked by hand."""
from datetime import datetime, timezone

from piaa.certificates.models import Certificate
from piaa.frac import gaps as svc
from piaa.frac import positions
from piaa.reports.models import Course, CourseCompetency
from tests.conftest import login
from tests.frac.conftest import MINISTRY, position_record

WHEN = datetime(2026, 1, 5, tzinfo=timezone.utc)


def _certify(session, user, code, level, n=[0]):
    n[0] += 1
    session.add(Certificate(public_id=f"g{n[0]}", attempt_id=n[0], user_id=user.id, official_name=user.name,
                            identity_salt="s", competency_code=code, competency_name=code, level=level,
                            level_label="L", level_descriptor="d", agency_name="A", assessed_at=WHEN, issued_at=WHEN))


def _small_mdo(session, mdo, make_user, dictionary):
    """ASO (FN-NOTING 3, DM-RTI 2) held by 10 officials; SO (BH-EMPATHY 3) by 2."""
    positions.save_position(session, mdo, position_record())
    positions.save_position(session, mdo, position_record("SO", "Section Officer",
                                                          competencies=[{"code": "BH-EMPATHY", "level": 3}]))
    aso, so = positions.search_positions(session, mdo=mdo)
    for p in (aso, so):
        positions.approve_position(session, p)
    # FN-NOTING levels of the ten ASOs: 4, 3, 3, 3 reach 3; 2, 2, 1 and three with no certificate
    # do not -> 6 of 10 below. DM-RTI: 2, 2, 3, 5, 2, 2, 2 reach 2; 1 and two none -> 3 of 10.
    noting = [4, 3, 3, 3, 2, 2, 1, None, None, None]
    rti = [2, 2, 3, 5, 2, 2, 2, 1, None, None]
    for i in range(10):
        user = make_user(role="candidate", organisation=None)
        positions.transfer(session, user, aso)
        if noting[i] is not None:
            _certify(session, user, "FN-NOTING", noting[i])
        if rti[i] is not None:
            _certify(session, user, "DM-RTI", rti[i])
    for _ in range(2):
        positions.transfer(session, make_user(role="candidate", organisation=None), so)
    course = Course(code="NOTE-101", title="Noting", provider_id=mdo.id, created_at=WHEN)
    course.competencies.append(CourseCompetency(competency_id=dictionary["FN-NOTING"].id, target_level=3))
    session.add(course)
    session.commit()


def test_gap_map_matches_hand_figures_and_suppresses_small_cells(session, mdo, make_user, dictionary):
    _small_mdo(session, mdo, make_user, dictionary)
    found = svc.gap_map(session, mdo)
    noting, rti, empathy = found.cells[("ASO", "FN-NOTING")], found.cells[("ASO", "DM-RTI")], found.cells[("SO", "BH-EMPATHY")]
    assert (noting.n_officials, noting.n_below, noting.share_below) == (10, 6, 0.6)
    assert (rti.n_below, rti.share_below) == (3, 0.3)
    assert noting.shade == "shade-3" and rti.shade == "shade-2"
    assert empathy.n_officials == 2 and empathy.suppressed and empathy.share_below is None
    assert noting.courses == ["NOTE-101"] and rti.courses == []
    table = svc.gap_table(found)
    assert table[0][0] == "position"
    assert ["SO", "Section Officer", "BH-EMPATHY", 3, 2, "", "", 0, "", ""] in table


def test_gap_map_page_and_csv(app, session, mdo, make_user, dictionary, staff):
    _small_mdo(session, mdo, make_user, dictionary)
    client = app.test_client()
    login(client, staff)
    page = client.get("/frac/gaps").get_data(as_text=True)
    assert 'id="heat"' in page and "60%" in page and "30%" in page and "n&lt;10" in page
    csv_text = client.get(f"/frac/gaps?mdo={MINISTRY}&format=csv").get_data(as_text=True)
    assert "ASO,Assistant Section Officer,FN-NOTING,3,10,6,0.6,0,,NOTE-101" in csv_text
