"""QTI as authors' tools write it: standard scoring woven with feedback, no rationale, content
PIAA cannot keep listed item by item, and imports that skip items one by one."""
from __future__ import annotations

import re

import numpy as np
import pytest
from lxml import etree
from sqlalchemy import func, select

from piaa.errors import Invalid
from piaa.items import bank_format, services
from piaa.items.import_service import ImportOptions, import_path
from piaa.items.importers import qti, qti_scoring
from piaa.items.models import ItemBank
from tests.items.test_import_formats import QTI_FIXTURES, package
from tests.items.test_import_service import BankCommand, count_items

NS = qti.QTI3_NS


def rules(xml: str):
    return etree.fromstring(f'<qti-response-processing xmlns="{NS}">{xml}</qti-response-processing>')


MATCH = ('<qti-match><qti-variable identifier="R"/><qti-correct identifier="R"/></qti-match>')
SET = '<qti-set-outcome-value identifier="{id}">{expr}</qti-set-outcome-value>'
CONST = '<qti-base-value base-type="float">{}</qti-base-value>'


MAP_R = '<qti-map-response identifier="R"/>'


def set_score(value: str) -> str:
    return SET.format(id="SCORE", expr=value)


# --- recognising standard scoring ---------------------------------------------------------------

@pytest.mark.parametrize("name, kind, expected", [
    ("v3_modal_feedback.xml", "single_choice", {"key": "R2"}),
    ("v3_map_feedbackbasic.xml", "text_entry",
     {"accepted": [{"value": "earned leave", "credit": 1.0}, {"value": "EL", "credit": 0.5}]}),
    ("v3_else_if_chain.xml", "numeric_entry", {"key": 200.0, "tolerance": 10.0}),
])
def test_standard_scoring_is_recognised_beside_feedback_outcomes(name, kind, expected):
    converted = qti.read_item((QTI_FIXTURES / name).read_bytes(), name)
    found = converted.item
    assert found["type"] == kind
    assert {k: found[k] for k in expected} == expected
    assert "rationale" not in found
    filled = {**found, "competency": "FN-NOTING", "level": 2}
    assert bank_format.item_problems(filled, languages=["en"]) == []


def test_modal_and_inline_feedback_are_kept_with_their_meaning():
    found = qti.item_from_qti((QTI_FIXTURES / "v3_modal_feedback.xml").read_bytes(), "fb.xml")
    assert found["feedback"] == [
        {"outcome": "FEEDBACK", "value": "right", "show": True, "when": "correct",
         "text": {"en": "Yes: the section diary comes first."}},
        {"outcome": "FEEDBACK", "value": "wrong", "show": True, "when": "incorrect",
         "text": {"en": "No: every receipt is diarised in the section first."}}]
    inline = qti.item_from_qti((QTI_FIXTURES / "v3_map_feedbackbasic.xml").read_bytes(), "fb2.xml")
    assert inline["feedback"] == [{"outcome": "FEEDBACKBASIC", "value": "correct", "show": True,
                                   "when": "correct", "inline": True, "text": {"en": "Well done."}}]
    assert "Well done" not in inline["stem"]["en"]


def test_the_analyser_gives_the_terms_and_feedback_values():
    found = qti_scoring.analyse(rules(
        f'<qti-response-condition><qti-response-if>{MATCH}{set_score(CONST.format(3))}'
        f'{SET.format(id="FB", expr=CONST.format("x"))}</qti-response-if></qti-response-condition>'
        '<qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE"/>'
        '<qti-map-response identifier="S"/></qti-sum></qti-set-outcome-value>'))
    assert found.terms == [qti_scoring.Term("match", "R", 3.0), qti_scoring.Term("map", "S")]
    assert found.feedback_outcomes == {"FB"}


