"""Matching, hotspot and composite items written in the item form: what the posted rows become,
how they come back for editing, and each problem beside its box in plain words."""
from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from piaa.items import services
from piaa.items.forms import plain_problems, type_fields
from piaa.items.models import Item
from piaa.items.types import get_item_type
from tests.conftest import login
from tests.items.test_views import COMMON


@pytest.fixture
def author_client(app, author):
    client = app.test_client()
    login(client, author)
    return client


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 220, 240)).save(out, format="PNG")
    return out.getvalue()


MATCHING = {"source-0-en": "Noting", "source-0-hi": "टिप्पणी", "source-1-en": "Drafting", "source-1-hi": "प्रारूपण",
            "source-2-en": "", "source-2-hi": "",
            "target-0-en": "Writing on a file", "target-0-hi": "फ़ाइल पर लिखना",
            "target-1-en": "Preparing a letter", "target-1-hi": "पत्र तैयार करना",
            "target-2-en": "Filing", "target-2-hi": "फ़ाइल करना",
            "pair-0-0": "on", "pair-1-1": "on", "scoring": "exact"}


def test_matching_rows_become_two_lists_and_the_ticked_pairs():
    fields = type_fields("matching", MultiDict(MATCHING))
    assert [s["id"] for s in fields["sources"]] == ["S1", "S2"]  # the blank third row is left out
    assert [t["text"]["en"] for t in fields["targets"]] == ["Writing on a file", "Preparing a letter", "Filing"]
    assert fields["key"] == [["S1", "T1"], ["S2", "T2"]]
    assert fields["partial_credit"] is False and fields["mapping"] is None


def test_matching_weights_per_pair_are_a_mapping_and_score_as_qti_map_response():
    posted = {**MATCHING, "scoring": "weighted", "pair-0-0-points": "2", "pair-1-1-points": "1",
              "pair-0-1-points": "-1", "other_points": "0", "lower_bound": "0", "upper_bound": ""}
    fields = type_fields("matching", MultiDict(posted))
    assert fields["mapping"] == {"values": {"S1 T1": 2, "S1 T2": -1, "S2 T2": 1}, "lower_bound": 0, "default": 0}
    content = {"stem": {"en": "Match."}, **fields}
    kind = get_item_type("matching")
    assert kind.validate(content, ("en", "hi")) == []
    # best total 2 + 1 = 3; S1-T1 alone earns 2 of 3; S1-T2 (-1) with S2-T2 (1) totals 0
    assert kind.score(content, [["S1", "T1"]]).credit == pytest.approx(2 / 3)
    assert kind.score(content, [["S1", "T2"], ["S2", "T2"]]).credit == 0.0


def test_matching_problems_sit_beside_the_rows_they_are_about():
    posted = MultiDict({**MATCHING, "source-1-hi": "", "pair-0-0": "", "pair-1-1": ""})
    content = {"stem": {"en": "Match.", "hi": "मिलाएँ।"}, **type_fields("matching", posted)}
    problems = plain_problems("matching", get_item_type("matching").validate(content, ("en", "hi")), posted)
    assert problems.by_field["source-1-hi"] == ["The question has Hindi text, so this option needs it too."]
    assert problems.by_field["pairs"] == ["Tick the right pairs: at least one, each pair once."]
    assert all(anchor for anchor, _ in problems.summary)


AREAS = {"image_src": "media:" + "a" * 64, "image_width": "400", "image_height": "300",
         "image_alt_en": "A floor plan of the office", "image_alt_hi": "कार्यालय का नक्शा",
         "area-0-shape": "rect", "area-0-coords": "10, 20, 110, 120", "area-0-label-en": "Record room",
         "area-0-key": "on",
         "area-1-shape": "circle", "area-1-coords": "300 150 40", "area-1-label-en": "Reception",
         "area-2-shape": "poly", "area-2-coords": "200,10, 260,10, 230,60", "area-2-label-en": "Store",
         "area-3-shape": "rect", "area-3-coords": "", "max_choices": "1", "scoring": "exact"}


def test_hotspot_rows_become_areas_on_the_picture():
    fields = type_fields("hotspot", MultiDict(AREAS))
    assert fields["image"] == {"src": "media:" + "a" * 64, "width": 400, "height": 300,
                               "alt": {"en": "A floor plan of the office", "hi": "कार्यालय का नक्शा"}}
    assert [(a["id"], a["shape"], a["coords"]) for a in fields["areas"]] == [
        ("H1", "rect", [10, 20, 110, 120]), ("H2", "circle", [300, 150, 40]),
        ("H3", "poly", [200, 10, 260, 10, 230, 60])]
    assert fields["key"] == ["H1"] and fields["max_choices"] == 1 and fields["mapping"] is None
    assert get_item_type("hotspot").validate({"stem": {"en": "Where?"}, **fields}, ("en", "hi")) == []


