"""The gap map of a small MDO against figures worked by hand: shares below the required level,
suppression under ten officials, and the courses aimed at each gap with the effectiveness the
reports measured of them, in the page, the heat map, CSV, XLSX and PDF."""
import io
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from piaa.accounts.services import get_or_create_organisation
from piaa.certificates.models import Certificate
from piaa.delivery.models import Assessment, Attempt, Cohort, Window
from piaa.frac import gap_files
from piaa.frac import gaps as svc
from piaa.frac import positions
from piaa.items.calibration_models import ParameterSet
from piaa.reports import services as reports
from tests.conftest import login
from tests.frac.conftest import MINISTRY, position_record

WHEN = datetime(2026, 1, 5, tzinfo=timezone.utc)
RUN_START, RUN_END = datetime(2026, 2, 1, tzinfo=timezone.utc), datetime(2026, 2, 10, tzinfo=timezone.utc)

# NOTE-101's ten matched learners: pre θ -1.0, -0.9, ..., -0.1 and gains 0.1, 0.2, ..., 1.0.
# Mean gain 0.55; SD of the gains 0.1 * sqrt(110 / 12) = 0.302765 (the sample SD of 1..10 is
# sqrt(9.1667)); SE 0.302765 / sqrt(10) = 0.095743; t(0.975, 9 df) = 2.262157 (any table of
# Student's t, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2); half-width 0.216585, so the 95%
# interval is 0.333415 to 0.766585 (the report rounds to three places: 0.333, 0.767).
NOTE_PRE = [-1.0 + 0.1 * i for i in range(10)]
NOTE_GAIN = [0.1 * (i + 1) for i in range(10)]


def _certify(session, user, code, level, n=[0]):
    n[0] += 1
    session.add(Certificate(public_id=f"g{n[0]}", attempt_id=n[0], user_id=user.id, official_name=user.name,
                            identity_salt="s", competency_code=code, competency_name=code, level=level,
                            level_label="L", level_descriptor="d", agency_name="A", assessed_at=WHEN, issued_at=WHEN))


class Sittings:
    """Scored pre- and post-course results written straight to the tables (θ and SE chosen by
    the test). The assessments have no cut scores, so the report's course figures are the plain
    ones from the sums, computable by hand (with cut scores they come from plausible values)."""

    def __init__(self, session):
        self.session, self.assessments, self.n = session, {}, 0
        self.cohort = Cohort(name="Gap-map learners", created_at=WHEN)
        session.add(self.cohort)

    def _window(self, competency):
        if competency.id not in self.assessments:
            parameters = ParameterSet(competency_id=competency.id, model="2pl", active=True, created_at=WHEN)
            assessment = Assessment(code=f"PRE-POST-{competency.code}", title=competency.name,
                                    competency_id=competency.id, purpose="certification", mode="adaptive",
                                    blueprint={}, time_limit_s=1800, cut_scores=[], pause_policy="none",
                                    created_at=WHEN)
            window = Window(assessment=assessment, cohort=self.cohort, name=competency.code, opens_at=WHEN,
                            closes_at=WHEN + timedelta(days=365), created_at=WHEN)
            self.session.add_all([parameters, assessment, window])
            self.session.flush()
            self.assessments[competency.id] = (window, parameters)
        return self.assessments[competency.id]

    def sit(self, user, competency, theta, at):
        window, parameters = self._window(competency)
        self.n += 1
        self.session.add(Attempt(window_id=window.id, assessment_id=window.assessment_id, user_id=user.id,
                                 state="scored", seed=self.n, created_at=at, ended_at=at, scored_at=at,
                                 time_limit_s=1800, pause_policy="none", theta=theta, se=0.3,
                                 parameter_set_id=parameters.id))

    def course(self, code, provider, competency, target, learners=()):
        """A course with one run; ``learners`` are (user, pre θ, gain) matched around it."""
        course = reports.create_course(self.session, code=code, title=f"{competency.name} ({code})",
                                       provider=provider, competencies={competency: target})
        run = reports.create_run(self.session, course, code=f"{code}-R1", starts_at=RUN_START, ends_at=RUN_END)
        learners = list(learners)
        for user, pre, gain in learners:
            self.sit(user, competency, pre, RUN_START - timedelta(days=3))
            self.sit(user, competency, pre + gain, RUN_END + timedelta(days=3))
        reports.enrol(self.session, run, [u for u, _, _ in learners])
        return course


