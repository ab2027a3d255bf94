"""Importing into the database: all or nothing, every problem listed, banks and agencies made
on first use, re-imports harmless; and the ``piaa bank`` commands."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from piaa.errors import Forbidden, Invalid
from piaa.items import services
from piaa.items.import_service import ImportOptions, import_path, load_sample_banks
from piaa.items.models import Item, ItemBank
from tests.items.samples import COMPETENCIES, ITEMS, item
from tests.items.test_import_formats import MANIFEST, QTI_FIXTURES, package, write_folder

HEADER = "id,type,competency,level,stem_en,stem_hi,option_A_en,option_A_hi,option_B_en,option_B_hi,key,rationale_en\n"


def count_items(session) -> int:
    return session.scalar(select(func.count(Item.id)))


def refusal(session, path, **options) -> list[dict]:
    with pytest.raises(Invalid) as caught:
        import_path(session, path, options=ImportOptions(**options))
    session.rollback()
    assert count_items(session) == 0, "a refused import stored something"
    return caught.value.problems


def csv_file(tmp_path, rows: str, name: str = "items.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_folder_import_creates_agency_bank_and_items(session, dictionary, tmp_path):
    folder = write_folder(tmp_path, {"items/a.json": [ITEMS["single_choice"], ITEMS["true_false"]],
                                     "items/b.json": [ITEMS["situational_judgement"]]},
                          state="operational", description="Sample")
    report = import_path(session, folder)
    session.commit()
    bank = services.find_bank(session, "Bank A")
    assert (bank.organisation.name, bank.organisation.kind, bank.description) == ("Agency A", "agency", "Sample")
    assert report.created_bank and report.imported == ["SC-1", "TF-1", "SJ-1"]
    states = set(session.scalars(select(Item.state).where(Item.bank_id == bank.id)))
    assert states == {"operational"}
    stored = services.item_to_bank_json(services.find_item(session, bank, "SC-1"))
    assert stored["options"] == ITEMS["single_choice"]["options"] and stored["key"] == "B"


def test_reimport_of_the_same_folder_changes_nothing(session, dictionary, tmp_path):
    folder = write_folder(tmp_path, {"items/a.json": [ITEMS["single_choice"], ITEMS["numeric_entry"]]})
    import_path(session, folder)
    session.commit()
    again = import_path(session, folder)
    session.commit()
    assert again.imported == [] and again.unchanged == ["NE-1", "SC-1"] and not again.created_bank
    assert count_items(session) == 2


def test_changed_item_with_a_known_id_is_refused(session, dictionary, tmp_path):
    folder = write_folder(tmp_path, {"items/a.json": [ITEMS["single_choice"]]})
    import_path(session, folder)
    session.commit()
    changed = write_folder(tmp_path / "v2", {"items/a.json": [item("single_choice", key="A"),
                                                              ITEMS["true_false"]]})
    with pytest.raises(Invalid) as caught:
        import_path(session, changed)
    session.rollback()
    assert [(p["item"], p["field"]) for p in caught.value.problems] == [("SC-1", "id")]
    assert "other content" in caught.value.problems[0]["message"]
    assert count_items(session) == 1


def test_csv_import_with_bank_and_defaults_from_options(session, dictionary, tmp_path):
    path = csv_file(tmp_path, "C-1,single_choice,,,Which?,कौन?,a,ए,b,बी,B,why\n"
                              "C-2,single_choice,DM-RTI,4,Which?,,a,,b,,A,why\n")
    report = import_path(session, path, options=ImportOptions(bank="From CSV", agency="Agency C",
                                                              competency="FN-NOTING", level=2))
    session.commit()
    one, two = (services.find_item(session, services.find_bank(session, "From CSV"), c) for c in ("C-1", "C-2"))
    assert (one.competency.code, one.level, one.state) == ("FN-NOTING", 2, "draft")
    assert (two.competency.code, two.level) == ("DM-RTI", 4)
    assert report.kind == "csv" and report.state == "draft"
    assert services.find_bank(session, "From CSV").languages == ["en", "hi"]


def test_bad_csv_lists_every_problem_and_stores_nothing(session, dictionary, tmp_path):
    path = csv_file(tmp_path,
                    "B-1,single_choice,FN-NOTING,2,Q,,a,,b,,C,why\n"        # key names no option
                    "B-2,single_choice,NO-SUCH,2,Q,,a,,b,,A,why\n"          # unknown competency
                    "B-3,single_choice,FN-NOTING,2,Q,,a,,b,,,why\n"          # missing key
                    "B-1,true_false,FN-NOTING,2,Q,,,,,,true,why\n"           # duplicate id
                    "B-5,likert,FN-NOTING,2,Q,,a,,b,,,why\n")                # no credits; not behavioural
    problems = refusal(session, path, bank="Bad", agency="Agency B")
    where = {(p["row"], p["field"]) for p in problems}
    assert {(2, "key"), (3, "competency"), (4, "key"), (5, "id"), (6, "option_A_credit"),
            (6, "type")} <= where
    assert all(p["file"] == "items.csv" for p in problems)
    assert session.scalar(select(func.count(ItemBank.id))) == 0


def test_wrong_column_refuses_the_file(session, dictionary, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("id,type,competency,level,stem_en,answer,rationale_en\nX,true_false,FN-NOTING,1,Q,true,r\n")
    problems = refusal(session, path, bank="B", agency="A")
    assert problems[0]["field"] == "answer" and "unknown column" in problems[0]["message"]


def test_xlsx_import(session, dictionary, tmp_path):
    from piaa.items.exporters.tabular import xlsx_bytes

    items = [ITEMS[t] for t in ("single_choice", "multiple_response", "text_entry", "numeric_entry",
                                "ordering", "situational_judgement")]
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(xlsx_bytes(items, ("en", "hi")))
    report = import_path(session, path, options=ImportOptions(bank="Sheet", agency="Agency X"))
    session.commit()
    assert report.imported == [i["id"] for i in items]


def test_new_bank_needs_a_name_and_an_agency(session, dictionary, tmp_path):
    path = csv_file(tmp_path, "C-1,single_choice,FN-NOTING,2,Q,,a,,b,,B,why\n")
    assert refusal(session, path)[0]["field"] == "bank"
    assert refusal(session, path, bank="New")[0]["field"] == "agency"


def test_existing_bank_keeps_its_agency(session, bank, tmp_path):
    path = csv_file(tmp_path, "C-1,single_choice,FN-NOTING,2,Q,,a,,b,,B,why\n")
    problems = refusal(session, path, bank=bank.name, agency="Somebody Else")
    assert "belongs to 'Test Agency'" in problems[0]["message"]
    report = import_path(session, path, options=ImportOptions(bank=bank.name))
    assert report.imported == ["C-1"] and not report.created_bank


def test_single_qti_item_takes_competency_and_level_from_options(session, dictionary):
    report = import_path(session, QTI_FIXTURES / "v3_text_entry.xml",
                         options=ImportOptions(bank="QTI", agency="Agency Q", competency="FN-NOTING", level=1))
    session.commit()
    stored = services.find_item(session, services.find_bank(session, "QTI"), "Q3-TE-1")
    assert report.imported == ["Q3-TE-1"] and stored.competency.code == "FN-NOTING"
    assert services.item_to_bank_json(stored)["accepted"][1] == {"value": "SO", "credit": 0.5}


def test_qti_item_without_competency_is_refused(session, dictionary):
    problems = refusal(session, QTI_FIXTURES / "v3_order.xml", bank="QTI", agency="Agency Q")
    assert {p["field"] for p in problems} == {"competency", "level"}


def test_malformed_qti_is_refused(session, dictionary):
    problems = refusal(session, QTI_FIXTURES / "malformed.xml", bank="QTI", agency="A",
                       competency="FN-NOTING", level=1)
    assert problems[0]["file"] == "malformed.xml" and "malformed XML" in problems[0]["message"]


def qti_package(tmp_path) -> Path:
    path = tmp_path / "pkg.zip"
    path.write_bytes(package({"a/sc.xml": (QTI_FIXTURES / "v22_single_choice.xml").read_bytes(),
                              "b/essay.xml": (QTI_FIXTURES / "v3_media.xml").read_bytes(),
                              "missing.xml": (QTI_FIXTURES / "v3_order.xml").read_bytes()}, MANIFEST))
    return path


def test_package_with_unsupported_items_imports_nothing_unless_asked(session, dictionary, tmp_path):
    path = qti_package(tmp_path)
    problems = refusal(session, path, competency="DM-RTI", level=2)
    essay = [p for p in problems if p.get("item") == "Q3-MEDIA-1"]
    assert essay and "qti-media-interaction" in essay[0]["message"] and "--skip-unsupported" in essay[0]["message"]
    report = import_path(session, path, options=ImportOptions(competency="DM-RTI", level=2,
                                                              skip_unsupported=True))
    session.commit()
    assert report.imported == ["Q22-SC-1", "Q3-OR-1"] and report.bank == "Imported"
    assert [s["item"] for s in report.skipped] == ["Q3-MEDIA-1"]
    sc = services.find_item(session, services.find_bank(session, "Imported"), "Q22-SC-1")
    assert (sc.competency.code, sc.level, sc.sub_area) == ("FN-NOTING", 3, "leave")


def test_authors_import_drafts_into_their_own_agency(session, bank, author, tmp_path, make_user):
    path = csv_file(tmp_path, "C-1,single_choice,FN-NOTING,2,Q,,a,,b,,B,why\n")
    report = import_path(session, path, options=ImportOptions(bank=bank.name), actor=author)
    assert report.imported == ["C-1"]
    session.rollback()
    outsider = make_user(role="author", organisation="Other Agency")
    with pytest.raises((Invalid, Forbidden)):
        import_path(session, path, options=ImportOptions(bank=bank.name), actor=outsider)
    session.rollback()


# --- sample banks (the demo step) ------------------------------------------------------------

def test_demo_step_loads_dictionary_and_banks_once(session, tmp_path):
    root = tmp_path / "item_banks"
    root.mkdir()
    (root / "competencies.json").write_text(json.dumps(
        {"format": "piaa-competencies/1", "competencies": COMPETENCIES}), encoding="utf-8")
    write_folder(root, {"items/a.json": [ITEMS["single_choice"], ITEMS["likert"]]}, state="operational")
    broken = write_folder(root / "more", {"items/a.json": [item("true_false", key="yes")]}, name="Broken")
    shutil.move(str(broken), str(root / "broken-bank"))
    lines: list[str] = []
    first = load_sample_banks(session, root=root, echo=lines.append)
    session.commit()
    assert first["bank-a"].endswith("2 imported as operational") or "2 imported" in first["bank-a"]
    assert first["broken-bank"].startswith("refused")
    assert any("field key" in line for line in lines)
    second = load_sample_banks(session, root=root, echo=lines.append)
    assert second["bank-a"] == "already loaded" and count_items(session) == 2


# --- the command line ------------------------------------------------------------------------

class BankCommand:
    """``piaa bank ...`` run against the test's app."""

    def __init__(self, app):
        self.runner = app.test_cli_runner()

    def invoke(self, args):
        from piaa.items.cli import bank

        return self.runner.invoke(bank, args[1:])


