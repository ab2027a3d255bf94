"""Items answered on a picture, by pairing and on a slider: imported from QTI files written for
these tests, scored by QTI's rules, exported to QTI 3.0 and imported back with the same keys.

Expected scores are worked by hand from the QTI 3.0 rules named at each case (mapResponse,
mapResponsePoint with its area mapping, the pair and directedPair base types), then divided by
the best total the item allows, which is PIAA's credit (piaa.items.types.mapping).
"""
from __future__ import annotations

import numpy as np
import pytest

from piaa.errors import Invalid
from piaa.items import bank_format
from piaa.items.exporters import qti3
from piaa.items.importers import qti
from piaa.items.types import get_item_type
from piaa.items.types.hotspot import inside
from tests.items.test_import_formats import QTI_FIXTURES

RICH = QTI_FIXTURES / "rich"
KEY_FIELDS = ("type", "key", "mapping", "areas", "sources", "choices", "image", "partial_credit", "lower",
              "upper", "step", "max_choices", "max_associations")


def imported(name: str) -> tuple[dict, dict]:
    parsed, problems = qti.read_qti_path(RICH / name)
    assert problems == [] and parsed.unsupported == [], (problems, parsed.unsupported)
    (item,) = parsed.items
    return {**item, "competency": "FN-NOTING", "level": 2}, parsed.media


def score(item: dict, answer) -> float:
    kind = get_item_type(item["type"])
    return kind.score(kind.from_bank_json(item), answer).credit


# (file, type, fields expected, [(answer, credit worked by hand), ...])
CASES = [
    # match_correct on an ordered response: the exact order only
    ("v3_graphic_order.xml", "graphic_order", {"key": ["C", "A", "B"]},
     [(["C", "A", "B"], 1.0), (["A", "C", "B"], 0.0), (["C", "A"], 0.0)]),
    # mapResponse, +1 per right pair, -1 default, lower bound 0: PIAA's partial credit over 3 pairs;
    # two right and one wrong: max(0, 2 - 1) / 3
    ("v3_graphic_gap_match.xml", "graphic_gap_match",
     {"key": [["REG", "G1"], ["CASH", "G2"], ["SEAL", "G3"]], "partial_credit": True},
     [([["REG", "G1"], ["CASH", "G2"], ["SEAL", "G3"]], 1.0),
      ([["REG", "G1"], ["CASH", "G2"], ["LIB", "G3"]], 1 / 3),
      ([["LIB", "G1"]], 0.0)]),
    # mapResponse over pairs (undirected: "C B" is "B C"); best total 1 + 1 = 2;
    # B-C and A-B: 1 - 1 = 0; B-C alone: 1 / 2
    ("v3_graphic_associate.xml", "graphic_associate", {"key": [["B", "C"], ["C", "D"]], "max_associations": 3},
     [([["C", "B"], ["D", "C"]], 1.0), ([["B", "C"], ["A", "B"]], 0.0), ([["B", "C"]], 0.5)]),
    # mapResponse: A-P 2, C-M 1, D-L 1, default 0; best total 4 (three pairs allowed);
    # P-A and C-M: 3 / 4; A-P and A-C: match-max 1 refuses A twice (checked below)
    ("v3_associate.xml", "associate", {"key": [["A", "P"], ["C", "M"], ["D", "L"]], "max_associations": 3},
     [([["P", "A"], ["C", "M"], ["L", "D"]], 1.0), ([["P", "A"], ["C", "M"]], 0.75), ([["C", "L"]], 0.0)]),
    # mapResponsePoint: circle worth 1, rectangle worth 0.5, default 0, two points; best total 1.5;
    # two points in the circle count it once: 1 / 1.5; one in each: 1.5 / 1.5; rectangle alone: 0.5 / 1.5
    ("v3_select_point.xml", "select_point", {"max_choices": 2},
     [([[50, 50], [150, 50]], 1.0), ([[50, 50], [52, 48]], 2 / 3), ([[150, 50]], 1 / 3), ([[0, 0]], 0.0)]),
    # a position object is a select point with a marker: each exit's circle worth 1, a point in
    # neither -1 (the default), lower bound 0; best total 2. Both exits and a stray point:
    # 1 + 1 - 1 = 1, so 1 / 2; one exit and a stray: max(0, 1 - 1) = 0
    ("v3_position_object.xml", "select_point", {"max_choices": 3},
     [([[30, 30], [170, 70]], 1.0), ([[30, 30], [170, 70], [100, 50]], 0.5), ([[30, 30], [100, 50]], 0.0)]),
    # mapResponse on the value: 16 maps to 1, 12 to 0.5, an unmapped 30 to the default 0
    ("v3_slider.xml", "slider", {"key": 16, "lower": 0, "upper": 40, "step": 2},
     [(16, 1.0), (12, 0.5), (30, 0.0)]),
]