def _small_mdo(session, mdo, make_user, dictionary):
    """ASO (FN-NOTING 3, DM-RTI 2) held by 10 officials; SO (BH-EMPATHY 3) by 2. Courses: NOTE-101
    (FN-NOTING to 3, ten matched learners), NOTE-202 (FN-NOTING to 4, no run measured yet),
    RTI-7 (DM-RTI to 2, four matched learners: hidden), INTRO-1 (FN-NOTING to 2: below the
    required level, so not listed)."""
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
    holders = []
    for i in range(10):
        user = make_user(role="candidate", organisation=None)
        holders.append(user)
        positions.transfer(session, user, aso)
        if noting[i] is not None:
            _certify(session, user, "FN-NOTING", noting[i])
        if rti[i] is not None:
            _certify(session, user, "DM-RTI", rti[i])
    for _ in range(2):
        positions.transfer(session, make_user(role="candidate", organisation=None), so)
    institute = get_or_create_organisation(session, "Institute of Noting", "provider")
    sittings = Sittings(session)
    learners = [make_user(role="candidate", organisation=None) for _ in range(10)]
    note = sittings.course("NOTE-101", institute, dictionary["FN-NOTING"], 3, zip(learners, NOTE_PRE, NOTE_GAIN))
    note.title_hi = "टिप्पण पाठ्यक्रम"
    sittings.course("NOTE-202", institute, dictionary["FN-NOTING"], 4)
    sittings.course("INTRO-1", institute, dictionary["FN-NOTING"], 2)
    sittings.course("RTI-7", institute, dictionary["DM-RTI"], 2,
                    [(u, 0.0, 0.5) for u in learners[:4]])
    session.commit()


def test_gap_map_matches_hand_figures_and_suppresses_small_cells(session, mdo, make_user, dictionary):
    _small_mdo(session, mdo, make_user, dictionary)
    found = svc.gap_map(session, mdo)
    noting, rti, empathy = found.cells[("ASO", "FN-NOTING")], found.cells[("ASO", "DM-RTI")], found.cells[("SO", "BH-EMPATHY")]
    assert (noting.n_officials, noting.n_below, noting.share_below) == (10, 6, 0.6)
    assert (rti.n_below, rti.share_below) == (3, 0.3)
    assert noting.shade == "shade-3" and rti.shade == "shade-2"
    assert empathy.n_officials == 2 and empathy.suppressed and empathy.share_below is None

    # the courses aimed at each gap (target at least the required level) and their effectiveness
    assert [c.code for c in noting.courses] == ["NOTE-101", "NOTE-202"]
    measured, waiting = noting.courses
    assert (measured.matched, measured.runs, measured.status) == (10, 1, svc.MEASURED)
    assert measured.mean_gain == pytest.approx(0.55, abs=1e-9)
    assert (measured.lower, measured.upper) == (0.333, 0.767)
    assert (waiting.runs, waiting.matched, waiting.mean_gain, waiting.status) == (1, 0, None, svc.NOT_MEASURED)
    (hidden,) = rti.courses
    assert (hidden.code, hidden.matched, hidden.mean_gain, hidden.lower, hidden.status) == (
        "RTI-7", 4, None, None, svc.SUPPRESSED)
    assert empathy.courses == []

    table = svc.gap_table(found)
    assert table[0][0] == "position"
    assert ["SO", "Section Officer", "BH-EMPATHY", 3, 2, "", "", 0, "", ""] in table
    assert table[1] == ["ASO", "Assistant Section Officer", "DM-RTI", 2, 10, 3, 0.3, 0, "",
                        "RTI-7: fewer than 10 matched learners"]
    assert table[2][-1] == "NOTE-101: gain +0.55 [+0.33, +0.77], n=10; NOTE-202: not yet measured"
    courses = svc.course_table(found)
    assert courses[1:] == [
        ["ASO", "DM-RTI", 2, "RTI-7", "Right to Information Act (RTI-7)", "Institute of Noting", 2, 1, 4,
         "", "", "", "fewer than 10 matched learners"],
        ["ASO", "FN-NOTING", 3, "NOTE-101", "Noting and drafting (NOTE-101)", "Institute of Noting", 3, 1, 10,
         0.55, 0.333, 0.767, "measured"],
        ["ASO", "FN-NOTING", 3, "NOTE-202", "Noting and drafting (NOTE-202)", "Institute of Noting", 4, 1, 0,
         "", "", "", "not yet measured"]]


def test_heat_map_is_an_svg_of_the_shares_without_styles(session, mdo, make_user, dictionary):
    _small_mdo(session, mdo, make_user, dictionary)
    svg = gap_files.heat_map_svg(svc.gap_map(session, mdo))
    assert svg.startswith("<svg") and "style" not in svg
    cells = [line for line in svg.splitlines() if 'text-anchor="middle" fill=' in line]
    # rows ASO then SO; columns BH-EMPATHY, DM-RTI, FN-NOTING
    assert [c.rsplit(">", 2)[1].split("<")[0] for c in cells] == ["·", "30%", "60%", "n&lt;10", "·", "·"]
    assert svg.count('fill="#d6604d"') == 2  # the 60% cell and its legend swatch (shade 3)


