"""Composite items: several interactions in one QTI item become one PIAA item with its parts,
scored once as the item's response processing scores it, delivered with each part's widget,
and written back out to QTI that imports to the same parts and keys."""
from __future__ import annotations

import json

import pytest

from piaa.errors import Invalid
from piaa.items import bank_format
from piaa.items.exporters import qti3
from piaa.items.importers import qti
from piaa.items.types import get_item_type

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"

# A sentence with an inline choice and an answer box, then a choice question; each scored into
# its own outcome (SCORE1..3) which SCORE sums, as authoring tools write it. The answer box
# earns 2 points by its mapping ("Rule 3" full, "rule three" half), the others 1 each.
SENTENCE = f"""<qti-assessment-item xmlns="{NS}" identifier="CMP-1" title="Leave rules" adaptive="false"
  time-dependent="false" xml:lang="en">
 <qti-response-declaration identifier="R1" cardinality="single" base-type="identifier">
  <qti-correct-response><qti-value>EL</qti-value></qti-correct-response></qti-response-declaration>
 <qti-response-declaration identifier="R2" cardinality="single" base-type="string">
  <qti-correct-response><qti-value>Rule 3</qti-value></qti-correct-response>
  <qti-mapping default-value="0"><qti-map-entry map-key="Rule 3" mapped-value="2" case-sensitive="false"/>
   <qti-map-entry map-key="rule three" mapped-value="1" case-sensitive="false"/></qti-mapping></qti-response-declaration>
 <qti-response-declaration identifier="R3" cardinality="single" base-type="identifier">
  <qti-correct-response><qti-value>yes</qti-value></qti-correct-response></qti-response-declaration>
 <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
 <qti-outcome-declaration identifier="SCORE1" cardinality="single" base-type="float"/>
 <qti-outcome-declaration identifier="SCORE2" cardinality="single" base-type="float"/>
 <qti-outcome-declaration identifier="SCORE3" cardinality="single" base-type="float"/>
 <qti-outcome-declaration identifier="FEEDBACK" cardinality="single" base-type="identifier"/>
 <qti-item-body>
  <p>Leave earned on duty is called <qti-inline-choice-interaction response-identifier="R1">
   <qti-inline-choice identifier="EL">earned leave</qti-inline-choice>
   <qti-inline-choice identifier="CL">casual leave</qti-inline-choice></qti-inline-choice-interaction>
   and it is governed by <qti-text-entry-interaction response-identifier="R2"/> of the leave rules.</p>
  <qti-choice-interaction response-identifier="R3" max-choices="1">
   <qti-prompt>May it be carried forward to the next year?</qti-prompt>
   <qti-simple-choice identifier="yes">Yes</qti-simple-choice>
   <qti-simple-choice identifier="no">No</qti-simple-choice></qti-choice-interaction>
 </qti-item-body>
 <qti-response-processing>
  <qti-response-condition><qti-response-if><qti-match><qti-variable identifier="R1"/><qti-correct identifier="R1"/></qti-match>
   <qti-set-outcome-value identifier="SCORE1"><qti-base-value base-type="float">1</qti-base-value></qti-set-outcome-value>
   <qti-set-outcome-value identifier="FEEDBACK"><qti-base-value base-type="identifier">ok1</qti-base-value></qti-set-outcome-value>
   </qti-response-if><qti-response-else>
   <qti-set-outcome-value identifier="SCORE1"><qti-base-value base-type="float">0</qti-base-value></qti-set-outcome-value>
   </qti-response-else></qti-response-condition>
  <qti-response-condition><qti-response-if><qti-and><qti-not><qti-is-null><qti-variable identifier="R2"/></qti-is-null></qti-not></qti-and>
   <qti-set-outcome-value identifier="SCORE2"><qti-map-response identifier="R2"/></qti-set-outcome-value>
   </qti-response-if></qti-response-condition>
  <qti-response-condition><qti-response-if><qti-match><qti-variable identifier="R3"/><qti-correct identifier="R3"/></qti-match>
   <qti-set-outcome-value identifier="SCORE3"><qti-base-value base-type="float">1</qti-base-value></qti-set-outcome-value>
   </qti-response-if></qti-response-condition>
  <qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE1"/>
   <qti-variable identifier="SCORE2"/><qti-variable identifier="SCORE3"/></qti-sum></qti-set-outcome-value>
 </qti-response-processing>
</qti-assessment-item>"""


def imported(data: str = SENTENCE):
    return qti.read_item(data.encode(), "cmp.xml")


def test_several_interactions_become_one_composite_item_with_its_parts():
    item = imported().item
    assert item["type"] == "composite"
    assert item["stem"] == {"en": "Leave earned on duty is called ____ (1)\nand it is governed by ____ (2) of the leave rules."}
    parts = item["parts"]
    assert [(p["id"], p["label"], p["type"], p["points"]) for p in parts] == [
        ("R1", "1", "single_choice", 1), ("R2", "2", "text_entry", 2), ("R3", "3", "single_choice", 1)]
    assert parts[0]["inline"] is True and parts[0]["key"] == "EL"
    assert parts[1]["accepted"] == [{"value": "Rule 3", "credit": 1.0}, {"value": "rule three", "credit": 0.5}]
    assert parts[2]["prompt"] == {"en": "May it be carried forward to the next year?"}
    assert bank_format.item_problems({**item, "competency": "FN-NOTING", "level": 2}, languages=["en"]) == []