@pytest.mark.parametrize("name, kind, expected, answers", CASES)
def test_each_type_imports_and_scores_reference_answers_by_the_qti_rules(name, kind, expected, answers):
    item, media = imported(name)
    assert item["type"] == kind and {k: item[k] for k in expected} == expected
    assert bank_format.item_problems(item, languages=["en"]) == []
    for answer, credit in answers:
        assert score(item, answer) == pytest.approx(credit), answer
    if "image" in item:  # the picture is stored with the item
        assert item["image"]["src"][len("media:"):] in media


@pytest.mark.parametrize("name", [case[0] for case in CASES])
def test_each_type_exports_to_qti3_and_imports_back_with_the_same_keys(name):
    item, media = imported(name)

    def load(sha):
        return (media[sha].data, media[sha].content_type) if sha in media else None

    package = qti3.package_bytes({"name": "Round trip"}, [item], load)
    parsed, problems = qti.read_qti_file(package, "round-trip.zip")
    assert problems == [] and parsed.unsupported == []
    (again,) = parsed.items
    assert {k: again.get(k) for k in KEY_FIELDS} == {k: item.get(k) for k in KEY_FIELDS}
    assert set(parsed.media) == set(media)


@pytest.mark.parametrize("name", [case[0] for case in CASES])
def test_the_candidate_never_sees_a_key_or_a_value(name):
    item, _ = imported(name)
    kind = get_item_type(item["type"])
    view = kind.candidate_view(kind.from_bank_json(item), "en", np.random.default_rng(0))
    assert not {"key", "mapping", "partial_credit"} & set(view)
    if item["type"] == "select_point":  # its areas are the key
        assert "areas" not in view and view["image"].startswith("/media/")


def test_the_gap_picture_is_kept_with_its_text_alternative_and_the_stem_keeps_the_prompt():
    item, media = imported("v3_graphic_gap_match.xml")
    seal = next(s for s in item["sources"] if s["id"] == "SEAL")
    assert seal["text"] == {"en": "The office seal"} and '<img src="media:' in seal["html"]["en"]
    assert item["stem"]["en"] == "Label the counters of the office."
    view = get_item_type("graphic_gap_match").candidate_view(item, "en", None)
    assert [s.get("html", "")[:17] for s in view["sources"]][2] == '<img src="/media/'


def test_answers_of_the_wrong_shape_are_refused_naming_what_is_wrong():
    associate, _ = imported("v3_associate.xml")
    with pytest.raises(Invalid, match="A is in 2 pairs; at most 1"):
        score(associate, [["A", "P"], ["A", "C"]])
    with pytest.raises(Invalid, match="two different ids"):
        score(associate, [["A", "A"]])
    point, _ = imported("v3_select_point.xml")
    with pytest.raises(Invalid, match="outside the 200x100 picture"):
        score(point, [[250, 10]])
    with pytest.raises(Invalid, match="at most 2"):
        score(point, [[1, 1], [2, 2], [3, 3]])
    slider, _ = imported("v3_slider.xml")
    with pytest.raises(Invalid, match="not a value of the slider"):
        score(slider, 15)


def test_a_slider_without_a_mapping_earns_credit_for_its_correct_value_alone():
    data = (RICH / "v3_slider.xml").read_bytes()
    start, end = data.index(b"<qti-mapping"), data.index(b"</qti-mapping>") + len(b"</qti-mapping>")
    found = qti.read_item(data[:start] + data[end:], "slider.xml")
    assert "mapping" not in found.item
    assert found.losses == ["the response is mapped but the item declares no mapping; the correct value "
                            "alone earns credit"]
    assert score(found.item, 16) == 1.0 and score(found.item, 14) == 0.0


