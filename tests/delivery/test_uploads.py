"""Files as answers (upload and drawing items): taken only within the item's limits and types
(told from the bytes), named by the answer only when kept for that item, rated by people, and
opened only by a rater who may rate that answer."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from piaa.delivery import states
from piaa.delivery.models import AttemptItem, ResponseFile
from piaa.items import services as items
from piaa.items.models import OPERATIONAL
from tests.delivery.helpers import Sitting, bearer

UPLOAD = {"id": "UP-001", "type": "upload", "competency": "FN-NOTING", "level": 3, "sub_area": "writing",
          "stem": {"en": "Upload a scan of the filled leave form."},
          "rubric": {"en": "3: every field right and signed."}, "max_points": 3,
          "accept": ["application/pdf", "image/png"], "max_bytes": 2000}
BLUEPRINT = {"cells": [{"level": 2, "sub_area": "noting", "count": 1}, {"level": 3, "sub_area": "writing", "count": 1}],
             "tolerance": 0}
PDF = b"%PDF-1.4\n% a leave form\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
def sitting(app, session, bank, make_assessment, make_window, candidate, agency):
    items.create_item_from_bank_json(session, bank, UPLOAD, state=OPERATIONAL)
    session.commit()
    window = make_window(make_assessment(mode="fixed", n_forms=1, blueprint=BLUEPRINT, purpose="pre_course",
                                                 organisation=agency))
    client = Sitting(app.test_client(), bearer(session, candidate))
    client.open(window.id)
    client.check_in_and_start()
    (upload,) = [i for i in client.items() if i["content"]["interaction"] == "upload"]
    return client, upload


def send(client: Sitting, ref: str, data: bytes, name: str = "form.pdf", expect: int = 200):
    response = client.client.post(f"/api/v1/attempts/{client.attempt_id}/responses/{ref}/file", data=data,
                                  headers={**client.headers, "Content-Type": "application/octet-stream",
                                           "X-File-Name": name})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_a_file_is_kept_only_within_the_items_limits_and_types(sitting, session):
    client, upload = sitting
    assert upload["content"]["accept"] == ["application/pdf", "image/png"] and "rubric" not in upload["content"]
    assert "none of those" in str(send(client, upload["ref"], b"GIF89a" + b"0" * 10, "x.pdf", 422))  # a GIF named .pdf
    assert "at most 2000" in str(send(client, upload["ref"], PDF + b"0" * 2000, expect=422))
    assert send(client, upload["ref"], b"", expect=422)
    other = next(i for i in client.items() if i["ref"] != upload["ref"])
    assert "takes no file" in str(send(client, other["ref"], PDF, expect=422))
    # a name is kept without its path and without characters that could mean markup
    answer = send(client, upload["ref"], PDF, "C:\\scans\\<b>form.pdf")["answer"]
    assert answer["type"] == "application/pdf" and answer["size"] == len(PDF) and answer["name"] == "_b_form.pdf"
    assert session.scalar(select(ResponseFile).where(ResponseFile.sha256 == answer["file"])).data == PDF
    # an answer may name only a file kept for this item
    client.answer(upload["ref"], {**answer, "file": "f" * 64}, expect=422)
    client.answer(upload["ref"], answer)


def test_the_file_waits_for_a_rater_who_alone_opens_it(sitting, session, make_user, login_as, candidate, agency):
    client, upload = sitting
    answer = send(client, upload["ref"], PNG, "form.png")["answer"]
    client.answer(upload["ref"], answer)
    for other in client.items():
        if other["ref"] != upload["ref"]:
            client.answer(other["ref"], "B")
    assert client.submit()["attempt"]["state"] == states.AWAITING_RATINGS
    row = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == client.attempt_id,
                                                    AttemptItem.ref == upload["ref"])).one()
    # the candidate cannot open the rater's page for it, nor a rater of another agency
    assert login_as(candidate).get(f"/ratings/{row.id}/file").status_code == 403
    elsewhere = make_user(role="rater", organisation="Other Agency")
    assert login_as(elsewhere).get(f"/ratings/{row.id}/file").status_code == 403
    rater = login_as(make_user(role="rater", organisation=agency.name))
    page = rater.get(f"/ratings/{row.id}").get_data(as_text=True)
    assert "form.png" in page and f"/ratings/{row.id}/file" in page and "every field right" in page
    shown = rater.get(f"/ratings/{row.id}/file")
    assert shown.status_code == 200 and shown.data == PNG and shown.mimetype == "image/png"
    assert "attachment" in rater.get(f"/ratings/{row.id}/file?download=1").headers["Content-Disposition"]
    assert shown.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in shown.headers["Cache-Control"]
    assert "object-src 'none'" in shown.headers["Content-Security-Policy"]  # the site's policy: no plugin runs
    assert rater.post(f"/ratings/{row.id}", data={"points": "2"}).status_code == 302
    session.expire_all()
    row = session.get(AttemptItem, row.id)
    assert row.attempt.state == states.SCORED and row.credit == 2.0 and row.max_credit == 3.0
    # rated: the file is no longer open to raters
    assert rater.get(f"/ratings/{row.id}/file").status_code == 404
