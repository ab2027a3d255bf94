"""Positions: import all-or-nothing from JSON, CSV and XLSX, versions frozen once approved,
search, export round trip, and officials' transfers with history."""
import json

import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.errors import Invalid
from piaa.frac import positions as svc
from piaa.frac.models import FrozenPositionError, Position, PositionAssignment
from piaa.reports.models import Official, RequiredLevel
from tests.frac.conftest import position_record

CSV = """position_code,title,title_hi,description,role,activity,competency,level
ASO,Assistant Section Officer,सहायक अनुभाग अधिकारी,Section work,Noting and drafting,Puts up notes on files,FN-NOTING,3
ASO,,,,Noting and drafting,Drafts replies,DM-RTI,2
SO,Section Officer,,,Supervision,Checks notes,BH-EMPATHY,3
"""


def _import(session, mdo, records, filename="positions.json"):
    return svc.import_positions(session, mdo, [svc.SourcedPosition(r, i + 1) for i, r in enumerate(records)],
                                filename=filename)


def test_json_import_creates_draft_positions_with_roles_activities_and_levels(session, dictionary, mdo):
    report = _import(session, mdo, [position_record(), position_record("SO", "Section Officer")])
    session.commit()
    assert report.created == ["ASO", "SO"]
    aso = session.scalar(select(Position).where(Position.code == "ASO"))
    version = aso.newest
    assert (version.number, version.state) == (1, "draft")
    assert [r["name"] for r in version.roles] == ["Noting and drafting", "RTI"]
    assert {(r.competency.code, r.level) for r in version.requirements} == {("FN-NOTING", 3), ("DM-RTI", 2)}


def test_csv_rows_build_positions_and_agree_with_json(session, dictionary, mdo):
    records = svc.parse_position_csv(CSV, "p.csv")
    assert [s.row for s in records] == [2, 4]
    report = svc.import_positions(session, mdo, records, filename="p.csv")
    assert report.created == ["ASO", "SO"]
    aso = session.scalar(select(Position).where(Position.code == "ASO"))
    assert aso.newest.title_hi == "सहायक अनुभाग अधिकारी"
    assert aso.newest.roles == [{"name": "Noting and drafting",
                                 "activities": ["Puts up notes on files", "Drafts replies"]}]


def test_every_problem_is_named_by_file_row_and_field_and_nothing_is_imported(session, dictionary, mdo):
    bad_csv = CSV + "TA,Typist,,,Typing,,NO-SUCH,3\nTA,,,,Typing,Types,FN-NOTING,9\n,,,,,,,\nXX,,,,,Orphan activity,,\n"
    records = svc.parse_position_csv(bad_csv, "p.csv")
    with pytest.raises(Invalid) as caught:
        svc.import_positions(session, mdo, records, filename="p.csv")
    where = {(p["file"], p["row"], p["field"]) for p in caught.value.problems}
    assert ("p.csv", 5, "competency") in where
    assert ("p.csv", 6, "level") in where
    assert ("p.csv", 8, "title") in where
    assert ("p.csv", 8, "role") in where
    session.rollback()
    assert session.scalar(select(Position.id)) is None


def test_an_orphan_activity_is_refused(session, mdo):
    records = svc.parse_position_csv("position_code,title,role,activity\nA,T,,Loose activity\n", "p.csv")
    with pytest.raises(Invalid) as caught:
        svc.import_positions(session, mdo, records, filename="p.csv")
    assert caught.value.problems == [{"file": "p.csv", "row": 2, "field": "role",
                                      "message": "an activity needs the role it belongs to"}]


def test_a_json_file_names_rows_and_fields(session, dictionary, mdo):
    text = json.dumps({"format": "piaa-positions/1", "positions": [
        position_record(), position_record(code="bad code", title=""), position_record()]})
    with pytest.raises(Invalid) as caught:
        svc.import_positions(session, mdo, svc.parse_position_json(text, "p.json"), filename="p.json")
    found = {(p["row"], p["field"]) for p in caught.value.problems}
    assert {(2, "code"), (2, "title"), (3, "code")} <= found