def test_a_select_point_scored_by_matching_one_exact_point_is_refused_with_the_reason():
    data = (RICH / "v3_select_point.xml").read_bytes().replace(b"map_response_point", b"match_correct")
    with pytest.raises(qti.Unsupported, match="area mapping"):
        qti.read_item(data, "point.xml")


@pytest.mark.parametrize("shape, coords, point, expected", [
    ("rect", [10, 10, 20, 20], (20, 15), True),        # an edge is inside
    ("circle", [0, 0, 5], (3, 4), True),               # 3-4-5: on the circle
    ("circle", [0, 0, 5], (4, 4), False),              # 32 > 25
    ("ellipse", [0, 0, 4, 2], (0, 2), True),
    ("ellipse", [0, 0, 4, 2], (3, 2), False),          # 9/16 + 4/4 > 1
    ("poly", [0, 0, 10, 0, 0, 10], (2, 2), True),      # inside the right triangle x + y <= 10
    ("poly", [0, 0, 10, 0, 0, 10], (6, 6), False),
])
def test_a_point_lies_inside_an_area_as_qti_shapes_say(shape, coords, point, expected):
    assert inside(shape, coords, *point) is expected


def test_an_item_whose_areas_do_not_fit_their_shapes_is_refused_naming_the_area():
    item, _ = imported("v3_graphic_order.xml")
    item["areas"][1]["coords"] = [1, 2]
    problems = bank_format.item_problems(item, languages=["en"])
    assert any(p["field"] == "areas[1].coords" for p in problems), problems


@pytest.mark.parametrize("name, controls", [
    ("v3_graphic_order.xml", ['name="answer-A"', 'name="answer-B"', 'name="answer-C"', 'class="area-mark"']),
    ("v3_graphic_gap_match.xml", ['name="answer-G1"', '<option value="SEAL">The office seal</option>']),
    ("v3_graphic_associate.xml", ['name="answer-2-2"', 'class="pairs"', 'class="area-mark"']),
    ("v3_associate.xml", ['name="answer-0-1"', '<option value="P">Expenditure</option>']),
    ("v3_select_point.xml", ['name="answer-x-1"', 'max="100"']),
    ("v3_slider.xml", ['type="range"', 'min="0" max="40" step="2"']),
])
def test_the_author_preview_shows_each_type_with_its_controls(app, name, controls):
    from flask import render_template_string

    item, _ = imported(name)
    kind = get_item_type(item["type"])
    view = kind.candidate_view(kind.from_bank_json(item), "en", np.random.default_rng(0))
    with app.test_request_context():
        html = render_template_string('{% from "items/_candidate.html" import render_item %}{{ render_item(view) }}',
                                      view=view)
    for control in controls:
        assert control in html, control


@pytest.mark.parametrize("name, field, shown_as, right", [
    # the picture's alternative text stands for it in the selects and for screen readers;
    # a picture without one is "Picture n"
    ("v3_match_pictures.xml", "sources", {"P1": "Form GFR 12", "P2": "Picture 2"}, [["P1", "T1"], ["P2", "T2"]]),
    ("v3_order_pictures.xml", "options", {"B": "Receipt stamp"}, ["B", "A", "C"]),
    ("v3_gap_pictures.xml", "sources", {"SEAL": "The seal"}, [["SEAL", "G1"], ["SIGN", "G2"]]),
])
def test_pictures_in_the_choices_of_other_interactions_are_kept_and_shown(name, field, shown_as, right):
    item, media = imported(name)
    assert bank_format.item_problems(item, languages=["en"]) == []
    pictured = {e["id"]: e for e in item[field] if e.get("html")}
    assert {k: e["text"]["en"] for k, e in pictured.items()} == shown_as
    assert all('src="media:' in e["html"]["en"] for e in pictured.values()) and len(media) == 1
    kind = get_item_type(item["type"])
    view = kind.candidate_view(kind.from_bank_json(item), "en", np.random.default_rng(0))
    shown = {e["id"]: e for e in view[field] if e.get("html")}
    assert set(shown) == set(shown_as) and all('src="/media/' in e["html"] for e in shown.values())
    assert score(item, right) == 1.0
    package = qti3.package_bytes({"name": "Pictures"}, [item], lambda sha: (media[sha].data, media[sha].content_type))
    parsed, problems = qti.read_qti_file(package, "pictures.zip")
    assert problems == [] and parsed.items[0][field] == item[field] and set(parsed.media) == set(media)