@pytest.mark.parametrize("xml, reason", [
    (f'<qti-response-condition><qti-response-if>{MATCH}{set_score(CONST.format(1))}</qti-response-if>'
     f'<qti-response-else>{set_score(CONST.format(0.5))}</qti-response-else></qti-response-condition>',
     "a wrong answer scores 0.5"),
    ('<qti-response-condition><qti-response-if><qti-match><qti-variable identifier="FEEDBACK"/>'
     '<qti-base-value base-type="identifier">x</qti-base-value></qti-match>'
     f'{set_score(CONST.format(1))}</qti-response-if></qti-response-condition>',
     "SCORE depends on a test"),
    (set_score('<qti-random-integer min="0" max="1"/>'), "SCORE is computed with qti-random-integer"),
    (SET.format(id="FEEDBACK", expr=CONST.format("x")), "never sets SCORE"),
    (set_score(CONST.format(1)), "SCORE starts from 1.0 whatever the answer"),
    ('<qti-response-condition><qti-response-if><qti-is-null><qti-variable identifier="R"/></qti-is-null>'
     f'{set_score(CONST.format(1))}</qti-response-if><qti-response-else>'
     + set_score(MAP_R) + '</qti-response-else></qti-response-condition>',
     "an empty response is given a score"),
])
def test_custom_scoring_is_refused_with_its_reason(xml, reason):
    with pytest.raises(qti_scoring.CustomScoring, match=reason):
        qti_scoring.analyse(rules(xml))


def test_what_cannot_be_kept_is_listed_per_item():
    data = (QTI_FIXTURES / "v3_single_choice.xml").read_bytes().replace(
        b"<p>A note has been put up on a receipt.</p>",
        b'<p>A note <img src="n.png" alt="a note"/> on <math xmlns="http://www.w3.org/1998/Math/MathML">'
        b'<mi>x</mi></math></p><qti-rubric-block view="proctor"><p>Read aloud.</p></qti-rubric-block>')
    losses = qti.read_item(data, "x.xml").losses
    text = " | ".join(losses)
    for lost in ("rubric block for proctor", "n.png: not in the package", "image(s) not kept (1)"):
        assert lost in text, text
    parsed, problems = qti.read_qti_file(data, "x.xml")
    assert problems == [] and {p["item"] for p in parsed.losses} == {"Q3-SC-1"}
    assert all(p["file"] == "x.xml" for p in parsed.losses)


def test_end_attempt_buttons_are_left_out_and_listed():
    data = (QTI_FIXTURES / "v3_single_choice.xml").read_bytes().replace(
        b"</qti-item-body>",
        b'<qti-end-attempt-interaction response-identifier="HINT" title="Show hint"/></qti-item-body>')
    converted = qti.read_item(data, "x.xml")
    assert converted.item["key"] == "opt_b"
    assert any("Show hint" in loss for loss in converted.losses)


# --- importing: one by one, never an empty bank -------------------------------------------------

MANIFEST = """<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">
  <resources>{}</resources>
</manifest>"""


def wild_package(tmp_path, names: list[str]):
    resources = "".join(f'<resource identifier="R{i}" type="imsqti_item_xmlv3p0" href="{n}"/>'
                        for i, n in enumerate(names))
    path = tmp_path / "wild.zip"
    path.write_bytes(package({n: (QTI_FIXTURES / n).read_bytes() for n in names},
                             MANIFEST.format(resources)))
    return path


def banks(session) -> int:
    return session.scalar(select(func.count(ItemBank.id)))


