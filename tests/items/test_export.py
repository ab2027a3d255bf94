"""Exporting a bank (QTI 3.0 package, CSV, XLSX, bank folder) and importing it back gives the
same items."""
from __future__ import annotations

import zipfile

import pytest

from piaa.errors import Invalid, NotFound
from piaa.items import bank_format, services
from piaa.items.import_service import ImportOptions, bank_items, export_bank, import_path
from tests.items.samples import ITEMS
from tests.items.test_import_formats import write_folder


def canonical(items):
    return sorted((bank_format.canonical_item(i) for i in items), key=lambda i: i["id"])


@pytest.fixture
def loaded(session, dictionary, tmp_path):
    folder = write_folder(tmp_path / "source", {"items/all.json": list(ITEMS.values())},
                          name="Every Type", agency="Agency E", state="approved")
    import_path(session, folder)
    session.commit()
    return services.find_bank(session, "Every Type")


def reimported(session, path, **options):
    import_path(session, path, options=ImportOptions(bank="Copy", **options))
    session.commit()
    return bank_items(session, services.find_bank(session, "Copy"))


def test_stored_items_read_back_as_imported(session, loaded):
    assert canonical(bank_items(session, loaded)) == canonical(ITEMS.values())


def test_qti3_package_round_trip(session, loaded, tmp_path):
    out = tmp_path / "every-type.zip"
    written = export_bank(session, "Every Type", "qti3", out)
    assert written["items"] == len(ITEMS)
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    assert "imsmanifest.xml" in names and {f"items/{i['id']}.xml" for i in ITEMS.values()} <= names
    copy = reimported(session, out)
    assert canonical(copy) == canonical(bank_items(session, loaded))
    # into the bank it came from, the package changes nothing
    again = import_path(session, out)
    assert again.bank == "Every Type" and again.imported == [] and len(again.unchanged) == len(ITEMS)


def test_json_folder_and_zip_round_trip(session, loaded, tmp_path):
    export_bank(session, "Every Type", "json", tmp_path / "folder")
    manifest = bank_format.read_json(tmp_path / "folder" / "bank.json", "bank.json")[0]
    assert manifest["item_files"] == ["items/BH-EMPATHY.json", "items/DM-RTI.json", "items/FN-NOTING.json"]
    assert bank_format.manifest_problems(manifest) == []
    assert canonical(reimported(session, tmp_path / "folder")) == canonical(ITEMS.values())
    export_bank(session, "Every Type", "json", tmp_path / "bank.zip")
    again = import_path(session, tmp_path / "bank.zip", options=ImportOptions(bank="Copy"))
    assert len(again.unchanged) == len(ITEMS)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheet_round_trip(session, dictionary, tmp_path, fmt):
    lettered = [i for i in ITEMS.values() if i["type"] != "likert"]
    import_path(session, write_folder(tmp_path / "source", {"items/a.json": lettered}, name="Letters"))
    session.commit()
    out = tmp_path / f"letters.{fmt}"
    export_bank(session, "Letters", fmt, out)
    assert canonical(reimported(session, out, agency="Agency A")) == canonical(lettered)


def test_spreadsheet_export_refuses_option_ids_that_are_not_letters(session, loaded, tmp_path):
    with pytest.raises(Invalid) as caught:
        export_bank(session, "Every Type", "csv", tmp_path / "x.csv")
    assert caught.value.problems[0]["item"] == "LK-1" and "json or qti3" in caught.value.problems[0]["message"]
    assert not (tmp_path / "x.csv").exists()


def test_unknown_bank_and_format(session, loaded, tmp_path):
    with pytest.raises(NotFound):
        export_bank(session, "No Such Bank", "qti3", tmp_path / "x.zip")
    with pytest.raises(Invalid):
        export_bank(session, "Every Type", "pdf", tmp_path / "x.pdf")


def test_cli_export(app, loaded, tmp_path):
    from piaa.items.cli import bank

    out = tmp_path / "cli.zip"
    result = app.test_cli_runner().invoke(bank, ["export", "Every Type", "--format", "qti3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(ITEMS)} items of 'Every Type' written" in result.output and out.is_file()
    result = app.test_cli_runner().invoke(bank, ["export", "Nope", "--format", "json", "--out", str(out)])
    assert result.exit_code != 0 and "no item bank named 'Nope'" in result.output


def test_a_sample_bank_of_the_repository_round_trips_through_qti3(session, tmp_path):
    from piaa.items.import_service import sample_banks_dir

    root = sample_banks_dir()
    records = services.read_competency_file(root / "competencies.json")
    services.import_competencies(session, records)
    import_path(session, root / "aso-office-procedure")
    session.commit()
    original = bank_items(session, services.find_bank(session, "ASO Office Procedure"))
    assert any("hi" in i["stem"] for i in original), "the sample bank is bilingual"
    export_bank(session, "ASO Office Procedure", "qti3", tmp_path / "aso.zip")
    copy = reimported(session, tmp_path / "aso.zip", agency="Institute of Secretariat Training and Management")
    assert canonical(copy) == canonical(original)
