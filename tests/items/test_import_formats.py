"""Reading bank files without a database: the schemas, bank folders, spreadsheets and QTI."""
from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path

import pytest

from piaa.errors import for_the_api
from piaa.items import bank_format
from piaa.items.exporters import qti3
from piaa.items.importers import folder, qti, tabular
from piaa.items.importers.template import example_items, template_bytes
from tests.items.samples import ITEMS, item

FIXTURES = Path(__file__).with_name("fixtures")
QTI_FIXTURES = FIXTURES / "qti"
REPO_BANKS = Path(__file__).resolve().parents[2] / "item_banks"


def fields(problems):
    return {(p.get("row"), p.get("item"), p.get("field")) for p in problems}


# --- schemas and item checks -------------------------------------------------------------------

def test_every_sample_item_type_passes_the_checks():
    assert bank_format.items_problems(list(ITEMS.values())) == []


@pytest.mark.parametrize("name", ["bank", "item-file", "competencies"])
def test_schemas_are_valid_json_schemas(name):
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(bank_format.load_schema(name))


def test_item_problems_name_each_field():
    bad = item("single_choice", key="Z", level=7, tolerance=1)
    bad["options"][0]["text"]["en"] = "<b>bold</b>"
    found = {p["field"]: p["message"] for p in bank_format.item_problems(bad, file="f.json", row=3)}
    assert set(found) >= {"key", "level", "tolerance", "options[0].text.en"}
    assert "does not apply" in found["tolerance"] and "HTML" in found["options[0].text.en"]
    assert all(p["file"] == "f.json" and p["row"] == 3 and p["item"] == "SC-1"
               for p in bank_format.item_problems(bad, file="f.json", row=3))


def test_duplicate_item_ids_name_both_places():
    items = [item("single_choice"), item("true_false", id="SC-1")]
    found = bank_format.items_problems(items, [{"file": "a.json", "row": 1}, {"file": "b.json", "row": 4}])
    assert [for_the_api(p) for p in found] == [{"file": "b.json", "row": 4, "item": "SC-1", "field": "id",
                                                "message": "duplicate item id 'SC-1' (first at a.json, row 1)"}]
    assert found[0]["template"] == "duplicate item id {item_id} (first at {first_at})"  # a page translates it


def test_polytomous_credits_must_run_without_gaps():
    sj = item("situational_judgement")
    sj["options"][0]["credit"] = 3
    assert ("options" in {p["field"] for p in bank_format.item_problems(sj)})


def test_unknown_type_is_named():
    found = bank_format.item_problems(item("single_choice", type="essay"))
    assert any(p["field"] == "type" and "unknown type 'essay'" in p["message"] for p in found)


def test_manifest_and_dictionary_problems():
    manifest = {"format": "piaa-bank/1", "name": "B", "agency": "A", "languages": ["hi"],
                "item_files": ["../outside.json"], "colour": "red"}
    found = {p.get("field"): p["message"] for p in bank_format.manifest_problems(manifest)}
    assert "en" in found["languages"] and "inside the bank folder" in found["item_files[0]"]
    assert "colour" in found[None]
    dictionary = {"format": "piaa-competencies/1", "competencies": [
        {"code": "X", "name": "X", "type": "functional",
         "levels": [{"level": n, "descriptor": "d"} for n in (1, 2, 3, 4, 4)]}]}
    assert "levels must be 1, 2, 3, 4, 5" in bank_format.competencies_problems(dictionary)[0]["message"]


def test_the_sample_banks_in_the_repository_are_valid():
    data = json.loads((REPO_BANKS / "competencies.json").read_text(encoding="utf-8"))
    assert bank_format.competencies_problems(data) == []
    codes = {c["code"] for c in data["competencies"]}
    for manifest in sorted(REPO_BANKS.glob("*/bank.json")):
        parsed, problems = folder.read_bank_folder(manifest.parent)
        problems += bank_format.items_problems(parsed.items, parsed.sources, parsed.languages)
        problems += [{"item": i["id"], "message": f"unknown competency {i['competency']}"}
                     for i in parsed.items if i.get("competency") not in codes]
        assert problems == [], manifest.parent.name


# --- bank folders ------------------------------------------------------------------------------