def test_an_upload_and_a_drawing_import_as_items_rated_by_people_and_export_back():
    from piaa.items.types.submitted import sniff

    upload, _ = imported("v3_upload.xml")
    assert upload["type"] == "upload" and upload["max_points"] == 3 and "signed" in upload["rubric"]["en"]
    assert upload["accept"] == ["application/pdf", "image/png"]  # a Word file is not one PIAA takes
    parsed, _ = qti.read_qti_path(RICH / "v3_upload.xml")
    assert [loss["message"] for loss in parsed.losses] == [
        "the upload also took application/msword files; PIAA takes application/pdf, image/png of them"]
    drawing, media = imported("v3_drawing.xml")
    assert drawing["type"] == "drawing" and drawing["max_points"] == 2 and drawing["image"]["width"] == 200
    assert drawing["stem"]["en"] == "Draw the way out of the building from the record room."
    for item, files in ((upload, {}), (drawing, media)):
        assert bank_format.item_problems(item, languages=["en"]) == []
        kind = get_item_type(item["type"])
        assert kind.human_rated and kind.rated_by_people(item)
        package = qti3.package_bytes({"name": "Rated"}, [item], lambda sha: (files[sha].data, files[sha].content_type))
        again, problems = qti.read_qti_file(package, "rated.zip")
        assert problems == [] and {k: again.items[0].get(k) for k in KEY_FIELDS + ("rubric", "max_points", "accept")} \
            == {k: item.get(k) for k in KEY_FIELDS + ("rubric", "max_points", "accept")}
    kind = get_item_type("upload")
    content = kind.from_bank_json(upload)
    good = {"file": "a" * 64, "name": "form.pdf", "type": "application/pdf", "size": 1000}
    assert kind.check_answer(content, good) == good
    with pytest.raises(Invalid, match="not one this question takes"):
        kind.check_answer(content, {**good, "type": "image/jpeg"})
    with pytest.raises(Invalid, match="at most"):
        kind.check_answer(content, {**good, "size": content["max_bytes"] + 1})
    # the file's type is told from its first bytes, never from its name
    assert sniff(b"%PDF-1.7 ...") == "application/pdf" and sniff(b"\x89PNG\r\n\x1a\n...") == "image/png"
    assert sniff(b"GIF89a...") is None and sniff(b"MZ\x90\x00 an executable") is None


def test_a_position_object_keeps_its_stage_as_the_picture_and_the_thing_placed_as_the_marker():
    item, media = imported("v3_position_object.xml")
    assert item["image"]["alt"] == {"en": "Plan of the floor"} and item["marker"]["width"] == 16
    assert item["stem"]["en"] == "Place a fire extinguisher at each exit of the floor."
    view = get_item_type("select_point").candidate_view(item, "en", None)
    assert view["marker"]["image"].startswith("/media/") and "areas" not in view


def test_the_authors_pages_show_each_new_type(session, bank, author, login_as):
    from piaa.items import services
    from piaa.items.media import store_media

    client = login_as(author)
    names = [case[0] for case in CASES] + ["v3_upload.xml", "v3_drawing.xml", "v3_match_pictures.xml"]
    for name in names:
        item, media = imported(name)
        store_media(session, media)
        created = services.create_item_from_bank_json(session, bank, {**item, "competency": "FN-NOTING"},
                                                       actor=author)
        session.commit()
        for path in (f"/items/{created.id}", f"/items/{created.id}/preview"):
            response = client.get(path)
            assert response.status_code == 200, (name, path)
        for sha in media:  # the item's pictures are served for the preview
            assert client.get(f"/media/{sha}").status_code == 200
