"""QTI items that keep their own processing: imported with it, scored by running it, written
back out with it, and item models whose instances carry their own values and key."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from piaa.items import bank_format, item_models
from piaa.items.exporters import qti3
from piaa.items.importers import qti
from piaa.items.types import META_FIELDS, get_item_type

QTI_FIXTURES = Path(__file__).parent / "fixtures" / "qti"


def read(name: str) -> qti.QtiItem:
    path = QTI_FIXTURES / name
    return qti.read_item(path.read_bytes(), name, {"competency": "FN-NOTING", "level": 3})


def content_of(item: dict) -> dict:
    return {k: v for k, v in item.items() if k not in META_FIELDS}


def score(item: dict, answer, content: dict | None = None):
    return get_item_type(item["type"]).score(content or content_of(item), answer)


def test_custom_processing_is_kept_and_scores_as_the_author_wrote_it():
    converted = read("v3_order_partial_rules.xml")
    item = converted.item
    assert item["type"] == "ordering" and item["key"] == ["R", "D", "S"]
    assert "qti-response-processing" in item["scoring"]["qti"] and item["scoring"]["response"] == "RESPONSE"
    assert bank_format.item_problems(item, languages=["en"]) == []
    # The processing: the right order 2 of normal-maximum 2; receipt section first 1 of 2.
    assert score(item, ["R", "D", "S"]).credit == 1.0 and score(item, ["R", "D", "S"]).category == 1
    assert score(item, ["R", "S", "D"]).credit == pytest.approx(0.5)
    assert score(item, ["S", "R", "D"]).credit == 0.0
    assert score(item, None).credit == 0.0


def test_kept_processing_is_written_back_and_imports_to_the_same_keys():
    item = read("v3_order_partial_rules.xml").item
    package = qti3.package_bytes({"name": "kept"}, [item])
    parsed, problems = qti.read_qti_file(package, "kept.zip")
    assert problems == [] and parsed.unsupported == []
    (again,) = parsed.items
    assert again["scoring"] == item["scoring"] and again["key"] == item["key"]
    exported = qti3.item_xml(item).decode()
    assert exported.count("<qti-response-processing") == 1 and "qti-index" in exported


def test_an_expression_piaa_does_not_run_refuses_the_item_naming_it_and_its_line():
    parsed, problems = qti.read_qti_path(QTI_FIXTURES / "v3_unknown_operator.xml")
    assert problems == [] and parsed.items == []
    (refused,) = parsed.unsupported
    assert "qti-custom-operator (line 11)" in refused["message"]


def test_a_key_the_item_does_not_declare_is_the_response_its_processing_credits():
    source = (QTI_FIXTURES / "v3_order_partial_rules.xml").read_text()
    without_key = source.replace('<qti-value>R</qti-value><qti-value>D</qti-value><qti-value>S</qti-value>', "") \
        .replace("<qti-correct-response>", "").replace("</qti-correct-response>", "") \
        .replace('<qti-correct identifier="RESPONSE"/>',
                 '<qti-ordered><qti-base-value base-type="identifier">R</qti-base-value><qti-base-value '
                 'base-type="identifier">D</qti-base-value><qti-base-value base-type="identifier">S'
                 '</qti-base-value></qti-ordered>')
    item = qti.read_item(without_key.encode(), "x.xml", {"competency": "FN-NOTING", "level": 3}).item
    assert item["key"] == ["R", "D", "S"]
    assert score(item, ["R", "D", "S"]).credit == 1.0


def test_an_item_model_imports_with_markers_and_each_instance_has_its_values_and_key():
    converted = read("v3_item_model.xml")
    item = converted.item
    assert item["type"] == "numeric_entry"
    assert "{{FILES}}" in item["stem"]["en"] and "{{DAYS}}" in item["stem"]["en"]
    assert not any("template" in loss for loss in converted.losses)
    assert bank_format.item_problems(item, languages=["en"]) == []
    content = content_of(item)
    first, drawn = item_models.attempt_content(content, "numeric_entry", None, [101, 7])
    again, same = item_models.attempt_content(content, "numeric_entry", drawn, [999, 7])
    assert same == drawn and again["stem"] == first["stem"]  # a stored instance is reused
    values = {k: int(v["values"][0]) if k != "URGENT" else v["values"][0] for k, v in drawn["templates"].items()}
    stem = first["stem"]["en"]
    assert f"clear {values['FILES']} files in {values['DAYS']} days" in stem and "{{" not in stem
    assert ("marked urgent" in stem) == (values["URGENT"] == "yes")
    right = values["FILES"] // values["DAYS"]
    assert first["key"] == right
    assert score(item, right, first).credit == 1.0 and score(item, right + 1, first).credit == 0.0
    other, _ = item_models.attempt_content(content, "numeric_entry", None, [102, 7])
    assert other["stem"] != first["stem"]
    assert content == content_of(item)  # the stored item is not changed by drawing


def test_an_item_model_is_written_back_with_its_template_processing():
    item = read("v3_item_model.xml").item
    exported = qti3.item_xml(item).decode()
    assert "qti-template-processing" in exported and "qti-set-correct-response" in exported
    # The values the candidate sees are QTI's own elements again, not PIAA's markers.
    assert '<qti-printed-variable identifier="FILES"/>' in exported and "{{" not in exported
    assert '<qti-template-inline template-identifier="URGENT" identifier="yes" show-hide="show">' in exported
    package = qti3.package_bytes({"name": "models"}, [item])
    parsed, problems = qti.read_qti_file(package, "models.zip")
    assert problems == [] and [i["scoring"] for i in parsed.items] == [item["scoring"]]
    assert parsed.items[0]["stem"] == item["stem"]


def test_template_blocks_nest_and_hide():
    values = {"T": item_models.qp.Value("single", "identifier", "a")}
    text = "x {{#1 show T a}}A{{#2 hide T a}}not A{{/2}}!{{/1}}{{#3 show T b}}B{{/3}} y"
    assert item_models.fill(text, values) == "x A! y"
    assert item_models.fill("<p>{{T}}</p>", {"T": item_models.qp.Value("single", "string", "<b>")}, markup=True) \
        == "<p>&lt;b&gt;</p>"


def test_a_scoring_field_that_does_not_run_is_a_problem_of_the_item():
    item = copy.deepcopy(read("v3_order_partial_rules.xml").item)
    item["scoring"]["qti"] = item["scoring"]["qti"].replace("qti-index", "qti-mystery")
    found = bank_format.item_problems(item, languages=["en"])
    assert found and found[0]["field"] == "scoring.qti" and "qti-mystery" in found[0]["message"]


# --- items that give no key -------------------------------------------------------------------

def test_an_item_without_any_key_imports_as_a_draft_whose_key_is_missing():
    converted = read("v3_two_choices_one_key.xml")
    item = converted.item
    assert item["type"] == "composite" and item["key_missing"] is True
    first, second = item["parts"]
    assert first["key"] == "D" and "key" not in second  # the given key is kept, none is invented
    assert any("no key for RESPONSE2" in loss and "draft" in loss for loss in converted.losses)
    assert bank_format.item_problems(item, languages=["en"]) == []
    # Without the marker, the missing key is a problem like any other.
    unmarked = {k: v for k, v in item.items() if k != "key_missing"}
    assert any(p["field"].endswith("key") for p in bank_format.item_problems(unmarked, languages=["en"]))
    # Written out as it came (no processing, no correct response for that part), it reads back the same.
    parsed, problems = qti.read_qti_file(qti3.package_bytes({"name": "drafts"}, [item]), "drafts.zip")
    assert problems == [] and parsed.items[0]["key_missing"] is True
    assert [p.get("key") for p in parsed.items[0]["parts"]] == ["D", None]


def test_a_draft_without_its_key_cannot_be_sent_for_review_until_an_author_sets_it(session, bank, author):
    from piaa.errors import Conflict
    from piaa.items import services
    from piaa.items.models import DRAFT

    item = read("v3_two_choices_one_key.xml").item
    # Loaded as operational, it is still a draft: its key is missing.
    created = services.create_item_from_bank_json(session, bank, {**item, "id": "KEYLESS-1"}, state="operational")
    assert created.state == DRAFT
    with pytest.raises(Conflict, match="no key yet"):
        services.submit_item(session, created, actor=author)
    keyed = copy.deepcopy(content_of(item))
    keyed.pop("key_missing")
    keyed["parts"][1]["key"] = "H"
    services.update_item(session, created, content=keyed, actor=author)
    services.submit_item(session, created, actor=author)
    assert created.state == "in_review"


def test_the_item_page_and_preview_show_an_item_model_as_authors_need_it(session, bank, author, login_as):
    from piaa.items import services

    item = {**read("v3_item_model.xml").item, "id": "MODEL-1"}
    created = services.create_item_from_bank_json(session, bank, item, actor=author)
    session.commit()
    client = login_as(author)
    page = client.get(f"/items/{created.id}").get_data(as_text=True)
    assert "An item model" in page and "Calibration treats all its instances as one item" in page
    previews = [client.get(f"/items/{created.id}/preview?lang=en").get_data(as_text=True) for _ in range(2)]
    assert all("files in" in p and "{{FILES}}" not in p for p in previews)


def test_an_item_model_compared_with_its_own_values_shows_each_instance_its_key():
    source = (QTI_FIXTURES / "v3_item_model.xml").read_text()
    start, end = source.index("<qti-set-correct-response"), source.index("</qti-set-correct-response>")
    source = source[:start] + source[end + len("</qti-set-correct-response>"):]
    source = source.replace(
        '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>',
        '<qti-template-declaration identifier="RATE" cardinality="single" base-type="integer"/>'
        '<qti-response-processing><qti-response-condition><qti-response-if><qti-equal tolerance-mode="exact">'
        '<qti-variable identifier="RESPONSE"/><qti-variable identifier="DAYS"/></qti-equal>'
        '<qti-set-outcome-value identifier="SCORE"><qti-base-value base-type="float">1</qti-base-value>'
        "</qti-set-outcome-value></qti-response-if></qti-response-condition></qti-response-processing>")
    source = source.replace('<qti-template-declaration identifier="RATE" cardinality="single" base-type="integer"/>', "")
    item = qti.read_item(source.encode(), "x.xml", {"competency": "FN-NOTING", "level": 3}).item
    content = content_of(item)
    for seed in (1, 2, 3):
        shown, drawn = item_models.attempt_content(content, "numeric_entry", None, [seed, 5])
        days = int(drawn["templates"]["DAYS"]["values"][0])
        assert shown["key"] == days  # the instance's own value its processing credits
        assert score(item, days, shown).credit == 1.0


def test_a_spreadsheet_refuses_what_its_rows_cannot_carry():
    from piaa.errors import Invalid
    from piaa.items.exporters import tabular

    kept = read("v3_order_partial_rules.xml").item
    with pytest.raises(Invalid) as refused:
        tabular.rows([kept], ["en"])
    assert refused.value.problems[0]["field"] == "scoring" and "export as json or qti3" in \
        refused.value.problems[0]["message"]