def write_folder(root: Path, items_by_file: dict[str, object], **manifest) -> Path:
    bank = root / "bank-a"
    (bank / "items").mkdir(parents=True)
    meta = {"format": "piaa-bank/1", "name": "Bank A", "agency": "Agency A", "languages": ["en", "hi"],
            "item_files": list(items_by_file), **manifest}
    (bank / "bank.json").write_text(json.dumps(meta), encoding="utf-8")
    for path, content in items_by_file.items():
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        (bank / path).write_text(text, encoding="utf-8")
    return bank


def test_folder_reads_manifest_and_items_in_order(tmp_path):
    bank = write_folder(tmp_path, {"items/one.json": [ITEMS["single_choice"]],
                                   "items/two.json": [ITEMS["true_false"], ITEMS["likert"]]},
                        state="operational")
    parsed, problems = folder.read_bank_folder(bank)
    assert problems == []
    assert (parsed.name, parsed.agency, parsed.state, parsed.languages) == \
        ("Bank A", "Agency A", "operational", ["en", "hi"])
    assert [i["id"] for i in parsed.items] == ["SC-1", "TF-1", "LK-1"]
    assert parsed.sources[2] == {"file": "bank-a/items/two.json", "row": 2}


def test_folder_reports_malformed_json_and_missing_files(tmp_path):
    bank = write_folder(tmp_path, {"items/one.json": '[{"id": "X",}]', "items/missing.json": []})
    (bank / "items/missing.json").unlink()
    _, problems = folder.read_bank_folder(bank)
    messages = {p["file"]: p["message"] for p in problems}
    assert messages["bank-a/items/one.json"].startswith("malformed JSON at line 1, column 13")
    assert messages["bank-a/items/missing.json"] == "file not found"


