"""Weighted mappings (QTI map_response with values of their own): kept on the item, scored as
QTI scores them, written back out, and read again to the same keys."""
from __future__ import annotations

import pytest

from piaa.items import bank_format
from piaa.items.exporters import qti3
from piaa.items.importers import qti
from piaa.items.types import get_item_type
from piaa.items.types import mapping as weights

HEAD = ('<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="{id}" '
        'title="t" adaptive="false" time-dependent="false" xml:lang="en">')
TEMPLATE = ('<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/'
            'map_response"/></qti-assessment-item>')


def choice_item(cardinality: str, mapping: str, choices: dict[str, str], identifier: str = "W1") -> bytes:
    options = "".join(f'<qti-simple-choice identifier="{k}">{v}</qti-simple-choice>' for k, v in choices.items())
    return (HEAD.format(id=identifier)
            + f'<qti-response-declaration identifier="RESPONSE" cardinality="{cardinality}" base-type="identifier">'
            + f'{mapping}</qti-response-declaration>'
            + '<qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>'
            + '<qti-item-body><p>Which of these offices issue a service book?</p>'
            + f'<qti-choice-interaction response-identifier="RESPONSE" max-choices="0">{options}'
            + '</qti-choice-interaction></qti-item-body>' + TEMPLATE).encode()


OFFICES = {"DDO": "Drawing and disbursing officer", "HOO": "Head of office",
           "PAO": "Pay and accounts office", "CPIO": "Public information officer"}
# Two offices right (+1 each), one plausible wrong answer (-1), anything else -2; total in 0..2.
WEIGHTED = ('<qti-mapping lower-bound="0" upper-bound="2" default-value="-2">'
            '<qti-map-entry map-key="DDO" mapped-value="1"/><qti-map-entry map-key="HOO" mapped-value="1"/>'
            '<qti-map-entry map-key="PAO" mapped-value="-1"/></qti-mapping>')


def test_a_multiple_response_mapping_of_its_own_is_kept_and_scored_as_qti_does():
    found = qti.read_item(choice_item("multiple", WEIGHTED, OFFICES), "w.xml")
    item = found.item
    assert item["type"] == "multiple_response" and item["key"] == ["DDO", "HOO"]
    assert item["mapping"] == {"values": {"DDO": 1, "HOO": 1, "PAO": -1}, "default": -2,
                               "lower_bound": 0, "upper_bound": 2}
    assert bank_format.item_problems({**item, "competency": "FN-NOTING", "level": 2}, languages=["en"]) == []
    kind = get_item_type("multiple_response")
    content = kind.from_bank_json(item)
    # map_response by hand (QTI 3.0 ASI, mapResponse: sum of the distinct values' mapped values,
    # then the bounds): {DDO,HOO} = 2 -> 2/2; {DDO} = 1 -> 1/2; {DDO,PAO} = 0; {DDO,HOO,PAO} = 1
    # -> 1/2; {DDO,CPIO} = 1-2 = -1, bounded to 0.
    expected = {("DDO", "HOO"): 1.0, ("DDO",): 0.5, ("DDO", "PAO"): 0.0, ("DDO", "HOO", "PAO"): 0.5,
                ("DDO", "CPIO"): 0.0}
    for answer, credit in expected.items():
        assert kind.score(content, list(answer)).credit == pytest.approx(credit), answer
    assert kind.score(content, ["DDO", "HOO"]).category == 1
    assert kind.score(content, ["DDO"]).category == 0


def test_a_single_choice_with_part_credits_keeps_them():
    mapping = ('<qti-mapping default-value="0"><qti-map-entry map-key="DDO" mapped-value="2"/>'
               '<qti-map-entry map-key="HOO" mapped-value="0.5"/><qti-map-entry map-key="PAO" mapped-value="-1"/>'
               '</qti-mapping>')
    found = qti.read_item(choice_item("single", mapping, OFFICES), "s.xml")
    item = found.item
    assert item["type"] == "single_choice" and item["key"] == "DDO"
    assert "the mapping can total below 0; PIAA scores such an answer 0" in found.losses
    kind = get_item_type("single_choice")
    content = kind.from_bank_json(item)
    assert [kind.score(content, a).credit for a in ("DDO", "HOO", "PAO", "CPIO")] == [1.0, 0.25, 0.0, 0.0]


def test_whole_credits_zero_to_two_still_make_a_situational_judgement_item():
    mapping = ('<qti-mapping default-value="0"><qti-map-entry map-key="DDO" mapped-value="2"/>'
               '<qti-map-entry map-key="HOO" mapped-value="1"/></qti-mapping>')
    item = qti.read_item(choice_item("single", mapping, OFFICES), "p.xml").item
    assert item["type"] == "situational_judgement"
    assert [o["credit"] for o in item["options"]] == [2, 1, 0, 0]