def test_xlsx_export_reads_back_to_the_same_positions(session, dictionary, mdo):
    _import(session, mdo, [position_record(), position_record("SO", "Section Officer", competencies=[])])
    document = svc.export_positions(session, mdo)
    data = svc.table_xlsx(svc.position_table(document))
    again = svc.parse_position_xlsx(data, "p.xlsx")
    assert [svc._canonical(s.record) for s in again] == [svc._canonical(r) for r in document["positions"]]
    csv_again = svc.parse_position_csv(svc.table_csv(svc.position_table(document)))
    assert [svc._canonical(s.record) for s in csv_again] == [svc._canonical(r) for r in document["positions"]]
    # the same file again changes nothing
    assert _import(session, mdo, document["positions"]).unchanged == ["ASO", "SO"]


def test_an_approved_version_is_never_edited_in_place(session, dictionary, mdo, leader):
    _import(session, mdo, [position_record()])
    aso = session.scalar(select(Position).where(Position.code == "ASO"))
    svc.approve_position(session, aso, actor=leader)
    session.commit()
    report = _import(session, mdo, [position_record(competencies=[{"code": "FN-NOTING", "level": 4}])])
    session.commit()
    assert report.revised == ["ASO"]
    assert [(v.number, v.state) for v in aso.versions] == [(1, "approved"), (2, "draft")]
    assert {(r.competency.code, r.level) for r in aso.versions[0].requirements} == {("FN-NOTING", 3), ("DM-RTI", 2)}
    assert aso.approved.number == 1
    # a draft is revised in place; an approved version refuses any change
    _import(session, mdo, [position_record(competencies=[{"code": "FN-NOTING", "level": 5}])])
    assert len(aso.versions) == 2 and aso.versions[1].requirements[0].level == 5
    aso.versions[0].title = "Changed"
    with pytest.raises(FrozenPositionError):
        session.flush()
    session.rollback()
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "position")).all()
    assert actions == ["position.created", "position.approved", "position.revised"]


def test_search_by_text_in_roles_and_by_competency(session, dictionary, mdo):
    _import(session, mdo, [position_record(), position_record("SO", "Section Officer",
                                                               competencies=[{"code": "BH-EMPATHY", "level": 3}])])
    assert [p.code for p in svc.search_positions(session, text="rti applications")] == ["ASO", "SO"]
    assert [p.code for p in svc.search_positions(session, text="assistant")] == ["ASO"]
    assert [p.code for p in svc.search_positions(session, competency="BH-EMPATHY")] == ["SO"]
    assert svc.search_positions(session, text="50%_") == []


def test_a_transfer_changes_the_position_and_keeps_the_history(session, dictionary, mdo, make_user, clock):
    _import(session, mdo, [position_record(), position_record("SO", "Section Officer",
                                                               competencies=[{"code": "BH-EMPATHY", "level": 4}])])
    aso, so = (session.scalar(select(Position).where(Position.code == c)) for c in ("ASO", "SO"))
    with pytest.raises(Invalid, match="no approved version"):
        svc.transfer(session, make_user(), aso)
    for p in (aso, so):
        svc.approve_position(session, p)
    official = make_user(role="candidate", organisation=None)
    svc.transfer(session, official, aso)
    clock.advance(days=400)
    svc.transfer(session, official, so, note="promotion")
    session.commit()
    history = svc.position_history(session, official)
    assert [(a.position.code, a.ended_at is None) for a in history] == [("ASO", False), ("SO", True)]
    assert svc.current_assignment(session, official).position_id == so.id
    record = session.get(Official, official.id)
    assert (record.mdo_id, record.position) == (mdo.id, "Section Officer")
    levels = session.scalars(select(RequiredLevel).where(RequiredLevel.user_id == official.id)).all()
    assert [(r.competency_id, r.level) for r in levels] == [(dictionary["BH-EMPATHY"].id, 4)]
    with pytest.raises(Invalid, match="already holds"):
        svc.transfer(session, official, so)
    assert session.scalar(select(PositionAssignment.id).where(PositionAssignment.position_id == 999)) is None