def test_folder_zip_is_read_like_the_folder(tmp_path):
    bank = write_folder(tmp_path, {"items/one.json": [ITEMS["ordering"]]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in bank.rglob("*"):
            if path.is_file():
                archive.write(path, f"bank-a/{path.relative_to(bank).as_posix()}")
    assert folder.is_bank_zip(buffer.getvalue())
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    parsed, problems = folder.read_bank_zip(buffer.getvalue(), "bank-a.zip", scratch)
    assert problems == [] and parsed.items == [ITEMS["ordering"]]


def test_folder_zip_with_unsafe_paths_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../bank.json", "{}")
    _, problems = folder.read_bank_zip(buffer.getvalue(), "evil.zip", tmp_path)
    assert "unsafe path" in problems[0]["message"]


# --- spreadsheets ------------------------------------------------------------------------------

def canonical(items):
    return [bank_format.canonical_item(i) for i in items]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_covers_every_type_and_reads_back(fmt):
    reader = tabular.read_csv if fmt == "csv" else tabular.read_xlsx
    parsed, problems = reader(template_bytes(fmt), f"template.{fmt}")
    assert problems == [] and bank_format.items_problems(parsed.items, parsed.sources) == []
    assert {i["type"] for i in parsed.items} == set(bank_format.ITEM_TYPES)
    assert canonical(parsed.items) == canonical(example_items())


def test_csv_cells_become_typed_fields():
    text = ("id,type,competency,level,stem_en,option_A_en,option_B_en,option_C_en,key,partial_credit,"
            "tolerance,unit,rationale_en,case_sensitive\n"
            "M1,multiple_response,FN-NOTING,3,Pick,a,b,c,\"A; C\",yes,,,why,\n"
            "N1,numeric_entry,DM-RTI,2.0,How many?,,,,\"1,500.5\",,0.5,days,why,\n"
            "T1,true_false,DM-RTI,1,True?,,,,FALSE,,,,why,\n"
            "E1,text_entry,FN-NOTING,1,Who?,,,,Section Officer; SO = 0.5,,,,why,TRUE\n")
    parsed, problems = tabular.read_csv(text.encode(), "x.csv")
    assert problems == []
    m1, n1, t1, e1 = parsed.items
    assert m1["key"] == ["A", "C"] and m1["partial_credit"] is True
    assert (n1["key"], n1["tolerance"], n1["unit"], n1["level"]) == (1500.5, 0.5, "days", 2)
    assert t1["key"] is False
    assert e1["accepted"] == [{"value": "Section Officer", "credit": 1.0}, {"value": "SO", "credit": 0.5}]
    assert e1["case_sensitive"] is True
    assert bank_format.items_problems(parsed.items, parsed.sources) == []


def test_unknown_missing_and_duplicate_columns_are_named():
    text = "id,type,optoin_A_en,stem_en,stem_en,level\nX,single_choice,a,b,c,1\n"
    _, problems = tabular.read_csv(text.encode(), "bad.csv")
    assert {(p["row"], p["field"]) for p in problems} == {(1, "optoin_A_en"), (1, "stem_en")}
    _, problems = tabular.read_csv(b"id;type;stem_en\n", "semi.csv")
    assert any("';' between columns" in p["message"] for p in problems)
    _, problems = tabular.read_csv(b"type,stem_en\n", "noid.csv")
    assert [for_the_api(p) for p in problems] == [{"file": "noid.csv", "row": 1, "field": "id",
                                                   "message": "missing column 'id'"}]


def test_bad_cells_are_named_by_row_and_column():
    text = ("id,type,competency,level,stem_en,option_A_en,option_B_en,key,partial_credit,rationale_en\n"
            "A1,single_choice,FN-NOTING,two,Q,a,b,B,,r\n"
            "A2,multiple_response,FN-NOTING,2,Q,a,b,A,perhaps,r\n")
    _, problems = tabular.read_csv(text.encode(), "cells.csv")
    assert fields(problems) == {(2, "A1", "level"), (3, "A2", "partial_credit")}
    assert "whole number, got 'two'" in problems[0]["message"]


def test_spreadsheet_fields_map_back_to_columns():
    row_item = {"options": [{"id": "A"}, {"id": "B"}]}
    assert tabular.field_to_column("options[1].text.hi", row_item) == "option_B_hi"
    assert tabular.field_to_column("options[0].credit", row_item) == "option_A_credit"
    assert tabular.field_to_column("stem.en", row_item) == "stem_en"
    assert tabular.field_to_column("accepted[1].value", row_item) == "key"


def test_non_utf8_csv_and_broken_xlsx_are_refused():
    _, problems = tabular.read_csv("id,type,stem_en\nX,true_false,Qué\n".encode("latin-1"), "l1.csv")
    assert "not UTF-8" in problems[0]["message"]
    _, problems = tabular.read_xlsx(b"not a workbook", "broken.xlsx")
    assert "not a readable XLSX" in problems[0]["message"]


# --- QTI ------------------------------------------------------------------------------------------

EXPECTED = {
    "v3_single_choice.xml": ("single_choice", {"key": "opt_b"}),
    "v3_multiple_response.xml": ("multiple_response", {"key": ["A", "C"], "partial_credit": False}),
    "v3_partial_credit.xml": ("multiple_response", {"key": ["A", "B"], "partial_credit": True}),
    "v3_order.xml": ("ordering", {"key": ["S2", "S1", "S3"]}),
    "v3_text_entry.xml": ("text_entry", {"accepted": [{"value": "Section Officer", "credit": 1.0},
                                                       {"value": "SO", "credit": 0.5}],
                                         "case_sensitive": False}),
    "v3_numeric_tolerance.xml": ("numeric_entry", {"key": 30.0, "tolerance": 1.0, "unit": "days"}),
    "v3_written_rules.xml": ("single_choice", {"key": "A"}),
    "v22_single_choice.xml": ("single_choice", {"key": "ChoiceB"}),
    "v22_multiple_cc2.xml": ("multiple_response", {"key": ["A", "B"]}),
    "v22_text_entry.xml": ("text_entry", {"accepted": [{"value": "Central Registry", "credit": 1.0},
                                                        {"value": "CR", "credit": 1.0}]}),
    "v22_order.xml": ("ordering", {"key": ["US", "DS", "JS"]}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_qti_items_map_to_piaa_types(name):
    kind, fields_expected = EXPECTED[name]
    parsed, problems = qti.read_qti_path(QTI_FIXTURES / name)
    assert problems == [] and parsed.unsupported == []
    (found,) = parsed.items
    assert found["type"] == kind
    assert {k: found[k] for k in fields_expected} == fields_expected
    assert found["rationale"]["en"]
    filled = {**found, "competency": "FN-NOTING", "level": 2}
    assert bank_format.item_problems(filled, languages=["en"]) == []


def test_qti_texts_keep_paragraphs_prompt_and_inline_markup():
    (sc,), _ = qti.read_qti_path(QTI_FIXTURES / "v3_single_choice.xml")[0].items, None
    assert sc["stem"] == {"en": "A note has been put up on a receipt.\n\nWho signs it first?"}
    assert sc["options"][1]["text"] == {"en": "The dealing hand"}
    (te,) = qti.read_qti_path(QTI_FIXTURES / "v3_text_entry.xml")[0].items
    assert te["stem"] == {"en": "The officer in charge of a section is the ____."}


@pytest.mark.parametrize("template", [
    "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml",
    "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct",
    "https://www.imsglobal.org/question/qti_v3p0/rptemplates/match_correct.xml",
    "http://www.imsglobal.org/question/qti_v2p2/rptemplates/match_correct",
    "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct.xml",
    "CC2_match.xml", "CC2_match_basic.xml", "match_correct",
])
def test_every_form_of_the_match_correct_template_is_recognised(template):
    assert qti.template_name(template) == "match_correct"
    data = (QTI_FIXTURES / "v3_multiple_response.xml").read_bytes()
    data = data.replace(b"https://www.imsglobal.org/question/qti_v3p0/rptemplates/match_correct.xml",
                        template.encode())
    assert qti.item_from_qti(data, "x.xml")["key"] == ["A", "C"]


@pytest.mark.parametrize("template", [
    "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml",
    "http://www.imsglobal.org/question/qti_v2p2/rptemplates/map_response",
    "CC2_map_response.xml",
])
def test_every_form_of_the_map_response_template_is_recognised(template):
    assert qti.template_name(template) == "map_response"


def test_unknown_template_is_unsupported():
    assert qti.template_name("https://example.org/rptemplates/map_response_twice.xml") is None
    assert qti.template_name("https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response_point.xml") \
        == "map_response_point"


@pytest.mark.parametrize("name, reason", [
    ("v3_media.xml", "qti-media-interaction is not an interaction PIAA delivers"),
    ("v3_custom_scoring.xml", "qti-random-integer (line 15) draws a random value while scoring"),
])
def test_unmappable_items_are_reported_not_dropped(name, reason):
    parsed, problems = qti.read_qti_path(QTI_FIXTURES / name)
    assert problems == [] and parsed.items == []
    (reported,) = parsed.unsupported
    assert reported["file"] == name and reason in reported["message"] and reported["item"]


def test_malformed_xml_names_the_line():
    _, problems = qti.read_qti_path(QTI_FIXTURES / "malformed.xml")
    assert problems[0]["file"] == "malformed.xml"
    assert problems[0]["message"].startswith("malformed XML") and "line 5" in problems[0]["message"]


def test_not_a_qti_item_is_refused():
    _, problems = qti.read_qti_file(b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "page.xml")
    assert "not a QTI 3.0 or 2.x item" in problems[0]["message"]


def test_entities_are_not_expanded():
    data = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="X">'
            b'<qti-item-body><p>&e;</p></qti-item-body></qti-assessment-item>')
    parsed, problems = qti.read_qti_file(data, "xxe.xml")
    assert "root:" not in json.dumps([parsed.items, parsed.unsupported, problems])


def package(files: dict[str, bytes], manifest: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


MANIFEST = """<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:piaa="urn:piaa:qti:1" identifier="M">
  <metadata><piaa:bank name="Imported" agency="Agency Q" languages="en"/></metadata>
  <resources>
    <resource identifier="R1" type="imsqti_item_xmlv2p2" href="a/sc.xml">
      <metadata><piaa:item competency="FN-NOTING" level="3" sub-area="leave">
        <piaa:reference>FR 1</piaa:reference></piaa:item></metadata>
      <file href="a/sc.xml"/>
    </resource>
    <resource identifier="R2" type="imsqti_item_xmlv3p0" href="b/essay.xml"><file href="b/essay.xml"/></resource>
    <resource identifier="T" type="imsqti_test_xmlv3p0" href="test.xml"/>
    <resource identifier="R3" type="imsqti_item_xmlv3p0" href="missing.xml"/>
  </resources>
</manifest>"""


def test_package_reads_manifest_metadata_and_reports_each_item():
    data = package({"a/sc.xml": (QTI_FIXTURES / "v22_single_choice.xml").read_bytes(),
                    "b/essay.xml": (QTI_FIXTURES / "v3_media.xml").read_bytes()}, MANIFEST)
    parsed, problems = qti.read_qti_file(data, "pkg.zip")
    assert (parsed.name, parsed.agency, parsed.languages) == ("Imported", "Agency Q", ["en"])
    (sc,) = parsed.items
    assert (sc["competency"], sc["level"], sc["sub_area"], sc["reference"]) == ("FN-NOTING", 3, "leave", "FR 1")
    assert parsed.sources == [{"file": "pkg.zip:a/sc.xml"}]
    assert [u["item"] for u in parsed.unsupported] == ["Q3-MEDIA-1"]
    assert any("imsqti_test_xmlv3p0" in n for n in parsed.notices)
    assert problems == [{"file": "pkg.zip:imsmanifest.xml", "item": "R3",
                         "message": "the manifest names 'missing.xml', which is not in the package"}]


def test_package_without_manifest_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("item.xml", (QTI_FIXTURES / "v3_order.xml").read_bytes())
    _, problems = qti.read_qti_file(buffer.getvalue(), "loose.zip")
    assert "no imsmanifest.xml" in problems[0]["message"]


# --- QTI 3.0 export ----------------------------------------------------------------------------

def test_every_type_survives_qti3_export_and_import():
    items = copy.deepcopy(list(ITEMS.values()))
    items[0]["stem"] = {"en": "First line\nsecond line.\n\nA second paragraph & <more>",
                        "hi": "पहला अनुच्छेद।"}
    data = qti3.package_bytes({"name": "Round", "agency": "Agency R", "languages": ["en", "hi"]}, items)
    parsed, problems = qti.read_qti_file(data, "round.zip")
    assert problems == [] and parsed.unsupported == []
    assert canonical(parsed.items) == canonical(items)
    assert (parsed.name, parsed.agency, parsed.languages) == ("Round", "Agency R", ["en", "hi"])


def test_exported_items_are_qti3_with_standard_templates():
    from lxml import etree

    root = etree.fromstring(qti3.item_xml(ITEMS["likert"]))
    assert etree.QName(root).namespace == qti.QTI3_NS and root.get("identifier") == "LK-1"
    choices = root.findall(f".//{{{qti.QTI3_NS}}}qti-simple-choice")
    assert [c.get("identifier") for c in choices] == ["_1", "_2", "_3", "_4"]
    processing = root.find(f"{{{qti.QTI3_NS}}}qti-response-processing")
    assert processing.get("template").endswith("/rptemplates/map_response.xml")


def test_unpacked_package_folder_reads_like_the_zip(tmp_path):
    data = qti3.package_bytes({"name": "Unpacked", "agency": "A"}, [ITEMS["ordering"], ITEMS["true_false"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path / "pkg")
    parsed, problems = qti.read_qti_path(tmp_path / "pkg")
    assert problems == [] and canonical(parsed.items) == canonical([ITEMS["ordering"], ITEMS["true_false"]])


def test_a_mapping_that_is_not_numeric_is_malformed():
    data = (QTI_FIXTURES / "v3_text_entry.xml").read_bytes().replace(b'mapped-value="0.5"', b'mapped-value="half"')
    _, problems = qti.read_qti_file(data, "x.xml")
    assert problems == [{"file": "x.xml", "message": "mapped-value 'half' is not a number"}]


# --- limits ------------------------------------------------------------------------------------

def test_a_sheet_of_too_many_rows_is_refused_before_any_check():
    import time

    rows = "".join(f"X{n},true_false,NOPE,9,,Q\n" for n in range(tabular.MAX_ROWS + 80_000))
    data = ("id,type,competency,level,sub_area,stem_en\n" + rows).encode()
    started = time.perf_counter()
    parsed, problems = tabular.read_csv(data, "huge.csv")
    assert time.perf_counter() - started < 5
    assert parsed.items == [] and [for_the_api(p) for p in problems] == [{"file": "huge.csv", "message":
                                                "the file has more than 20,000 rows; split it into "
                                                "files of at most 20,000 items"}]


def test_a_refusal_lists_the_first_thousand_problems_and_counts_all():
    problems = [bank_format.problem(f"bad {n}", row=n) for n in range(2500)]
    with pytest.raises(bank_format.Invalid) as refused:
        bank_format.refuse(problems, "f.csv")
    assert len(refused.value.problems) == 1000 and refused.value.problem_count == 2500
    assert refused.value.message == "f.csv was refused: 2,500 problems (the first 1,000 are listed)"
