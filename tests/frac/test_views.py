"""FRAC pages and commands: browse, search, import and export positions; the CoE flow over HTTP."""
import io
import json

import pytest
from sqlalchemy import select

from piaa.cli import main
from piaa.errors import Invalid
from piaa.frac import positions as svc
from piaa.frac.models import CompetencyProposal, Position
from tests.conftest import login
from tests.frac.conftest import MINISTRY, new_competency, position_record


def _upload(client, name, body, **data):
    return client.post("/frac/positions/import", data={"file": (io.BytesIO(body), name), **data},
                       content_type="multipart/form-data")


def test_staff_import_browse_search_and_export_positions(app, session, dictionary, staff):
    client = app.test_client()
    login(client, staff)
    body = json.dumps({"format": "piaa-positions/1", "positions": [position_record()]}).encode()
    response = _upload(client, "p.json", body)
    assert response.status_code == 200 and "1 created" in response.get_data(as_text=True)
    page = client.get("/frac/positions?q=noting").get_data(as_text=True)
    assert "Assistant Section Officer" in page and "FN-NOTING (3)" in page
    assert "No positions found" in client.get("/frac/positions?q=zzz").get_data(as_text=True)
    position = session.scalar(select(Position))
    detail = client.get(f"/frac/positions/{position.id}").get_data(as_text=True)
    assert "Drafts replies to RTI applications" in detail and "Approve this version" not in detail
    exported = client.get("/frac/positions/export.json").get_json()
    assert exported["positions"][0]["competencies"] == [{"code": "DM-RTI", "level": 2}, {"code": "FN-NOTING", "level": 3}]
    csv_text = client.get(f"/frac/positions/export.csv?mdo={MINISTRY}").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("position_code,title")
    assert client.get("/frac/positions/export.xlsx").data[:2] == b"PK"


def test_a_bad_file_is_refused_whole_with_its_problems_named(app, session, dictionary, staff):
    client = app.test_client()
    login(client, staff)
    body = b"position_code,title,competency,level\nA,Typist,NO-SUCH,3\nB,Clerk,FN-NOTING,7\n"
    response = _upload(client, "p.csv", body)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "p.csv row 2 field competency" in " ".join(text.split()) and "row 3" in text
    assert session.scalar(select(Position.id)) is None


def test_a_bad_file_s_problems_read_in_hindi_on_the_page_and_in_english_through_the_api(
        app, session, dictionary, staff):
    client = app.test_client()
    login(client, staff)
    body = b"position_code,title,competency,level\nA,Typist,NO-SUCH,3\nB,Clerk,FN-NOTING,7\n"
    response = client.post("/frac/positions/import?lang=hi", data={"file": (io.BytesIO(body), "p.csv")},
                           content_type="multipart/form-data")
    text = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 422
    # each problem's marked text in Hindi, with its values (the code, the level) in place
    assert "शब्दकोश में कोड &#39;NO-SUCH&#39; वाली कोई स्वीकृत दक्षता नहीं है" in text
    assert "स्तर 1 से 5 होना चाहिए, मिला 7" in text
    assert "no approved competency" not in text and "must be a level" not in text
    # the API (and the command line) read the same problem filled in, in English
    with pytest.raises(Invalid) as refused:
        svc.import_positions(session, staff.organisation, svc.parse_position_csv(body.decode(), "p.csv"),
                             filename="p.csv")
    sent = refused.value.to_dict()["error"]["problems"]
    assert {"file": "p.csv", "row": 3, "field": "level", "message": "must be a level 1 to 5, got 7"} in sent


def test_leadership_approves_a_position(app, session, dictionary, leader, staff):
    from piaa.frac import positions as svc

    svc.save_position(session, staff.organisation, position_record())
    session.commit()
    position = session.scalar(select(Position))
    client = app.test_client()
    login(client, leader)
    assert "Approve this version" in client.get(f"/frac/positions/{position.id}").get_data(as_text=True)
    assert client.post(f"/frac/positions/{position.id}/approve").status_code == 302
    session.expire_all()
    assert position.newest.state == "approved"


def _form(record, **extra):
    data = {"code": record["code"], "name": record["name"], "type": record["type"],
            "description": record["description"], **extra}
    for lvl in record["levels"]:
        data[f"label{lvl['level']}"] = lvl["label"]
        data[f"level{lvl['level']}"] = lvl["descriptor"]
    return data