@pytest.mark.parametrize("answer, credit", [
    # SCORE = SCORE1 + SCORE2 + SCORE3 out of 1 + 2 + 1 = 4 (worked by hand from the rules above)
    ({"R1": "EL", "R2": "rule 3", "R3": "yes"}, 1.0),
    ({"R1": "EL", "R2": "Rule three", "R3": "yes"}, 3 / 4),
    ({"R1": "CL", "R2": "Rule 3"}, 2 / 4),
    ({"R3": "yes"}, 1 / 4),
    ({}, 0.0),
])
def test_the_composite_scores_as_the_sum_the_response_processing_computes(answer, credit):
    kind = get_item_type("composite")
    content = kind.from_bank_json(imported().item)
    score = kind.score(content, answer)
    assert score.credit == pytest.approx(credit)
    assert score.category == (1 if credit == 1.0 else 0)


def test_a_composite_answer_is_checked_part_by_part():
    kind = get_item_type("composite")
    content = kind.from_bank_json(imported().item)
    with pytest.raises(Invalid, match="part R1"):
        kind.check_answer(content, {"R1": "XX"})
    with pytest.raises(Invalid, match="unknown part"):
        kind.check_answer(content, {"R9": "x"})
    with pytest.raises(Invalid, match="object of part id"):
        kind.check_answer(content, ["EL"])


def test_the_candidate_sees_each_part_and_no_key():
    kind = get_item_type("composite")
    view = kind.candidate_view(kind.from_bank_json(imported().item), "en")
    assert view["interaction"] == "composite"
    assert [(p["id"], p["interaction"], p["inline"]) for p in view["parts"]] == [
        ("R1", "choice", True), ("R2", "text", False), ("R3", "choice", False)]
    shown = json.dumps(view)
    for secret in ('"key"', "accepted", "Rule 3", "points", "credit"):
        assert secret not in shown


def test_a_composite_exports_and_imports_again_to_the_same_parts():
    item = {**imported().item, "competency": "FN-NOTING", "level": 2}
    parsed, problems = qti.read_qti_file(qti3.package_bytes({"name": "C"}, [item]), "c.zip")
    assert problems == [] and parsed.unsupported == []
    again = parsed.items[0]
    assert again["parts"] == item["parts"]
    assert again["stem"] == item["stem"]


def test_without_response_processing_each_correct_response_is_matched_and_that_is_listed():
    start = SENTENCE.index("<qti-response-processing>")
    end = SENTENCE.index("</qti-response-processing>") + len("</qti-response-processing>")
    found = imported(SENTENCE[:start] + SENTENCE[end:])
    assert [p["points"] for p in found.item["parts"]] == [1, 1, 1]
    assert any("no response processing" in loss for loss in found.losses)


def test_a_part_the_processing_does_not_score_counts_for_nothing_and_is_listed():
    unscored = SENTENCE.replace('<qti-variable identifier="SCORE3"/>', "")
    found = imported(unscored)
    assert found.item["parts"][2]["points"] == 0
    assert "part 3 (R3) is not scored by the item's response processing; it counts for nothing" in found.losses


def test_an_interaction_a_composite_cannot_hold_refuses_the_item_with_the_part():
    bad = SENTENCE.replace('<qti-correct-response><qti-value>yes</qti-value></qti-correct-response>', "")
    with pytest.raises(qti.Unsupported, match=r"part 3 \(R3\)"):
        imported(bad)


def test_the_item_preview_shows_every_part_with_its_own_answer_field(app):
    from flask import render_template_string

    kind = get_item_type("composite")
    view = kind.candidate_view(kind.from_bank_json(imported().item), "en")
    with app.test_request_context():
        html = render_template_string('{% from "items/_candidate.html" import render_item %}{{ render_item(view) }}',
                                      view=view)
    assert html.count('class="composite-part"') == 3
    assert 'name="answer-R1"' in html and 'name="answer-R2"' in html and 'name="answer-R3"' in html
    assert "May it be carried forward" in html and "Rule 3" not in html


def test_a_written_part_is_rated_by_people_worth_what_the_maximum_leaves_and_exports_back():
    from tests.items.test_import_formats import QTI_FIXTURES

    found = qti.read_item((QTI_FIXTURES / "v3_choice_and_essay.xml").read_bytes(), "mix.xml")
    assert found.losses == []
    choice, written = found.item["parts"]
    # SCORE's normal-maximum 5 less the choice's 1 point: the written part is worth 4 whole points
    assert choice["points"] == 1 and written["type"] == "extended_text"
    assert written["points"] == written["max_points"] == 4 and "gives a date" in written["rubric"]["en"]
    assert written["prompt"] == {"en": "Draft the interim reply."}
    kind = get_item_type("composite")
    content = kind.from_bank_json(found.item)
    assert kind.rated_by_people(content) and not get_item_type("single_choice").rated_by_people({})
    rater_view, text = kind.for_raters(content, {"R1": "S", "R2": "Interim reply."})
    assert text == "Interim reply." and rater_view["max_points"] == 4
    assert rater_view["stem"]["en"] == "A citizen's grievance has waited 40 days.\n\nDraft the interim reply."
    # (1 point for the choice + 4 x 3/4 for the raters' 3 of 4) / 5
    assert kind.rated(content, 3, {"R1": "S", "R2": "Interim reply."}).credit == pytest.approx(4 / 5)
    assert kind.rated(content, 4, {"R1": "S", "R2": "x"}).category == 1
    item = {**found.item, "competency": "FN-NOTING", "level": 3}
    parsed, problems = qti.read_qti_file(qti3.package_bytes({"name": "Mixed"}, [item]), "mixed.zip")
    assert problems == [] and parsed.losses == [] and parsed.items[0]["parts"] == found.item["parts"]