@pytest.mark.parametrize("change, anchor, words", [
    ({"area-1-coords": "300, 150"}, "area-1-coords", "A circle takes three numbers"),
    ({"area-0-coords": "ten, 20, 110, 120"}, "area-0-coords", "A rectangle takes four numbers"),
    ({"area-2-coords": "1, 2, 3, 4"}, "area-2-coords", "A polygon takes three or more corners"),
    ({"area-0-key": ""}, "areas", "Tick at least one right area."),
    ({"image_src": ""}, "picture", "Upload the picture the candidate clicks on."),
    ({"max_choices": "0"}, "max_choices", "as a whole number, 1 or more"),
    ({"scoring": "weighted", "area-0-points": "-1"}, "scoring", "Give at least one choice points above 0."),
])
def test_hotspot_problems_in_plain_words_beside_their_boxes(change, anchor, words):
    posted = MultiDict({**AREAS, **change})
    content = {"stem": {"en": "Where?"}, **type_fields("hotspot", posted)}
    problems = plain_problems("hotspot", get_item_type("hotspot").validate(content, ("en", "hi")), posted)
    assert any(words in message for message in problems.by_field.get(anchor, [])), problems.summary


PARTS = {"part-0-id": "", "part-0-label": "a", "part-0-points": "2", "part-0-type": "single_choice",
         "part-0-option-0-en": "Section Officer", "part-0-option-1-en": "Clerk", "part-0-key": "0",
         "part-1-id": "", "part-1-label": "b", "part-1-points": "1", "part-1-type": "numeric_entry",
         "part-1-key_number": "30", "part-1-tolerance": "0", "part-1-unit": "days",
         "part-1-option-0-en": "", "part-1-key": "0",  # a hidden choice box left from another kind
         "part-2-id": "", "part-2-label": "", "part-2-type": "single_choice", "part-2-points": "1"}


def test_composite_parts_each_with_its_own_key_and_points():
    fields = type_fields("composite", MultiDict(PARTS))
    first, second = fields["parts"]  # the blank third part is left out
    assert first == {"id": "RESPONSE_1", "type": "single_choice", "label": "a", "points": 2,
                     "options": [{"id": "A", "text": {"en": "Section Officer"}}, {"id": "B", "text": {"en": "Clerk"}}],
                     "key": "A"}
    assert second == {"id": "RESPONSE_2", "type": "numeric_entry", "label": "b", "points": 1, "key": 30,
                      "tolerance": 0, "unit": "days"}
    content = {"stem": {"en": "Who signs ____ (a), within how many days ____ (b)?"}, **fields}
    kind = get_item_type("composite")
    assert kind.validate(content, ("en", "hi")) == []
    # the sum of the parts: 2 of 3 points for part a alone
    assert kind.score(content, {"RESPONSE_1": "A"}).credit == pytest.approx(2 / 3)
    assert kind.score(content, {"RESPONSE_1": "A", "RESPONSE_2": "30"}).category == 1


def test_composite_problems_go_to_the_part_they_are_about():
    posted = MultiDict({**PARTS, "part-0-key": "", "part-1-key_number": "thirty", "part-0-label": ""})
    content = {"stem": {"en": "Two questions."}, **type_fields("composite", posted)}
    problems = plain_problems("composite", get_item_type("composite").validate(content, ("en", "hi")), posted)
    assert problems.by_field["part-0-options"] == ["Choose the correct option."]
    assert problems.by_field["part-0-label"] == [
        "Give the part a short label that the question refers to, for example a or (i)."]
    assert problems.by_field["part-1-key_number"] == ["Type the correct value as a number, for example 30 or 2.5."]
    one = MultiDict({k: v for k, v in PARTS.items() if not k.startswith("part-1-")})
    content = {"stem": {"en": "One part."}, **type_fields("composite", one)}
    problems = plain_problems("composite", get_item_type("composite").validate(content, ("en", "hi")), one)
    assert problems.by_field["parts"] == ["Give between 2 and 8 parts."]


# --- through the pages ------------------------------------------------------------------------