def test_skip_unsupported_skips_items_one_by_one(session, dictionary, tmp_path):
    hindi_only = (QTI_FIXTURES / "v3_order.xml").read_bytes().replace(b'identifier="Q3-OR-1"',
                                                                       b'identifier="Q3-OR-1" xml:lang="hi"')
    names = ["v3_modal_feedback.xml", "v3_media.xml"]
    files = {n: (QTI_FIXTURES / n).read_bytes() for n in names} | {"hindi.xml": hindi_only}
    resources = "".join(f'<resource identifier="R{i}" type="imsqti_item_xmlv3p0" href="{n}"/>'
                        for i, n in enumerate(files))
    path = tmp_path / "mixed.zip"
    path.write_bytes(package(files, MANIFEST.format(resources)))
    options = dict(bank="Wild", agency="Agency W", competency="FN-NOTING", level=2)
    with pytest.raises(Invalid):
        import_path(session, path, options=ImportOptions(**options))
    session.rollback()
    report = import_path(session, path, options=ImportOptions(**options, skip_unsupported=True))
    session.commit()
    assert report.imported == ["Q3-FB-1"]
    skipped = {p["item"]: p["message"] for p in report.skipped}
    assert set(skipped) == {"Q3-MEDIA-1", "Q3-OR-1"}
    assert "qti-media-interaction" in skipped["Q3-MEDIA-1"] and "en" in skipped["Q3-OR-1"]
    stored = services.item_to_bank_json(services.find_item(session, services.find_bank(session, "Wild"),
                                                           "Q3-FB-1"))
    assert stored["rationale"] is None and stored["feedback"][0]["when"] == "correct"


def test_an_import_that_imports_nothing_is_refused_and_makes_no_bank(session, dictionary, tmp_path):
    path = wild_package(tmp_path, ["v3_media.xml", "v3_custom_scoring.xml"])
    with pytest.raises(Invalid) as caught:
        import_path(session, path, options=ImportOptions(bank="Empty", agency="Agency E",
                                                         competency="FN-NOTING", level=2,
                                                         skip_unsupported=True))
    session.rollback()
    messages = [p["message"] for p in caught.value.problems]
    assert "no items to import: all 2 items were skipped" in messages[0]
    assert any("draws a random value while scoring" in m for m in messages)
    assert banks(session) == 0 and count_items(session) == 0


def test_losses_are_reported_and_can_refuse_the_item(session, dictionary, tmp_path):
    path = wild_package(tmp_path, ["v3_proctor_rubric.xml", "v3_modal_feedback.xml"])
    options = dict(bank="Lossy", agency="Agency L", competency="FN-NOTING", level=2)
    report = import_path(session, path, options=ImportOptions(**options))
    assert sorted(report.imported) == ["Q3-FB-1", "Q3-LOSSY-1"]
    assert [(p["item"], "for proctor" in p["message"]) for p in report.losses] == [("Q3-LOSSY-1", True)]
    session.rollback()
    with pytest.raises(Invalid) as caught:
        import_path(session, path, options=ImportOptions(**options, refuse_losses=True))
    session.rollback()
    assert any(p.get("item") == "Q3-LOSSY-1" and "cannot be kept whole" in p["message"]
               for p in caught.value.problems)
    report = import_path(session, path, options=ImportOptions(**options, refuse_losses=True,
                                                              skip_unsupported=True))
    assert report.imported == ["Q3-FB-1"] and report.losses == []


def test_cli_lists_losses_and_exits_non_zero_when_nothing_is_imported(app, session, dictionary, tmp_path):
    cli = BankCommand(app)
    path = wild_package(tmp_path, ["v3_proctor_rubric.xml"])
    result = cli.invoke(["bank", "import", str(path), "--bank", "C", "--agency", "A",
                         "--competency", "FN-NOTING", "--level", "2"])
    assert result.exit_code == 0, result.output
    assert "not kept: wild.zip:v3_proctor_rubric.xml, item Q3-LOSSY-1" in result.output
    empty = wild_package(tmp_path, ["v3_media.xml"])
    result = cli.invoke(["bank", "import", str(empty), "--bank", "D", "--agency", "A",
                         "--competency", "FN-NOTING", "--level", "2", "--skip-unsupported"])
    assert result.exit_code != 0 and "no items to import" in result.output
    assert services.find_bank(session, "D") is None


# --- rich content: media, MathML, tables; shuffle and max-choices ---------------------------------

RICH = QTI_FIXTURES / "rich" / "v3_rich.xml"