PAIRS = HEAD.format(id="P1") + """
<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="directedPair">
 <qti-correct-response><qti-value>L1 R1</qti-value><qti-value>L2 R2</qti-value></qti-correct-response>
 <qti-mapping default-value="0" lower-bound="0">
  <qti-map-entry map-key="L1 R1" mapped-value="2"/><qti-map-entry map-key="L2 R2" mapped-value="1"/>
  <qti-map-entry map-key="L1 R2" mapped-value="-1"/></qti-mapping></qti-response-declaration>
<qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
<qti-item-body><qti-match-interaction response-identifier="RESPONSE" max-associations="2">
 <qti-prompt>Match each register to the office that keeps it.</qti-prompt>
 <qti-simple-match-set><qti-simple-associable-choice identifier="L1" match-max="1">Cash book</qti-simple-associable-choice>
 <qti-simple-associable-choice identifier="L2" match-max="1">Stock register</qti-simple-associable-choice></qti-simple-match-set>
 <qti-simple-match-set><qti-simple-associable-choice identifier="R1" match-max="1">Cash section</qti-simple-associable-choice>
 <qti-simple-associable-choice identifier="R2" match-max="1">Stores</qti-simple-associable-choice></qti-simple-match-set>
</qti-match-interaction></qti-item-body>""" + TEMPLATE


def test_weighted_pairs_are_kept_for_a_matching_item():
    item = qti.read_item(PAIRS.encode(), "m.xml").item
    assert item["type"] == "matching" and item["partial_credit"] is False
    assert item["mapping"]["values"] == {"L1 R1": 2, "L2 R2": 1, "L1 R2": -1}
    kind = get_item_type("matching")
    content = kind.from_bank_json(item)
    # best total 2 + 1 = 3: both right 3/3, the first alone 2/3, the second alone 1/3
    assert kind.score(content, [["L1", "R1"], ["L2", "R2"]]).credit == pytest.approx(1.0)
    assert kind.score(content, [["L1", "R1"]]).credit == pytest.approx(2 / 3)
    assert kind.score(content, [["L2", "R2"]]).credit == pytest.approx(1 / 3)
    assert kind.score(content, [["L1", "R2"]]).credit == 0.0


@pytest.mark.parametrize("data", [choice_item("multiple", WEIGHTED, OFFICES), PAIRS.encode()])
def test_weighted_items_export_and_import_again_to_the_same_keys(data):
    item = {**qti.read_item(data, "x.xml").item, "competency": "FN-NOTING", "level": 2}
    parsed, problems = qti.read_qti_file(qti3.package_bytes({"name": "W"}, [item]), "w.zip")
    assert problems == [] and parsed.unsupported == []
    again = parsed.items[0]
    for field in ("type", "key", "mapping", "partial_credit"):
        assert again.get(field) == item.get(field), field


def test_a_mapping_that_names_no_choice_or_earns_nothing_is_refused_by_the_checks():
    content = {"stem": {"en": "s"}, "options": [{"id": "a", "text": {"en": "A"}}, {"id": "b", "text": {"en": "B"}}],
               "key": "a", "mapping": {"values": {"z": 1, "a": -1}, "default": 0}}
    found = {p["field"] for p in get_item_type("single_choice").validate(content, ["en"])}
    assert "mapping.values.z" in found
    content["mapping"] = {"values": {"a": -1}, "default": 0}
    assert {p["field"] for p in get_item_type("single_choice").validate(content, ["en"])} == {"mapping"}


def test_the_best_total_respects_max_choices_and_bounds():
    mapping = {"values": {"a": 3, "b": 2, "c": 1}, "default": 0, "upper_bound": 4}
    assert weights.best_total(mapping, ["a", "b", "c"]) == 4
    assert weights.best_total(mapping, ["a", "b", "c"], most=1) == 3
    assert weights.credit(mapping, ["b", "c"], ["a", "b", "c"], most=2) == pytest.approx(3 / 4)


def test_saving_a_weighted_item_in_the_form_keeps_its_weights(session, bank, author, login_as):
    from piaa.items import services

    imported = qti.read_item(choice_item("multiple", WEIGHTED, OFFICES), "w.xml").item
    item = services.create_item_from_bank_json(session, bank, {**imported, "competency": "FN-NOTING", "level": 2},
                                               actor=author)
    session.commit()
    form = {"competency": "FN-NOTING", "level": "2", "stem_en": "Which offices issue a service book?"}
    for i, (option_id, text) in enumerate(OFFICES.items()):
        form.update({f"option-{i}-id": option_id, f"option-{i}-en": text})
    form.update({"option-0-key": "on", "option-1-key": "on"})
    client = login_as(author)
    assert client.post(f"/items/{item.id}/edit", data=form).status_code == 302
    session.expire_all()
    content = services.get_item(session, item.id, author).current.content
    assert content["mapping"] == imported["mapping"] and content["stem"]["en"] == "Which offices issue a service book?"