@pytest.fixture
def cli(app):
    return BankCommand(app)


def test_cli_import_list_and_refusal(cli, session, dictionary, tmp_path):
    good = csv_file(tmp_path, "C-1,single_choice,FN-NOTING,2,Q,,a,,b,,B,why\n")
    result = cli.invoke(args=["bank", "import", str(good), "--bank", "Cli Bank", "--agency", "Cli Agency"])
    assert result.exit_code == 0, result.output
    assert "1 imported as draft" in result.output and "(new bank)" in result.output
    result = cli.invoke(args=["bank", "list"])
    assert "Cli Bank  [Cli Agency; en]  1 draft" in result.output
    bad = csv_file(tmp_path, "C-9,single_choice,NOPE,2,Q,,a,,b,,Z,why\n", "bad.csv")
    result = cli.invoke(args=["bank", "import", str(bad), "--bank", "Cli Bank"])
    assert result.exit_code != 0
    assert "bad.csv, row 2, item C-9, field competency: unknown competency 'NOPE'" in result.output
    assert "bad.csv, row 2, item C-9, field key:" in result.output
    assert "nothing imported" in result.output


def test_cli_skip_unsupported_and_template(cli, session, dictionary, tmp_path):
    path = qti_package(tmp_path)
    result = cli.invoke(args=["bank", "import", str(path), "--competency", "DM-RTI", "--level", "2"])
    assert result.exit_code != 0 and "Q3-MEDIA-1" in result.output
    result = cli.invoke(args=["bank", "import", str(path), "--competency", "DM-RTI", "--level", "2",
                              "--skip-unsupported"])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "qti-media-interaction" in result.output
    out = tmp_path / "template.xlsx"
    assert cli.invoke(args=["bank", "template", "--out", str(out)]).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_bad_xlsx_names_rows_and_columns(session, dictionary, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "items"
    sheet.append(["id", "type", "competency", "level", "stem_en", "option_A_en", "option_B_en", "key",
                  "rationale_en"])
    sheet.append(["X-1", "single_choice", "FN-NOTING", 2, "Q", "a", "b", "B", "r"])
    sheet.append(["X-2", "single_choice", "FN-NOTING", 9, "Q", "a", None, "A", "r"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    problems = refusal(session, path, bank="B", agency="A")
    assert {(p["row"], p["field"]) for p in problems} == {(3, "level"), (3, "options")}


def test_duplicate_identifiers_in_a_qti_package_are_refused(session, dictionary, tmp_path):
    from tests.items.test_import_formats import package

    manifest = MANIFEST.replace('href="b/essay.xml"><file href="b/essay.xml"/>', 'href="a/sc.xml">')
    path = tmp_path / "dup.zip"
    path.write_bytes(package({"a/sc.xml": (QTI_FIXTURES / "v22_single_choice.xml").read_bytes(),
                              "missing.xml": (QTI_FIXTURES / "v3_order.xml").read_bytes()}, manifest))
    problems = refusal(session, path, competency="DM-RTI", level=2)
    assert any(p["field"] == "id" and "duplicate item id 'Q22-SC-1'" in p["message"] for p in problems)