def test_pictures_formulas_and_tables_are_kept_clean_with_their_media():
    parsed, problems = qti.read_qti_path(RICH)
    assert problems == []
    (found,) = parsed.items
    body = found["body"]["en"]
    (sha,) = parsed.media
    assert parsed.media[sha].data == (RICH.parent / "img" / "matrix.png").read_bytes()
    (image,) = re.findall(r"<img [^>]*>", body)
    assert f'src="media:{sha}"' in image and 'alt="pay matrix"' in image and 'width="120"' in image
    assert "onerror" not in body and "matrix.png" not in body
    assert "<math><mi>P</mi><mo>=</mo><msup><mi>b</mi><mn>2</mn></msup></math>" in body
    assert "<caption>Levels</caption>" in body and '<th scope="col">Pay</th>' in body
    assert "Which levels are Group C?" in body and "Level 10" not in body
    assert found["stem"]["en"].startswith("The pay matrix")  # the plain stem stays for search
    assert (found["shuffle"], found["max_choices"]) == (True, 2)
    assert parsed.losses == []
    # the picture in an option is kept with the option, its text beside it
    (option,) = [o for o in found["options"] if o.get("html")]
    assert option["text"] == {"en": "Level 10"}
    assert option["html"] == {"en": f'Level 10 <img alt="see matrix" src="media:{sha}">'}
    filled = {**found, "competency": "FN-NOTING", "level": 2}
    assert bank_format.item_problems(filled, languages=["en"]) == []


@pytest.mark.parametrize("dirty, clean", [
    ('<p onclick="x()">a<script>alert(1)</script></p>', "<p>a</p>"),
    ('<img src="https://elsewhere.example/x.png">', ""),
    ('<img src="javascript:alert(1)">', ""),
    ('<a href="javascript:x">link</a>', "link"),
    ('<iframe src="x"></iframe><style>p{}</style>b', "b"),
    ('<math><mi>x</mi><annotation-xml><svg onload="x()"/></annotation-xml></math>', "<math><mi>x</mi></math>"),
    ('<p style="background:url(x)" class="note">c</p>', '<p class="note">c</p>'),
])
def test_rich_content_is_cleaned_against_the_allowlist(dirty, clean):
    from piaa.items.types import rich

    assert rich.sanitise(dirty) == clean


def test_candidate_sees_rich_stem_by_media_hash_never_a_file_name_or_key():
    from piaa.items.types import get_item_type

    (found,), _ = qti.read_qti_path(RICH)[0].items, None
    kind = get_item_type(found["type"])
    content = kind.from_bank_json(found)
    view = kind.candidate_view(content, "en", np.random.default_rng(1))
    assert "/media/" in view["stem_html"] and "matrix.png" not in str(view)
    assert "media:" not in view["stem_html"] and "key" not in view and view["max_choices"] == 2
    orders = {tuple(o["id"] for o in kind.candidate_view(content, "en", np.random.default_rng(s))["options"])
              for s in range(20)}
    assert len(orders) > 1  # shuffled per candidate
    with pytest.raises(Invalid, match="at most 2"):
        kind.check_answer(content, ["A", "B", "C"])


def test_imported_media_are_stored_and_served_to_signed_in_users_only(app, client, session, dictionary,
                                                                      make_user, login_as):
    report = import_path(session, RICH, options=ImportOptions(bank="Rich", agency="Agency R",
                                                              competency="FN-NOTING", level=2))
    session.commit()
    assert report.imported == ["Q3-RICH-1"]
    stored = services.item_to_bank_json(services.find_item(session, services.find_bank(session, "Rich"),
                                                           "Q3-RICH-1"))
    from piaa.items.types.rich import media_hashes

    (sha,) = media_hashes(stored["body"]["en"])
    url = f"/media/{sha}"
    assert client.get(url).status_code in (302, 401)
    login_as(make_user(role="candidate"))
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == (RICH.parent / "img" / "matrix.png").read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/media/" + "0" * 64).status_code == 404
    assert client.get("/media/../../etc/passwd").status_code == 404