def test_a_matching_item_written_and_edited_in_the_form(session, bank, author_client):
    page = author_client.get(f"/banks/{bank.id}/items/new/matching").get_data(as_text=True)
    for input_id in re.findall(r'<input[^>]*\bid="([^"]+)"', page):
        assert f'for="{input_id}"' in page, f"input {input_id} has no label"
    response = author_client.post(f"/banks/{bank.id}/items/new/matching",
                                  data={**COMMON, "code": "W-MATCH", **MATCHING, "scoring": "partial"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = session.scalar(select(Item).where(Item.code == "W-MATCH"))
    data = services.item_to_bank_json(item)
    assert data["key"] == [["S1", "T1"], ["S2", "T2"]] and data["partial_credit"] is True
    edit = author_client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert 'name="pair-0-0" checked' in edit and 'name="pair-1-1" checked' in edit
    assert 'name="pair-0-1" checked' not in edit and 'id="scoring-partial" name="scoring" value="partial" checked' in edit
    # each points box says which pair it is for, to a screen reader
    assert '<span class="visually-hidden">: Left item 2 with right item B</span>' in edit
    preview = author_client.get(f"/items/{item.id}/preview").get_data(as_text=True)
    assert "Preparing a letter" in preview and "S1 T1" not in preview


def test_a_refused_matching_item_keeps_what_was_typed_and_says_what_to_put_right(bank, author_client):
    response = author_client.post(f"/banks/{bank.id}/items/new/matching",
                                  data={**COMMON, "code": "W-MATCH", **MATCHING, "pair-0-0": "", "pair-1-1": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error" id="pairs-error">Tick the right pairs: at least one, each pair once. </p>' in html
    assert 'href="#pairs"' in html and 'value="Preparing a letter"' in html


def test_a_hotspot_item_picture_first_then_areas(session, bank, author_client):
    url = f"/banks/{bank.id}/items/new/hotspot"
    typed = {**COMMON, "code": "W-HOT", **{k: v for k, v in AREAS.items() if not k.startswith("image_")},
             "image_alt_en": "A floor plan of the office"}
    refused = author_client.post(url, data={**typed, "upload": "picture",
                                            "picture": (io.BytesIO(b"not a picture"), "plan.png")},
                                 content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Upload a PNG, JPEG, GIF or WebP picture." in refused.get_data(as_text=True)
    uploaded = author_client.post(url, data={**typed, "upload": "picture", "picture": (io.BytesIO(png(400, 300)), "plan.png")},
                                  content_type="multipart/form-data")
    html = uploaded.get_data(as_text=True)
    assert uploaded.status_code == 200, html[:2000]
    src = re.search(r'name="image_src" value="(media:[0-9a-f]{64})"', html).group(1)
    assert 'name="image_width" value="400"' in html and 'value="10, 20, 110, 120"' in html
    assert author_client.get("/media/" + src[6:]).status_code == 200
    # Enter in a box presses the form's first button, Upload: with no file chosen, that saves
    saved = author_client.post(url, data={**typed, "image_src": src, "image_width": "400", "image_height": "300",
                                          "upload": "picture", "picture": (io.BytesIO(b""), "")},
                               content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    item = session.scalar(select(Item).where(Item.code == "W-HOT"))
    data = services.item_to_bank_json(item)
    assert data["image"]["src"] == src and data["key"] == ["H1"]
    preview = author_client.get(f"/items/{item.id}/preview").get_data(as_text=True)
    assert "/media/" + src[6:] in preview and preview.count('class="hotspot-area"') == 3


def test_a_composite_item_written_in_the_form(session, bank, author_client):
    response = author_client.post(f"/banks/{bank.id}/items/new/composite",
                                  data={**COMMON, "code": "W-COMP", **PARTS})
    # the question has Hindi text, so a part's options need theirs, said beside each option
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#part-0-option-1-hi"' in html
    assert '<p class="error" id="part-0-option-1-hi-error">The question has Hindi text' in html
    response = author_client.post(f"/banks/{bank.id}/items/new/composite",
                                  data={**COMMON, "code": "W-COMP", **PARTS, "part-0-option-0-hi": "अनुभाग अधिकारी",
                                        "part-0-option-1-hi": "लिपिक"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = session.scalar(select(Item).where(Item.code == "W-COMP"))
    data = services.item_to_bank_json(item)
    assert [p["type"] for p in data["parts"]] == ["single_choice", "numeric_entry"]
    edit = author_client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert 'id="part-1-key_number" name="part-1-key_number" value="30"' in edit
    assert re.search(r'id="part-1-type"[^>]*>.*?<option value="numeric_entry" selected>', edit, re.S)


# --- an item from an import, edited and saved unchanged, keeps all it had ----------------------

class FormFields(HTMLParser):
    """What a browser would post from the page's item form, as it stands."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.inside = None  # the open <select> or <textarea>: (name, kind, chosen)
        self.text = ""
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "item-form" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form or "disabled" in a:
            return
        if tag == "input" and a.get("name") and a.get("type") != "file":
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag in ("select", "textarea") and a.get("name"):
            self.inside, self.text = [a["name"], tag, None], ""
        elif tag == "option" and self.inside and "selected" in a:
            self.inside[2] = a.get("value", "")

    def handle_data(self, data):
        if self.inside and self.inside[1] == "textarea":
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        if self.inside and tag == self.inside[1]:
            name, kind, chosen = self.inside
            self.fields.append((name, html.unescape(self.text).strip("\n") if kind == "textarea" else chosen or ""))
            self.inside = None


def posted_back(page: str) -> MultiDict:
    parser = FormFields()
    parser.feed(page)
    return MultiDict(parser.fields)


IMPORTED = {
    "matching": {"id": "IMP-MATCH", "type": "matching", "competency": "FN-NOTING", "level": 2,
                 "stem": {"en": "Match each officer with the register they keep."},
                 "sources": [{"id": "so", "text": {"en": "Section Officer"}, "match_max": 1},
                             {"id": "ac", "text": {"en": "Accountant"}, "match_max": 1}],
                 "targets": [{"id": "dak", "text": {"en": "Dak register"}}, {"id": "cash", "text": {"en": "Cash book"}},
                             {"id": "stock", "text": {"en": "Stock register"}}],
                 "key": [["so", "dak"], ["ac", "cash"]], "partial_credit": False,
                 "mapping": {"values": {"so dak": 1, "ac cash": 1, "so cash": -0.5}, "default": 0,
                             "lower_bound": 0, "upper_bound": 1.5}},
    "hotspot": {"id": "IMP-HOT", "type": "hotspot", "competency": "FN-NOTING", "level": 2,
                "stem": {"en": "Click the record room."},
                "image": {"src": "media:" + "b" * 64, "width": 640, "height": 480, "alt": {"en": "Floor plan"}},
                "areas": [{"id": "rr", "shape": "rect", "coords": [0, 0, 100, 80], "label": {"en": "Record room"}},
                          {"id": "rc", "shape": "ellipse", "coords": [320, 240, 60, 30]},
                          {"id": "st", "shape": "poly", "coords": [500, 10, 600, 10, 550, 90]}],
                "key": ["rr"], "max_choices": 1},
    "composite": {"id": "IMP-COMP", "type": "composite", "competency": "FN-NOTING", "level": 2,
                  "stem": {"en": "The note goes to ____ (1); the rule is ____ (2); match ____ (3)."},
                  "parts": [{"id": "R1", "type": "single_choice", "label": "1", "points": 1, "inline": True,
                             "shuffle": False,
                             "options": [{"id": "EL", "text": {"en": "Under Secretary"}},
                                         {"id": "JS", "text": {"en": "Joint Secretary"}}], "key": "EL"},
                            {"id": "R2", "type": "text_entry", "label": "2", "points": 2,
                             "accepted": [{"value": "Rule 3", "credit": 1}, {"value": "rule three", "credit": 0.5}],
                             "case_sensitive": False, "collapse_spaces": True},
                            {"id": "R3", "type": "matching", "label": "3", "points": 1,
                             "sources": [{"id": "a", "text": {"en": "A"}}], "targets": [{"id": "b", "text": {"en": "B"}}],
                             "key": [["a", "b"]], "partial_credit": False}]},
}


@pytest.mark.parametrize("item_type", sorted(IMPORTED))
def test_an_imported_item_saved_unchanged_from_the_form_keeps_everything(session, bank, author, author_client,
                                                                       item_type):
    item = services.create_item_from_bank_json(session, bank, IMPORTED[item_type], actor=author)
    session.commit()
    before = services.item_to_bank_json(item)
    page = author_client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    response = author_client.post(f"/items/{item.id}/edit", data=posted_back(page))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    session.expire_all()
    after = services.item_to_bank_json(session.get(Item, item.id))
    assert after == before
    assert session.get(Item, item.id).current_version == 1  # an edit that changes nothing makes nothing
