"""Extended text from QTI: an item rated by people against the item's rubric for scorers, up to
the item's maximum score; what the source lacks (a rubric, a maximum) is listed; written back
out as a human-scored QTI item that imports to the same rubric and maximum."""
from __future__ import annotations

import json

import pytest

from piaa.errors import Invalid
from piaa.items import bank_format
from piaa.items.exporters import qti3
from piaa.items.importers import qti
from piaa.items.types import get_item_type
from tests.items.test_import_formats import QTI_FIXTURES

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
RATED = f"""<qti-assessment-item xmlns="{NS}" identifier="ESSAY-2" title="Note" adaptive="false" time-dependent="false">
 <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>
 <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float" normal-maximum="6"/>
 <qti-item-body>
  <p>A citizen's grievance has been pending for ninety days.</p>
  <qti-extended-text-interaction response-identifier="RESPONSE" expected-lines="8">
   <qti-prompt>Draft a reply that states the action taken and the date of disposal.</qti-prompt>
  </qti-extended-text-interaction>
  <qti-rubric-block view="scorer" use="scoring"><qti-content-body>
   <p>2 points each: the action taken, the date of disposal, a courteous close.</p></qti-content-body></qti-rubric-block>
  <qti-rubric-block view="candidate"><qti-content-body><p>Write about 100 words.</p></qti-content-body></qti-rubric-block>
 </qti-item-body>
</qti-assessment-item>"""


def test_an_essay_with_a_scorer_rubric_imports_as_a_rated_item():
    found = qti.read_item(RATED.encode(), "e.xml")
    item = found.item
    assert item["type"] == "extended_text" and item["max_points"] == 6
    assert item["rubric"] == {"en": "2 points each: the action taken, the date of disposal, a courteous close."}
    assert item["stem"] == {"en": "A citizen's grievance has been pending for ninety days.\n\n"
                                  "Draft a reply that states the action taken and the date of disposal."}
    assert found.losses == ["a rubric block for candidate not kept"]
    assert bank_format.item_problems({**item, "competency": "FN-NOTING", "level": 3}, languages=["en"]) == []


@pytest.mark.parametrize("name", ["v3_extended_text.xml", "v22_extended_text.xml"])
def test_an_essay_without_rubric_or_maximum_imports_with_both_listed(name):
    found = qti.read_item((QTI_FIXTURES / name).read_bytes(), name)
    assert found.item["type"] == "extended_text" and found.item["max_points"] == 1 and "rubric" not in found.item
    text = " | ".join(found.losses)
    assert "no rubric for scorers" in text and "no maximum score" in text


def test_the_candidate_never_sees_the_rubric_and_the_answer_is_not_scored_by_the_machine():
    kind = get_item_type("extended_text")
    content = kind.from_bank_json(qti.read_item(RATED.encode(), "e.xml").item)
    view = kind.candidate_view(content, "en")
    assert view["interaction"] == "essay" and "courteous" not in json.dumps(view)
    assert kind.check_answer(content, "Action taken on 5 May.") == "Action taken on 5 May."
    with pytest.raises(Invalid, match="scored by raters"):
        kind.score(content, "Action taken on 5 May.")
    assert kind.score(content, None).credit == 0.0
    assert kind.rated(content, 4.5) == type(kind.rated(content, 0))(4.5, 6.0, 5)
    with pytest.raises(Invalid, match="at most 10000"):
        kind.check_answer(content, "x" * 10_001)


def test_an_essay_exports_as_human_scored_qti_and_imports_again_the_same():
    item = {**qti.read_item(RATED.encode(), "e.xml").item, "competency": "FN-NOTING", "level": 3}
    xml = qti3.item_xml(item)
    assert b'external-scored="human"' in xml and b'normal-maximum="6"' in xml
    parsed, problems = qti.read_qti_file(qti3.package_bytes({"name": "E"}, [item]), "e.zip")
    assert problems == [] and parsed.unsupported == []
    again = parsed.items[0]
    assert {k: again[k] for k in ("type", "rubric", "max_points", "stem")} == \
        {k: item[k] for k in ("type", "rubric", "max_points", "stem")}



def test_an_author_writes_the_missing_rubric_in_the_item_form(session, bank, author, login_as):
    from piaa.items import services

    imported = qti.read_item((QTI_FIXTURES / "v3_extended_text.xml").read_bytes(), "e.xml").item
    item = services.create_item_from_bank_json(session, bank, {**imported, "competency": "FN-NOTING", "level": 3},
                                               actor=author)
    session.commit()
    client = login_as(author)
    page = client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert 'name="rubric_en"' in page and 'name="max_points"' in page
    form = {"competency": "FN-NOTING", "level": "3", "stem_en": imported["stem"]["en"],
            "rubric_en": "3: cost, need and budget head. 0: none of them.", "max_points": "3"}
    assert client.post(f"/items/{item.id}/edit", data=form).status_code == 302
    session.expire_all()
    content = services.get_item(session, item.id, author).current.content
    assert content["rubric"] == {"en": "3: cost, need and budget head. 0: none of them."}
    assert content["max_points"] == 3 and content["max_length"] == 10_000
    bank_page = client.get(f"/banks/{bank.id}").get_data(as_text=True)
    # every kind is written in the form now, composites among them
    assert "/items/new/extended_text" in bank_page and "/items/new/composite" in bank_page
    assert client.get(f"/banks/{bank.id}/items/new/composite").status_code == 200