# --- interactions delivered and scored automatically --------------------------------------------

@pytest.mark.parametrize("name, kind, expected, right, wrong", [
    ("v3_inline_choice.xml", "single_choice", {"key": "US"}, "US", "JS"),
    ("v3_hottext.xml", "multiple_response", {"key": ["H1", "H3"], "max_choices": 2}, ["H3", "H1"], ["H1", "H2"]),
    ("v3_match.xml", "matching", {"key": [["RTI", "Y2005"], ["CVC", "Y2003"]], "partial_credit": True},
     [["CVC", "Y2003"], ["RTI", "Y2005"]], [["RTI", "Y2010"], ["CVC", "Y2003"]]),
    ("v3_gap_match.xml", "matching", {"key": [["W1", "G1"], ["W3", "G2"]], "gaps": True},
     [["W1", "G1"], ["W3", "G2"]], [["W2", "G1"], ["W3", "G2"]]),
    ("rich/v3_hotspot.xml", "hotspot", {"key": ["B"], "max_choices": 1}, ["B"], ["A"]),
])
def test_interactions_are_delivered_and_scored(name, kind, expected, right, wrong):
    from piaa.items.types import get_item_type

    parsed, problems = qti.read_qti_path(QTI_FIXTURES / name)
    assert problems == [] and parsed.unsupported == [] and parsed.losses == [], parsed.losses
    (found,) = parsed.items
    assert found["type"] == kind and {k: found[k] for k in expected} == expected
    assert bank_format.item_problems({**found, "competency": "FN-NOTING", "level": 2}, languages=["en"]) == []
    item_type = get_item_type(kind)
    content = item_type.from_bank_json(found)
    view = item_type.candidate_view(content, "en", np.random.default_rng(0))
    assert "key" not in view and "Y2005\", \"RTI" not in str(view)
    assert item_type.score(content, right).credit == 1.0
    assert item_type.score(content, wrong).credit < 1.0


def test_gap_and_hot_text_stems_keep_the_text_around_the_interaction():
    gaps = qti.item_from_qti((QTI_FIXTURES / "v3_gap_match.xml").read_bytes(), "g.xml")
    assert gaps["stem"]["en"] == "Fill the gaps.\n\nA receipt is entered in the [1] and then put on the [2]."
    assert [t["text"]["en"] for t in gaps["targets"]] == ["[1]", "[2]"]
    hot = qti.item_from_qti((QTI_FIXTURES / "v3_hottext.xml").read_bytes(), "h.xml")
    assert "The memorandum was sent by the officer with a circular." in " ".join(hot["stem"]["en"].split())
    inline = qti.item_from_qti((QTI_FIXTURES / "v3_inline_choice.xml").read_bytes(), "i.xml")
    assert inline["stem"]["en"] == "A file is first marked to the ____."


def test_matching_partial_credit_and_limits():
    from piaa.items.types import get_item_type

    kind = get_item_type("matching")
    content = kind.from_bank_json(qti.item_from_qti((QTI_FIXTURES / "v3_match.xml").read_bytes(), "m.xml"))
    assert kind.score(content, [["RTI", "Y2005"]]).credit == 0.5
    assert kind.score(content, [["RTI", "Y2005"], ["CVC", "Y2010"]]).credit == 0.0
    with pytest.raises(Invalid, match="at most 1"):
        kind.check_answer(content, [["RTI", "Y2005"], ["CVC", "Y2005"]])
    with pytest.raises(Invalid):
        kind.check_answer(content, [["RTI", "nowhere"]])


