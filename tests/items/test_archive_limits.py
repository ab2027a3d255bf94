"""Zip bombs and other unsafe archives are refused from their directory, before unpacking,
whichever way they arrive: QTI package or zipped bank folder, web upload, API or CLI."""
from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from piaa import jobs
from piaa.items.cli import bank as bank_cli
from piaa.items.importers import archive, folder, qti, tabular

# Just past the total limit, so the archive is refused as a whole; 130 MiB of zeros packs to
# about 130 KB (a ratio near 1,000).
BOMB_BYTES = archive.MAX_UNPACKED_BYTES + 2 * 1024 * 1024
MANIFEST = b"""<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" identifier="m">
<resources><resource identifier="bomb" type="imsqti_item_xmlv3p0" href="items/%s"/></resources>
</manifest>"""
JOB = "piaa.items.import_service.import_job"


def zeros_member(zipped: zipfile.ZipFile, name: str, size: int) -> None:
    """Write ``size`` zero bytes as one member without holding them in memory."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipped.open(info, "w", force_zip64=True) as out:
        block = bytes(1024 * 1024)
        for _ in range(size // len(block)):
            out.write(block)


def bomb(kind: str, members: list[tuple[str, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        if kind == "qti":
            zipped.writestr("imsmanifest.xml", MANIFEST % members[0][0].encode())
        else:
            zipped.writestr("bank/bank.json", '{"format": "piaa-bank/1", "name": "B", "agency": "A",'
                                              ' "item_files": ["items/%s"]}' % members[0][0])
        for name, size in members:
            zeros_member(zipped, ("items/" if kind == "qti" else "bank/items/") + name, size)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def qti_bomb() -> bytes:
    # Spread over several members, each under the one-file limit, so only the total refuses it.
    share = archive.MAX_MEMBER_BYTES - 1024 * 1024
    count = BOMB_BYTES // share + 1
    return bomb("qti", [(f"zeros{i}.xml", share) for i in range(count)])


@pytest.fixture(scope="module")
def folder_bomb() -> bytes:
    return bomb("folder", [("zeros.json", BOMB_BYTES)])


def peak_memory(call):
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_qti_bomb_is_refused_before_unpacking(qti_bomb):
    assert len(qti_bomb) < 2 * 1024 * 1024
    (parsed, problems), peak = peak_memory(lambda: qti.read_qti_file(qti_bomb, "bomb.zip"))
    assert parsed.items == [] and len(problems) == 1
    assert "unpacks to more than 128 MiB" in problems[0]["message"] and problems[0]["file"] == "bomb.zip"
    assert peak < 8 * 1024 * 1024, f"{peak / 2**20:.0f} MiB held while refusing a zip bomb"


def test_bank_folder_bomb_writes_nothing(folder_bomb, tmp_path):
    (_, problems), peak = peak_memory(lambda: folder.read_bank_zip(folder_bomb, "bomb.zip", tmp_path))
    assert "unpacks to" in problems[0]["message"]
    written = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert written == 0 and peak < 8 * 1024 * 1024


def test_one_member_too_large_or_packed_too_tightly_is_refused(tmp_path):
    big = bomb("qti", [("big.xml", archive.MAX_MEMBER_BYTES + 1024 * 1024)])
    assert "at most 32 MiB a file" in qti.read_qti_file(big, "big.zip")[1][0]["message"]
    tight = bomb("qti", [("tight.xml", 4 * 1024 * 1024)])  # 4 MiB of zeros packs about 1,000:1
    assert "to 1; at most 100 to 1" in qti.read_qti_file(tight, "tight.zip")[1][0]["message"]


def test_too_many_members_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for i in range(archive.MAX_MEMBERS + 1):
            zipped.writestr(f"f{i}", b"")
    message = qti.read_qti_file(buffer.getvalue(), "many.zip")[1][0]["message"]
    assert message == "the archive holds 20,001 members; at most 20,000 are accepted"


def test_a_directory_that_understates_sizes_is_stopped_while_reading():
    """A forged directory claiming 100 bytes for a megabyte: reading stops at the stated size
    and the CRC check refuses the member; nothing beyond the limits is ever held."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("imsmanifest.xml", MANIFEST % b"x.xml")
        zipped.writestr("items/x.xml", bytes(1024 * 1024))
    data = bytearray(buffer.getvalue())
    stated = (1024 * 1024).to_bytes(4, "little")
    at = data.rindex(stated)  # the central directory's uncompressed size of items/x.xml
    data[at:at + 4] = (100).to_bytes(4, "little")
    _, problems = qti.read_qti_file(bytes(data), "forged.zip")
    assert "cannot be unpacked" in problems[0]["message"] or "Bad CRC" in problems[0]["message"]


def test_xlsx_bomb_is_refused(qti_bomb):
    _, problems = tabular.read_xlsx(qti_bomb, "bomb.xlsx")
    assert "not a readable XLSX workbook (the archive unpacks to more than" in problems[0]["message"]


# --- every way in ------------------------------------------------------------------------------

@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "PIAA_UPLOAD_DIR": str(tmp_path / "uploads")}


def test_web_upload_of_a_bomb_is_refused(client, login_as, bank, author, qti_bomb):
    login_as(author)
    response = client.post("/items/import/", data={"file": (io.BytesIO(qti_bomb), "bomb.zip"),
                                                    "bank": bank.name}, content_type="multipart/form-data")
    job = jobs.wait(response.headers["Location"].rsplit("/", 1)[-1], timeout=60)
    assert job.result["ok"] is False and "unpacks to more than" in job.result["problems"][0]["message"]


def test_api_upload_of_a_bomb_is_refused(client, session, make_user, folder_bomb):
    from piaa.accounts.services import issue_token

    token = issue_token(session, make_user(role="admin"), "import script")
    session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/imports", headers=bearer, data={
        "file": (io.BytesIO(folder_bomb), "bomb.zip"), "bank": "B", "agency": "A"},
        content_type="multipart/form-data")
    assert response.status_code == 202
    job = jobs.wait(response.json["job"], timeout=60)
    assert job.result["ok"] is False and "unpacks to" in job.result["problems"][0]["message"]


def test_cli_import_of_a_bomb_is_refused(app, qti_bomb, tmp_path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(qti_bomb)
    result = app.test_cli_runner().invoke(bank_cli, ["import", str(path), "--bank", "B", "--agency", "A"])
    assert result.exit_code != 0 and "unpacks to more than 128 MiB" in result.output