HINDI_ROLES = [{"name": "Noting and drafting", "name_hi": "टिप्पण और प्रारूपण",
                "activities": ["Puts up notes on files", "Drafts replies"],
                "activities_hi": ["फ़ाइलों पर टिप्पणी रखता है", ""]},
               {"name": "RTI", "activities": ["Drafts replies to RTI applications"]}]


def test_roles_activities_and_description_keep_their_hindi_through_every_file_form(session, dictionary, mdo):
    record = position_record(description_hi="अनुभाग का कार्य", roles=HINDI_ROLES)
    _import(session, mdo, [record])
    session.commit()
    version = session.scalar(select(Position).where(Position.code == "ASO")).newest
    assert version.description_hi == "अनुभाग का कार्य"
    # Kept as given; a role without Hindi stays as roles were before there was any.
    assert version.roles == HINDI_ROLES
    document = svc.export_positions(session, mdo)
    assert document["positions"][0]["roles"] == HINDI_ROLES
    rows = svc.position_table(document)
    assert rows[0] == ["position_code", "title", "title_hi", "description", "description_hi", "role", "role_hi",
                       "activity", "activity_hi", "competency", "level"]
    assert rows[1][4:9] == ["अनुभाग का कार्य", "Noting and drafting", "टिप्पण और प्रारूपण",
                            "Puts up notes on files", "फ़ाइलों पर टिप्पणी रखता है"]
    for again in (svc.parse_position_csv(svc.table_csv(rows), "p.csv"),
                  svc.parse_position_xlsx(svc.table_xlsx(rows), "p.xlsx")):
        assert [svc._canonical(s.record) for s in again] == [svc._canonical(document["positions"][0])]
    assert _import(session, mdo, document["positions"]).unchanged == ["ASO"]
    assert [p.code for p in svc.search_positions(session, text="टिप्पण")] == ["ASO"]


def test_a_reader_of_hindi_gets_each_activity_in_hindi_where_it_has_some():
    role = HINDI_ROLES[0]
    assert svc.activities_in_language(role, "hi") == ["फ़ाइलों पर टिप्पणी रखता है", "Drafts replies"]
    assert svc.activities_in_language(role, "en") == role["activities"]


@pytest.mark.parametrize("roles, field", [
    ([{"name": "RTI", "activities": ["Replies"], "activities_hi": ["उत्तर", "अतिरिक्त"]}], "roles[0].activities_hi"),
    ([{"name": "RTI", "activities": ["Replies"], "activities_hi": "उत्तर"}], "roles[0].activities_hi"),
    ([{"name": "RTI", "name_hi": 7, "activities": []}], "roles[0].name_hi"),
    ([{"name": "RTI", "activities": [], "tasks": []}], "roles[0].tasks"),
])
def test_hindi_that_does_not_fit_its_english_is_refused_by_field(session, dictionary, mdo, roles, field):
    with pytest.raises(Invalid) as caught:
        _import(session, mdo, [position_record(roles=roles)])
    assert field in {p["field"] for p in caught.value.problems}


def test_a_table_row_with_hindi_but_no_english_activity_is_refused(session, mdo):
    text = "position_code,title,role,activity,activity_hi\nA,Typist,Typing,,टाइप करता है\n"
    with pytest.raises(Invalid) as caught:
        svc.import_positions(session, mdo, svc.parse_position_csv(text, "p.csv"), filename="p.csv")
    assert ("p.csv", 2, "activity") in {(p.get("file"), p.get("row"), p["field"]) for p in caught.value.problems}
