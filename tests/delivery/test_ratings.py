"""Written answers rated by people: the attempt waits for its ratings, raters rate blind from
their queue, high-stakes answers get two raters and an adjudicator when they differ by more
than the tolerance, the attempt is scored once every answer has its agreed points, all audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.delivery import ratings, states
from piaa.delivery.models import AttemptItem
from piaa.errors import Forbidden, Invalid
from piaa.items import services as items
from piaa.items.models import OPERATIONAL
from tests.delivery.conftest import sit

ESSAY = {"id": "ES-001", "type": "extended_text", "competency": "FN-NOTING", "level": 3, "sub_area": "writing",
         "stem": {"en": "Draft a note asking for sanction of a training course for two officers.",
                  "hi": "दो अधिकारियों के प्रशिक्षण पाठ्यक्रम की स्वीकृति माँगते हुए एक टिप्पणी लिखें।"},
         "rubric": {"en": "4: purpose, facts, rule and a clear request. 2: the request without the rule. 0: off topic.",
                    "hi": "4: उद्देश्य, तथ्य, नियम और स्पष्ट अनुरोध। 2: नियम के बिना अनुरोध। 0: विषय से बाहर।"},
         "max_points": 4}
BLUEPRINT = {"cells": [{"level": 2, "sub_area": "noting", "count": 1}, {"level": 4, "sub_area": "drafting", "count": 1},
                       {"level": 3, "sub_area": "writing", "count": 1}], "tolerance": 0}
NOTE = "Sanction is sought under rule 5 for two officers to attend the course on noting."


@pytest.fixture
def essay_bank(session, bank):
    items.create_item_from_bank_json(session, bank, ESSAY, state=OPERATIONAL)
    session.commit()
    return bank


@pytest.fixture
def raters(make_user):
    return [make_user(role="rater") for _ in range(3)]


def answer_all(row):
    return NOTE if row.item.type == "extended_text" else "B"


def sitting(session, make_assessment, make_window, candidate, choose=answer_all, **settings):
    assessment = make_assessment(mode="fixed", n_forms=1, blueprint=BLUEPRINT, **settings)
    return sit(session, candidate, make_window(assessment), choose)


def essay_row(session, attempt) -> AttemptItem:
    rows = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    (row,) = [r for r in rows if r.item.type == "extended_text"]
    return row


def actions(session, attempt) -> list[str]:
    return [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "attempt",
                                                                       AuditEvent.subject_id == str(attempt.id))
                                              .order_by(AuditEvent.id))]


def test_a_written_answer_holds_the_score_until_a_rater_rates_it_from_the_queue(
        session, essay_bank, make_assessment, make_window, candidate, raters, login_as):
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="pre_course")
    session.refresh(attempt)
    assert attempt.state == states.AWAITING_RATINGS and attempt.raw_score is None
    row = essay_row(session, attempt)

    client = login_as(raters[0])
    page = client.get("/ratings/").get_data(as_text=True)
    assert f"/ratings/{row.id}" in page and candidate.name not in page
    shown = client.get(f"/ratings/{row.id}").get_data(as_text=True)
    assert NOTE in shown and "clear request" in shown and candidate.name not in shown
    refused = client.post(f"/ratings/{row.id}", data={"points": "7"})
    assert refused.status_code == 422 and "from 0 to 4" in refused.get_data(as_text=True)
    done = client.post(f"/ratings/{row.id}", data={"points": "3", "comment": "rule cited"})
    assert done.status_code == 302

    session.expire_all()
    attempt = session.get(type(attempt), attempt.id)
    assert attempt.state == states.SCORED
    # two single-choice items answered right (1 each) + 3 of 4 rated points
    assert (attempt.raw_score, attempt.max_score) == (5.0, 6.0)
    row = essay_row(session, attempt)
    assert (row.credit, row.max_credit, row.category) == (3.0, 4.0, 3)
    assert actions(session, attempt)[-5:] == ["attempt.await_ratings", "rating.recorded", "rating.agreed",
                                              "attempt.scored", "attempt.score"]
    assert "Nothing is waiting" in client.get("/ratings/").get_data(as_text=True)


def test_high_stakes_answers_get_two_raters_and_an_adjudicator_when_they_differ(
        session, essay_bank, make_assessment, make_window, candidate, raters):
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="certification",
                      rating_tolerance=1.0)
    row = essay_row(session, attempt)
    first, second, third = raters
    ratings.record_rating(session, first, row.id, 4)
    session.commit()
    assert [e.needs for e in ratings.queue(session, first)] == []  # blind second rating by another
    assert [e.needs for e in ratings.queue(session, second)] == ["second"]
    ratings.record_rating(session, second, row.id, 1)  # 3 apart: more than the tolerance of 1
    session.commit()
    assert session.get(type(attempt), attempt.id).state == states.AWAITING_RATINGS
    assert ratings.queue(session, first) == [] and ratings.queue(session, second) == []
    with pytest.raises(Forbidden):
        ratings.record_rating(session, second, row.id, 2)
    assert [e.needs for e in ratings.queue(session, third)] == ["adjudication"]
    ratings.record_rating(session, third, row.id, 2)
    session.commit()
    session.expire_all()
    row = session.get(AttemptItem, row.id)
    assert row.credit == 2.0  # the adjudicator's points stand
    assert session.get(type(attempt), attempt.id).state == states.SCORED
    assert "rating.adjudication_needed" in actions(session, attempt)


def test_two_ratings_within_the_tolerance_agree_on_their_mean(
        session, essay_bank, make_assessment, make_window, candidate, raters):
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="certification",
                      rating_tolerance=1.0)
    row = essay_row(session, attempt)
    ratings.record_rating(session, raters[0], row.id, 3)
    ratings.record_rating(session, raters[1], row.id, 2)
    session.commit()
    session.expire_all()
    row = session.get(AttemptItem, row.id)
    # mean 2.5; its IRT category rounds half up
    assert (row.credit, row.category) == (2.5, 3)
    assert session.get(type(attempt), attempt.id).state == states.SCORED


def test_an_unanswered_written_question_needs_no_rater(session, essay_bank, make_assessment, make_window, candidate):
    attempt = sitting(session, make_assessment, make_window, candidate,
                      choose=lambda row: None if row.item.type == "extended_text" else "B")
    session.refresh(attempt)
    assert attempt.state == states.SCORED and attempt.raw_score == 2.0


def test_points_must_be_whole_and_within_the_maximum(session, essay_bank, make_assessment, make_window,
                                                     candidate, raters):
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="pre_course")
    row = essay_row(session, attempt)
    for bad in ("2.5", "-1", "five", "5"):
        with pytest.raises(Invalid, match="whole number from 0 to 4"):
            ratings.record_rating(session, raters[0], row.id, bad)


def test_only_raters_open_the_rating_pages(session, essay_bank, make_assessment, make_window, candidate,
                                           login_as, make_user):
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="pre_course")
    row = essay_row(session, attempt)
    client = login_as(make_user(role="author"))
    assert client.get("/ratings/").status_code == 403
    assert client.get(f"/ratings/{row.id}").status_code == 403


def test_raters_of_another_agency_do_not_see_the_answer(session, essay_bank, make_assessment, make_window,
                                                        candidate, make_user, agency):
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="pre_course",
                      organisation=agency)
    other = make_user(role="rater", organisation="Another Agency")
    assert ratings.queue(session, other) == []
    with pytest.raises(Forbidden):
        ratings.record_rating(session, other, essay_row(session, attempt).id, 2)


def test_the_rater_sees_an_imported_question_with_its_table(session, bank, make_assessment, make_window, candidate,
                                                           raters, login_as):
    body = ("<p>Draft a note asking for sanction of a training course for two officers.</p>"
            "<table><tr><th>Officer</th><th>Course</th></tr><tr><td>A</td><td>Noting</td></tr></table>")
    items.create_item_from_bank_json(session, bank, {**ESSAY, "body": {"en": body, "hi": body}}, state=OPERATIONAL)
    session.commit()
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="pre_course")
    page = login_as(raters[0]).get(f"/ratings/{essay_row(session, attempt).id}").get_data(as_text=True)
    assert "<table>" in page and "<td>Noting</td>" in page


def test_the_adjudicator_sees_both_ratings_unnamed_before_giving_the_final_points(
        session, essay_bank, make_assessment, make_window, candidate, raters, login_as):
    attempt = sitting(session, make_assessment, make_window, candidate, purpose="certification",
                      rating_tolerance=1.0)
    row = essay_row(session, attempt)
    first, second, third = raters
    first_page = login_as(first).get(f"/ratings/{row.id}").get_data(as_text=True)
    assert 'id="earlier-ratings"' not in first_page
    ratings.record_rating(session, first, row.id, 4, "purpose, facts, rule 5 and the request: all there")
    session.commit()
    # the second rater rates blind: the first rating is nowhere on the page
    blind = login_as(second).get(f"/ratings/{row.id}").get_data(as_text=True)
    assert 'id="earlier-ratings"' not in blind and "rule 5 and the request" not in blind
    ratings.record_rating(session, second, row.id, 1)  # 3 apart, the tolerance is 1
    session.commit()

    client = login_as(third)
    page = client.get(f"/ratings/{row.id}").get_data(as_text=True)
    both = page[page.index('id="earlier-ratings"'):page.index("</section>", page.index('id="earlier-ratings"'))]
    assert "differ by 3 points, more than the 1 this assessment allows" in both
    assert "First rating" in both and "4 / 4" in both and "rule 5 and the request: all there" in both
    assert "Second rating (independent)" in both and "1 / 4" in both and "No comment" in both
    for rater in (first, second, candidate):  # the adjudicator's own name is in the page header
        assert rater.name not in page and rater.email not in page
    assert "Final points (0 to 4)" in page

    refused = client.post(f"/ratings/{row.id}", data={"points": "2.5"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Give whole points from 0 to 4." in text
    assert 'aria-describedby="points-error"' in text and 'id="earlier-ratings"' in text
    assert client.post(f"/ratings/{row.id}", data={"points": "2", "comment": "rule cited, request vague"}
                       ).status_code == 302
    session.expire_all()
    assert session.get(AttemptItem, row.id).credit == 2.0
    audit = actions(session, attempt)
    assert audit.count("rating.recorded") == 3 and "rating.adjudication_needed" in audit


MIXED = {"id": "MX-001", "type": "composite", "competency": "FN-NOTING", "level": 3, "sub_area": "writing",
         "stem": {"en": "A citizen's grievance has waited 40 days."},
         "parts": [{"id": "R1", "label": "1", "type": "single_choice", "points": 1,
                    "prompt": {"en": "Who must reply first?"},
                    "options": [{"id": "S", "text": {"en": "The section officer"}},
                                {"id": "M", "text": {"en": "The minister"}}], "key": "S"},
                   {"id": "R2", "label": "2", "type": "extended_text", "points": 4, "max_points": 4,
                    "prompt": {"en": "Draft the interim reply."},
                    "rubric": {"en": "4: apologises, gives a date, names the officer."}}]}
REPLY = "We regret the delay; the section officer will reply by 15 March."


def test_a_composite_with_a_written_part_waits_for_the_raters_and_adds_their_points_to_the_others(
        session, bank, make_assessment, make_window, candidate, raters, login_as):
    items.create_item_from_bank_json(session, bank, MIXED, state=OPERATIONAL)
    session.commit()

    def choose(row):
        return {"R1": "S", "R2": REPLY} if row.item.type == "composite" else "B"

    attempt = sitting(session, make_assessment, make_window, candidate, choose=choose, purpose="pre_course")
    session.refresh(attempt)
    assert attempt.state == states.AWAITING_RATINGS
    rows = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    (row,) = [r for r in rows if r.item.type == "composite"]
    client = login_as(raters[0])
    assert f"/ratings/{row.id}" in client.get("/ratings/").get_data(as_text=True)
    shown = client.get(f"/ratings/{row.id}").get_data(as_text=True)
    # the rater sees the case, the written part's prompt, its rubric and the written answer alone
    assert "waited 40 days" in shown and "Draft the interim reply." in shown and "names the officer" in shown
    assert REPLY in shown and "The section officer</" not in shown and 'max="4"' in shown
    assert client.post(f"/ratings/{row.id}", data={"points": "5"}).status_code == 422
    assert client.post(f"/ratings/{row.id}", data={"points": "2"}).status_code == 302
    session.expire_all()
    attempt = session.get(type(attempt), attempt.id)
    row = session.get(AttemptItem, row.id)
    # the choice part's 1 point and 2 of the written part's 4: (1 + 4 * 2/4) / 5
    assert attempt.state == states.SCORED and row.credit == pytest.approx(3 / 5) and row.category == 0


def test_a_composite_whose_written_part_is_left_blank_needs_no_rater(session, bank, make_assessment, make_window,
                                                                     candidate):
    items.create_item_from_bank_json(session, bank, MIXED, state=OPERATIONAL)
    session.commit()

    def choose(row):
        return {"R1": "S"} if row.item.type == "composite" else "B"

    attempt = sitting(session, make_assessment, make_window, candidate, choose=choose, purpose="pre_course")
    session.refresh(attempt)
    (row,) = [r for r in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))
              if r.item.type == "composite"]
    # nothing to rate: the choice part's 1 point of 5
    assert attempt.state == states.SCORED and row.credit == pytest.approx(1 / 5)


def test_a_composite_may_hold_one_written_part_only():
    from piaa.items.types import get_item_type

    two = {**MIXED, "parts": MIXED["parts"] + [{**MIXED["parts"][1], "id": "R3", "label": "3"}]}
    problems = get_item_type("composite").validate(get_item_type("composite").from_bank_json(two), ["en"])
    assert any("at most one part may be rated by people" in p["message"] for p in problems), problems