def test_hotspot_view_places_areas_on_the_picture_by_hash():
    from piaa.items.types import get_item_type

    parsed, _ = qti.read_qti_path(QTI_FIXTURES / "rich" / "v3_hotspot.xml")
    (found,) = parsed.items
    kind = get_item_type("hotspot")
    view = kind.candidate_view(kind.from_bank_json(found), "en", None)
    (sha,) = parsed.media
    assert view["image"] == f"/media/{sha}" and view["multiple"] is False
    assert view["areas"] == [{"id": "A", "label": "left half", "x": 25.0, "y": 50.0},
                             {"id": "B", "label": "right circle", "x": 75.0, "y": 50.0}]
    assert "Pay matrix" not in found["stem"]["en"]


def test_several_interactions_make_a_composite_item_or_are_refused_with_the_reason():
    data = (QTI_FIXTURES / "v3_inline_choice.xml").read_bytes().replace(
        b"</p>\n  </qti-item-body>", b'</p><p><qti-text-entry-interaction response-identifier="R2"/></p>\n  </qti-item-body>')
    with pytest.raises(qti.Malformed, match="'R2', which is not declared"):
        qti.read_item(data, "two.xml")
    declared = data.replace(b"<qti-outcome-declaration", b'<qti-response-declaration identifier="R2" '
                            b'cardinality="single" base-type="string"><qti-correct-response><qti-value>x</qti-value>'
                            b"</qti-correct-response></qti-response-declaration><qti-outcome-declaration", 1)
    found = qti.read_item(declared, "two.xml")
    assert found.item["type"] == "composite" and [p["points"] for p in found.item["parts"]] == [1, 0]
    two_essays = declared.replace(b"qti-text-entry-interaction", b"qti-extended-text-interaction").replace(
        b"qti-inline-choice-interaction", b"qti-extended-text-interaction")
    with pytest.raises(qti.Unsupported, match="at most one part rated by people"):
        qti.read_item(two_essays, "two.xml")


def test_package_only_types_go_to_qti_and_are_refused_by_spreadsheet_export_not_mangled(tmp_path):
    from piaa.items.exporters import qti3, tabular as tabular_out

    found = qti.item_from_qti((QTI_FIXTURES / "v3_match.xml").read_bytes(), "m.xml")
    found = {**found, "competency": "FN-NOTING", "level": 2}
    assert b"qti-match-interaction" in qti3.item_xml(found)
    with pytest.raises(Invalid, match="spreadsheet"):
        tabular_out.write([found], tmp_path / "x.csv", ["en"], "csv")


def test_a_branch_on_an_end_attempt_button_is_never_taken():
    # "if HINT then feedback, else score": PIAA leaves the button out, so the else scores.
    found = qti_scoring.analyse(rules(
        '<qti-response-condition><qti-response-if><qti-variable identifier="HINT"/>'
        f'{SET.format(id="FEEDBACK", expr=CONST.format("h"))}</qti-response-if><qti-response-else>'
        f'<qti-response-condition><qti-response-if>{MATCH}{set_score(CONST.format(1))}</qti-response-if>'
        '</qti-response-condition></qti-response-else></qti-response-condition>'), never_true={"HINT"})
    assert found.terms == [qti_scoring.Term("match", "R", 1.0)]
    with pytest.raises(qti_scoring.CustomScoring):
        qti_scoring.analyse(rules(
            '<qti-response-condition><qti-response-if><qti-variable identifier="HINT"/>'
            f'{set_score(CONST.format(1))}</qti-response-if></qti-response-condition>'))


def test_an_adaptive_or_templated_item_is_refused_saying_so_first():
    data = (QTI_FIXTURES / "v3_custom_scoring.xml").read_bytes()
    adaptive = re.sub(rb'adaptive="false"', b'adaptive="true"', data, count=1)
    with pytest.raises(qti.Unsupported, match=r"^the item is adaptive .*; its own response processing scores it "
                                              r"over several submissions"):
        qti.read_item(adaptive, "a.xml")