def test_the_flow_over_http(app, session, dictionary, staff, leader, reviewer):
    staff_client, leader_client, reviewer_client = app.test_client(), app.test_client(), app.test_client()
    login(staff_client, staff)
    login(leader_client, leader)
    login(reviewer_client, reviewer)
    check = staff_client.get("/frac/competencies/new?name=Drafting+notes").get_data(as_text=True)
    assert 'id="similar"' in check and "FN-NOTING" in check
    response = staff_client.post("/frac/competencies/new", data=_form(new_competency(), area="Persuasion"))
    assert response.status_code == 302
    proposal = session.scalar(select(CompetencyProposal))
    url = f"/frac/competencies/{proposal.id}"
    assert staff_client.post(url + "/move", data={"action": "submit"}).status_code == 302
    assert leader_client.post(url + "/move", data={"action": "forward"}).status_code == 302
    page = reviewer_client.get(url).get_data(as_text=True)
    assert 'value="consent"' in page and 'value="return"' in page and 'id="edit"' not in page
    assert reviewer_client.post(url + "/edit", data=_form(new_competency())).status_code == 403
    assert reviewer_client.post(url + "/move", data={"action": "return", "comment": "Tense of level 2"}).status_code == 302
    revised = _form(new_competency(name="Negotiation skills"))
    assert staff_client.post(url + "/edit", data=revised).status_code == 302
    staff_client.post(url + "/move", data={"action": "resubmit"})
    leader_client.post(url + "/move", data={"action": "forward"})
    reviewer_client.post(url + "/move", data={"action": "consent"})
    assert reviewer_client.post(url + "/move", data={"action": "approve"}).status_code == 403
    assert leader_client.post(url + "/move", data={"action": "approve"}).status_code == 302
    page = leader_client.get(url).get_data(as_text=True)
    assert 'id="state">approved' in page and "Tense of level 2" in page
    assert "Negotiation skills" in leader_client.get("/competencies/BH-NEGOTIATE").get_data(as_text=True)


def test_cli_imports_approves_transfers_and_exports(app, session, dictionary, mdo, make_user, tmp_path):
    official = make_user(role="candidate", organisation=None, email="official@example.gov.in")
    path = tmp_path / "positions.json"
    path.write_text(json.dumps({"positions": [position_record()]}))
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["frac", "import-positions", str(path), "--mdo", MINISTRY, "--approve"])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    result = runner.invoke(main, ["frac", "transfer", official.email, "ASO", "--mdo", MINISTRY])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["frac", "export-positions", "--mdo", MINISTRY, "--format", "csv"])
    assert "ASO,Assistant Section Officer" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("position_code,title,competency,level\nA,T,NOPE,2\n")
    result = runner.invoke(main, ["frac", "import-positions", str(bad), "--mdo", MINISTRY])
    assert result.exit_code != 0 and "bad.csv, row 2, field competency" in result.output
    result = runner.invoke(main, ["frac", "similar", "Empathy towards citizens"])
    assert result.output.split()[1] == "BH-EMPATHY"


def test_a_position_page_shows_the_hindi_of_roles_and_activities_to_a_reader_of_hindi(app, session, dictionary,
                                                                                   staff):
    from tests.frac.test_positions import HINDI_ROLES

    client = app.test_client()
    login(client, staff)
    record = position_record(description_hi="अनुभाग का कार्य", roles=HINDI_ROLES)
    body = json.dumps({"format": "piaa-positions/1", "positions": [record]}).encode()
    assert _upload(client, "p.json", body).status_code == 200
    position = session.scalar(select(Position))
    english = client.get(f"/frac/positions/{position.id}?lang=en").get_data(as_text=True)
    assert "Puts up notes on files" in english and "फ़ाइलों पर टिप्पणी रखता है" not in english
    hindi = client.get(f"/frac/positions/{position.id}?lang=hi").get_data(as_text=True)
    for text in ("टिप्पण और प्रारूपण", "फ़ाइलों पर टिप्पणी रखता है", "अनुभाग का कार्य"):
        assert text in hindi
    assert "Puts up notes on files" not in hindi and "Section work" not in hindi
    # An activity without Hindi is shown in English rather than left out.
    assert "Drafts replies" in hindi
    api = client.get(f"/api/v1/positions/{position.id}").get_json()
    assert api["newest"]["roles"] == HINDI_ROLES and api["newest"]["description_hi"] == "अनुभाग का कार्य"