def _pdf_text(body: bytes, tmp_path) -> str:
    path = tmp_path / "gaps.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_gap_map_page_and_every_download_keep_the_suppression(app, session, mdo, make_user, dictionary, staff,
                                                              tmp_path):
    _small_mdo(session, mdo, make_user, dictionary)
    client = app.test_client()
    login(client, staff)
    page = client.get("/frac/gaps").get_data(as_text=True)
    assert 'id="heat"' in page and 'src="data:image/svg+xml' in page
    assert "6 (60%)" in page and "3 (30%)" in page
    assert "mean gain +0.55 θ, 95% interval +0.33 … +0.77, matched learners 10" in " ".join(page.split())
    assert "not yet measured" in page and "fewer than 10 matched learners" in page
    assert 'style="' not in page

    csv_text = client.get(f"/frac/gaps?mdo={MINISTRY}&format=csv").get_data(as_text=True)
    assert "ASO,Assistant Section Officer,FN-NOTING,3,10,6,0.6,0,," in csv_text
    assert "SO,Section Officer,BH-EMPATHY,3,2,,,0,," in csv_text
    courses_csv = client.get(f"/frac/gaps?format=csv&table=courses").get_data(as_text=True)
    assert "NOTE-101,Noting and drafting (NOTE-101),Institute of Noting,3,1,10,0.55,0.333,0.767,measured" in courses_csv
    assert "RTI-7,Right to Information Act (RTI-7),Institute of Noting,2,1,4,,,,fewer than 10 matched learners" in courses_csv

    book = load_workbook(io.BytesIO(client.get("/frac/gaps?format=xlsx").data))
    gaps_rows = [list(r) for r in book["Gaps"].iter_rows(values_only=True)]
    so = next(r for r in gaps_rows if r[0] == "SO")
    assert so[4] == 2 and so[5] is None and so[6] is None  # two officials: no count below, no share
    course_rows = {r[3]: r for r in book["Courses"].iter_rows(values_only=True)}
    assert course_rows["NOTE-101"][9:12] == (0.55, 0.333, 0.767)
    assert course_rows["RTI-7"][9:] == (None, None, None, "fewer than 10 matched learners")

    response = client.get("/frac/gaps?format=pdf")
    assert response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"
    text = _pdf_text(response.data, tmp_path)
    assert "Gap map: Ministry of Examples" in text
    assert "60%" in text and "n<10" in text and "6 (60%)" in text
    assert "+0.55 θ" in text and "fewer than 10 matched learners" in text and "not yet measured" in text
    # the two-official position shows no count or share below anywhere in the document
    assert "SO BH-EMPATHY 3 2 —" in text


def test_gap_map_pdf_in_hindi(app, session, mdo, make_user, dictionary, staff, tmp_path):
    _small_mdo(session, mdo, make_user, dictionary)
    client = app.test_client()
    login(client, staff)
    text = "".join(_pdf_text(client.get("/frac/gaps?format=pdf&lang=hi").data, tmp_path).split())
    # Latin text keeps its own face beside Devanagari (one family of both faces garbled it);
    # pdftotext splits Devanagari words oddly, so spaces are left out of the comparison.
    assert "MinistryofExamples" in text and "AssistantSectionOfficer(ASO)" in text
    assert "NOTE-101टिप्पण" in text  # the course's Hindi title
    assert "अंतरमानचित्र" in text and "(NOTE-202)(InstituteofNoting;लक्ष्यस्तर4;बैच:1):अभीमापानहीं" in text


def test_the_gap_map_command_writes_the_same_files(app, session, mdo, make_user, dictionary, tmp_path):
    from piaa.cli import main

    _small_mdo(session, mdo, make_user, dictionary)
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["frac", "gap-map", "--mdo", MINISTRY, "--table", "courses"])
    assert result.exit_code == 0, result.output
    assert "NOTE-101,Noting and drafting (NOTE-101),Institute of Noting,3,1,10,0.55,0.333,0.767,measured" in result.output
    result = runner.invoke(main, ["frac", "gap-map", "--mdo", MINISTRY, "--format", "pdf", "-o", str(tmp_path / "g.pdf")])
    assert result.exit_code == 0, result.output
    assert "6 (60%)" in _pdf_text((tmp_path / "g.pdf").read_bytes(), tmp_path)
    result = runner.invoke(main, ["frac", "gap-map", "--mdo", "Nowhere"])
    assert result.exit_code != 0 and "no MDO called 'Nowhere'" in result.output