def test_a_choice_that_is_a_picture_alone_keeps_it_and_is_named_for_screen_readers(tmp_path):
    from piaa.items.types import get_item_type

    data = RICH.read_bytes().replace(b'<qti-simple-choice identifier="C">Level 2</qti-simple-choice>',
                                     b'<qti-simple-choice identifier="C"><img src="img/matrix.png" alt=""/>'
                                     b'</qti-simple-choice>')
    found = qti.read_item(data, "p.xml", {}, qti._folder_resolver(RICH.parent))
    option = found.item["options"][2]
    assert option["text"] == {"en": "Picture 3"} and "<img" in option["html"]["en"]
    kind = get_item_type(found.item["type"])
    view = kind.candidate_view(kind.from_bank_json(found.item), "en")
    shown = next(o for o in view["options"] if o["id"] == "C")
    assert "/media/" in shown["html"] and "media:" not in shown["html"]
    # without the file the choice has nothing to show, and is refused saying so
    with pytest.raises(qti.Unsupported, match="picture cannot be kept: img/matrix.png: not in the package"):
        qti.read_item(data, "p.xml")


KEPT = "media:" + "a" * 64  # a stored file's reference, as the importer writes it


@pytest.mark.parametrize("dirty, clean", [
    # the page holds h1 and h2: the item's heading stays a heading below them, not loose text
    ("<h2>Noting</h2><p>Read it.</p>", "<h3>Noting</h3><p>Read it.</p>"),
    # a picture's sources mean nothing without it: its img is what is kept
    (f'<picture><source type="image/webp" srcset="p.webp"><img src="{KEPT}" alt="p"></picture>',
     f'<img src="{KEPT}" alt="p">'),
    # QTI's controls="false" is off; a browser reads any value as on
    (f'<video controls="false" src="{KEPT}"></video>', f'<video src="{KEPT}"></video>'),
    # a caption file that is not kept: its track goes, the video stays
    (f'<video controls="controls" src="{KEPT}"><track kind="captions" src="captions.vtt"></video>',
     f'<video controls="controls" src="{KEPT}"></video>'),
    # nothing left to play: the player goes
    ('<audio controls="true"><source src="clip.mp3"></audio><p>Listen.</p>', "<p>Listen.</p>"),
    # source and track are empty elements, whether closed or not
    (f'<video><source src="{KEPT}"><track kind="captions" src="{KEPT}"></video>',
     f'<video><source src="{KEPT}"></source><track kind="captions" src="{KEPT}"></track></video>'),
])
def test_players_pictures_and_headings_are_kept_as_a_browser_shows_them(dirty, clean):
    from piaa.items.types import rich

    assert rich.sanitise(dirty) == clean
    assert rich.sanitise(clean) == clean


def clip_item(player: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="Q3-CLIP" title="Clip" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>B</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <h2>The clip</h2>
    {player}
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Who signs the note?</qti-prompt>
      <qti-simple-choice identifier="A">Assistant</qti-simple-choice>
      <qti-simple-choice identifier="B">Section Officer</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
</qti-assessment-item>""".encode()


PLAYER = ('<video controls="true"><source src="clip.mp4" type="video/mp4"/>'
          '<track kind="captions" src="captions.vtt" srclang="en"/></video>')


def test_a_track_whose_file_is_missing_is_left_out_and_listed():
    found = qti.read_item(clip_item(PLAYER), "clip.xml", {}, {"clip.mp4": b"\x00\x00\x00\x18ftypmp42"}.get)
    body = found.item["body"]["en"]
    assert "<video" in body and "<source" in body and "<track" not in body
    assert "<h3>The clip</h3>" in body
    assert found.losses == ["not kept: captions.vtt: not in the package"]


def test_a_player_with_no_file_kept_is_left_out_and_its_files_listed():
    found = qti.read_item(clip_item(PLAYER), "clip.xml", {}, {}.get)
    assert "body" not in found.item  # nothing beside the plain stem is left to show
    assert found.losses == ["not kept: clip.mp4: not in the package", "not kept: captions.vtt: not in the package",
                            "video not kept (1)"]
