"""The calibration pages and the command line: start, progress, results, plots, downloads,
decisions; ``piaa responses export`` and ``piaa parameters import|export``."""
from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from sqlalchemy import func, select

from piaa import jobs
from piaa.calibration.models import CalibrationRun
from piaa.cli import main
from piaa.delivery.parameters import active_parameter_set
from piaa.items.calibration_models import ParameterSet
from tests.calibration.conftest import bank_truth, true_params_for
from tests.conftest import login


@pytest.fixture
def banked_history(session, competency, operational, full_form_window, make_history):
    truth = true_params_for(session, competency)
    bank_truth(session, competency, operational, truth)
    make_history(full_form_window, 400, truth)
    return truth


def _wait_for_run(session, run_id: int) -> CalibrationRun:
    session.expire_all()
    run = session.get(CalibrationRun, run_id)
    assert jobs.wait(run.job_id, timeout=300).state == "finished"
    session.expire_all()
    return session.get(CalibrationRun, run_id)


def test_the_psychometrician_starts_reads_and_decides_through_the_pages(client, session, banked_history, pretest,
                                                                       psychometrician, full_form_window):
    login(client, psychometrician)
    assert "Start a calibration" in client.get("/calibration/").get_data(as_text=True)
    form = client.get("/calibration/competencies/FN-NOTING/start").get_data(as_text=True)
    assert 'value="anchors"' in form and 'value="free"' not in form
    refused = client.post("/calibration/competencies/FN-NOTING/start",
                          data={"model": "2pl", "scale": "anchors", "min_responses": "5000"})
    assert refused.status_code == 422 and "too few responses" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CalibrationRun)) == 0
    started = client.post("/calibration/competencies/FN-NOTING/start", data={
        "model": "2pl", "scale": "anchors", "windows": str(full_form_window.id), "min_responses": "50"})
    assert started.status_code == 302
    run_id = int(re.search(r"/runs/(\d+)", started.headers["Location"]).group(1))
    run = _wait_for_run(session, run_id)
    page = client.get(f"/calibration/runs/{run_id}").get_data(as_text=True)
    assert "S-X² p" in page and "Differential item functioning" in page and "Anchor drift" in page
    assert client.get(f"/calibration/runs/{run_id}/progress").get_json()["done"] == 100
    for path in ("information.svg", "curves.svg", f"items/{pretest[0].id}.svg"):
        svg = client.get(f"/calibration/runs/{run_id}/{path}")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        text = svg.get_data(as_text=True)
        svg_tag = text[text.index("<svg"):text.index(">", text.index("<svg"))]
        assert "<title" in text and "viewBox" in svg_tag and 'width="' not in svg_tag  # scales to the page
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/calibration/runs/{run_id}/results.{fmt}").status_code == 200
    item_page = client.get(f"/calibration/runs/{run_id}/items/{pretest[0].id}").get_data(as_text=True)
    assert 'value="promote"' in item_page
    no_reason = client.post(f"/calibration/runs/{run_id}/items/{pretest[0].id}/decide", data={"action": "promote"})
    assert no_reason.status_code == 302 and pretest[0].state == "approved"
    client.post(f"/calibration/runs/{run_id}/items/{pretest[0].id}/decide",
                data={"action": "promote", "reason": "good fit, no DIF"})
    session.expire_all()
    assert pretest[0].state == "operational"
    client.post(f"/calibration/runs/{run_id}/activate", data={"reason": "first set from own responses"})
    session.expire_all()
    assert active_parameter_set(session, run.competency_id).id == session.get(CalibrationRun, run_id).parameter_set_id


def test_the_pages_are_for_psychometricians_and_administrators(client, session, make_user, competency):
    login(client, make_user(role="author"))
    assert client.get("/calibration/").status_code == 403
    assert client.get("/calibration/runs/1").status_code == 403
    client.post("/logout")
    login(client, make_user(role="admin"))
    assert client.get("/calibration/").status_code == 200
    assert client.get("/calibration/runs/999").status_code == 404


def test_responses_export_command_writes_csv_and_parquet(app, banked_history, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "r.parquet"
    result = runner.invoke(main, ["responses", "export", "--competency", "FN-NOTING", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(out)) == 400 * 42 and "400 attempts" in result.output
    result = runner.invoke(main, ["responses", "export", "--competency", "NOPE", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "no competency 'NOPE'" in result.output
    result = runner.invoke(main, ["responses", "export", "--competency", "FN-NOTING", "--out", str(tmp_path / "x.txt")])
    assert result.exit_code != 0 and ".csv or .parquet" in result.output


def test_parameters_round_trip_through_export_and_import(app, session, competency, operational, tmp_path):
    truth = true_params_for(session, competency)
    first = bank_truth(session, competency, operational, truth)
    runner = app.test_cli_runner()
    out = tmp_path / "params.csv"
    result = runner.invoke(main, ["parameters", "export", "--competency", "FN-NOTING", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[:6]) == ["item", "model", "a", "b", "c", "d"] and len(table) == 40
    result = runner.invoke(main, ["parameters", "import", str(out), "--competency", "FN-NOTING", "--activate",
                                  "--label", "round trip"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    active = active_parameter_set(session, competency.id)
    assert active.id != first.id and active.label == "round trip"
    again = {row.item_id: row.params for row in active.items}
    assert all(again[i] == pytest.approx(truth[i], abs=1e-5) for i in again)
    assert all(row.se[:2] == pytest.approx([0.05, 0.05]) for row in active.items)


def test_a_bad_parameter_file_names_every_problem_and_stores_nothing(app, session, competency, operational, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("item,model,a,b,c,d,se_a,se_b\n"
                    f"{operational[0].code},2pl,1.1,0.2,0,1,0.1,0.1\n"
                    "NO-SUCH,2pl,1.0,0.0,0,1,,\n"
                    f"{operational[1].code},2pl,1.0,0.5,0,1,0.1,minus\n")
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["parameters", "import", str(path), "--competency", "FN-NOTING"])
    assert result.exit_code != 0
    assert "bad.csv, row 3, field item: no item 'NO-SUCH'" in result.output
    assert "bad.csv, row 4, field se_b: 'minus' is not a number" in result.output
    wrong_column = tmp_path / "wrong.csv"
    wrong_column.write_text("item,model,slope,b\nX,2pl,1,0\n")
    result = runner.invoke(main, ["parameters", "import", str(wrong_column), "--competency", "FN-NOTING"])
    assert result.exit_code != 0 and "no 'a' column" in result.output
    negative = tmp_path / "negative.csv"
    negative.write_text(f"item,model,a,b\n{operational[0].code},2pl,-1,0\n")
    result = runner.invoke(main, ["parameters", "import", str(negative), "--competency", "FN-NOTING"])
    assert result.exit_code != 0 and "row 2" in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ParameterSet)) == 0


def test_calibration_start_command_runs_the_job(app, session, banked_history):
    result = app.test_cli_runner().invoke(main, ["calibration", "start", "--competency", "FN-NOTING",
                                                 "--scale", "anchors", "--model", "rasch"])
    assert result.exit_code == 0, result.output
    assert re.search(r"run \d+ finished in [\d.]+ s: 400 attempts, 46 items", result.output)
