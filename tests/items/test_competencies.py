"""The competency dictionary: CSV and JSON import, versions, all-or-nothing errors, search."""
import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from piaa.audit import AuditEvent
from piaa.cli import main
from piaa.errors import Invalid
from piaa.items import services
from piaa.items.models import Competency, CompetencyVersion
from tests.items.samples import COMPETENCIES

HEADER = "code,name,type,description,level1,level2,level3,level4,level5\n"


def _csv(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


ROW_NOTING = 'FN-NOTING,Noting and drafting,functional,"Notes, drafts",Reads,Writes,Guides,Reviews,Sets policy'
ROW_RTI = "DM-RTI,RTI Act,domain,Right to Information,Knows,Applies,Decides,Trains,Shapes"


def test_csv_import_creates_competencies_with_default_labels(session):
    records = services.parse_competency_csv(_csv(ROW_NOTING, ROW_RTI), "dict.csv")
    report = services.import_competencies(session, records, filename="dict.csv")
    assert report.created == ["FN-NOTING", "DM-RTI"] and report.summary().startswith("2 created")
    noting = services.get_competency(session, "FN-NOTING")
    assert noting.description == "Notes, drafts" and noting.type == "functional"
    assert [(lvl.level, lvl.label, lvl.descriptor) for lvl in noting.levels] == [
        (1, "Basic", "Reads"), (2, "Intermediate", "Writes"), (3, "Proficient", "Guides"),
        (4, "Advanced", "Reviews"), (5, "Expert", "Sets policy")]
    assert noting.version == 1 and len(noting.versions) == 1


def test_reimport_with_a_change_is_a_new_version_and_keeps_the_old(session):
    services.import_competencies(session, services.parse_competency_csv(_csv(ROW_NOTING)))
    changed = ROW_NOTING.replace("Guides", "Guides juniors")
    report = services.import_competencies(session, services.parse_competency_csv(_csv(changed)))
    assert report.updated == ["FN-NOTING"]
    noting = services.get_competency(session, "FN-NOTING")
    assert noting.version == 2 and noting.level(3).descriptor == "Guides juniors"
    old, new = noting.versions
    assert (old.number, old.record["levels"][2]["descriptor"]) == (1, "Guides")
    assert (new.number, new.record["levels"][2]["descriptor"]) == (2, "Guides juniors")
    again = services.import_competencies(session, services.parse_competency_csv(_csv(changed)))
    assert again.unchanged == ["FN-NOTING"] and noting.version == 2
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "competency")).all()
    assert actions == ["competency.created", "competency.updated"]


def test_errors_name_row_and_field_and_nothing_is_imported(session):
    text = _csv(ROW_RTI, ROW_NOTING.replace("functional", "technical"),
                "BH-X,Empathy,behavioural,Cares,a,b,c,,e", ROW_RTI)
    with pytest.raises(Invalid) as caught:
        services.import_competencies(session, services.parse_competency_csv(text, "dict.csv"),
                                     filename="dict.csv")
    where = {(p["row"], p["field"]) for p in caught.value.problems}
    assert where == {(3, "type"), (4, "level4"), (5, "code")}
    assert all(p["file"] == "dict.csv" for p in caught.value.problems)
    assert session.scalar(select(func.count(Competency.id))) == 0


def test_csv_header_problems_are_named(session):
    with pytest.raises(Invalid) as caught:
        services.parse_competency_csv("code,name,kind,description,level1\n", "bad.csv")
    assert {(p["row"], p["field"]) for p in caught.value.problems} >= {(1, "type"), (1, "kind"), (1, "level5")}


def test_json_import_and_record_round_trip(session, tmp_path):
    path = tmp_path / "competencies.json"
    path.write_text(json.dumps({"format": "piaa-competencies/1", "competencies": COMPETENCIES},
                               ensure_ascii=False), encoding="utf-8")
    report = services.import_competencies(session, services.read_competency_file(path))
    assert len(report.created) == 3
    assert services.competency_record(services.get_competency(session, "FN-NOTING")) == COMPETENCIES[0]


def test_json_problems_name_the_record(session):
    bad = [dict(COMPETENCIES[0], levels=COMPETENCIES[0]["levels"][:4]), dict(COMPETENCIES[1], type="soft")]
    records = services.parse_competency_json(json.dumps({"competencies": bad}))
    with pytest.raises(Invalid) as caught:
        services.import_competencies(session, records)
    assert {(p["row"], p["field"]) for p in caught.value.problems} == {(1, "levels"), (2, "type")}
    with pytest.raises(Invalid, match="format must be"):
        services.parse_competency_json('{"format": "other/1", "competencies": []}')


def test_search_by_text_in_names_descriptors_and_by_type(session, dictionary):
    assert [c.code for c in services.search_competencies(session, text="noting")] == ["FN-NOTING"]
    assert [c.code for c in services.search_competencies(session, text="टिप्पण")] == ["FN-NOTING"]
    assert [c.code for c in services.search_competencies(session, text="empathy: level 4")] == ["BH-EMPATHY"]
    assert [c.code for c in services.search_competencies(session, competency_type="domain")] == ["DM-RTI"]
    assert services.search_competencies(session, text="100%") == []
    with pytest.raises(Invalid, match="type must be one of"):
        services.search_competencies(session, competency_type="soft")


def test_cli_import_reports_and_fails_with_rows(app, session, tmp_path):
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    good = tmp_path / "dict.csv"
    good.write_text(_csv(ROW_NOTING, ROW_RTI), encoding="utf-8")
    result = runner.invoke(main, ["competencies", "import", str(good)], obj=info)
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    assert session.scalar(select(func.count(CompetencyVersion.id))) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv(ROW_NOTING.replace("functional", "x")), encoding="utf-8")
    result = runner.invoke(main, ["competencies", "import", str(bad)], obj=info)
    assert result.exit_code != 0
    assert "bad.csv, row 2, field type" in result.output
