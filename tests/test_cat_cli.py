"""Tests for ``piaa cat simulate`` (the bank-readiness check on the command line)."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from piaa import cat_cli, psychometrics_cli
from piaa.cat_cli import cat_group
from piaa.psychometrics.cat import classification_summary

CUTS = "-1.5,-0.5,0.5,1.5"


@pytest.fixture
def params_file(tmp_path):
    rng = np.random.default_rng(3)
    n = 80
    frame = pd.DataFrame({"item": [f"I{j:03d}" for j in range(1, n + 1)], "model": "2pl",
                          "a": rng.lognormal(0.25, 0.25, n), "b": rng.uniform(-2.5, 2.5, n),
                          "c": 0.0, "d": 1.0, "se_a": 0.05, "se_b": 0.1, "se_c": "", "se_d": ""})
    path = tmp_path / "params.csv"
    frame.to_csv(path, index=False)
    return path


def _run(*args):
    return CliRunner().invoke(cat_group, ["simulate", *[str(a) for a in args]],
                              catch_exceptions=False)


def _args(params_file, out, **extra):
    base = {"--params": params_file, "--cuts": CUTS, "--max-items": 10, "--max-exposure": 0.4,
            "--examinees": 400, "--calibration-examinees": 400, "--seed": 5, "--out": out}
    base.update(extra)
    return [x for kv in base.items() for x in kv]


def test_criteria_are_the_librarys():
    from piaa.psychometrics.cat.selection import CRITERIA

    assert cat_cli.CRITERIA == CRITERIA


def test_simulate_writes_summary_and_per_simulee_csv(params_file, tmp_path):
    out = tmp_path / "check"
    result = _run(*_args(params_file, out))
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    for key in ("accuracy_at_cuts", "exact_level_accuracy", "reliability", "mean_length",
                "max_exposure"):
        assert key in summary
    assert len(summary["accuracy_at_cuts"]) == 4
    assert summary["mean_length"] == 10.0
    simulees = pd.read_csv(out / "simulees.csv")
    assert len(simulees) == 400
    assert list(simulees.columns) == ["simulee", "true_theta", "theta", "se", "n_items",
                                      "true_level", "level", "level_confidence"]
    # The summary's figures are those of the per-simulee file (classification_summary).
    again = classification_summary(simulees.true_theta, simulees.theta, simulees.se,
                                   [-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_allclose(summary["accuracy_at_cuts"], again["accuracy_at_cuts"], atol=1e-12)
    assert summary["reliability"] == pytest.approx(again["reliability"], abs=1e-5)
    items = pd.read_csv(out / "items.csv")
    assert len(items) == 80 and items.exposure_rate.max() == pytest.approx(summary["max_exposure"])
    assert summary["exposure_control"]["method"] == "sympson-hetter"
    assert "accuracy at cuts" in result.output


def test_same_seed_same_figures(params_file, tmp_path):
    _run(*_args(params_file, tmp_path / "one"))
    _run(*_args(params_file, tmp_path / "two"))
    one = json.loads((tmp_path / "one" / "summary.json").read_text())
    two = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert one["accuracy_at_cuts"] == two["accuracy_at_cuts"]
    assert one["reliability"] == two["reliability"]


def test_confidence_stop_shortens_the_test(params_file, tmp_path):
    result = _run(*_args(params_file, tmp_path / "c", **{"--max-items": 25, "--min-items": 3,
                                                         "--confidence": 0.8,
                                                         "--max-exposure": 1}))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert 3 <= summary["mean_length"] < 25
    assert summary["exposure_control"] is None


@pytest.mark.parametrize("cuts,message", [("-1,x,1", "cut 2 is 'x'"), ("0.5,0.5", "must ascend")])
def test_bad_cuts_are_named(params_file, tmp_path, cuts, message):
    result = CliRunner().invoke(cat_group, ["simulate", *map(str, _args(params_file, tmp_path / "o",
                                                                        **{"--cuts": cuts}))])
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "o" / "summary.json").exists()


def test_bad_parameter_row_is_named_by_file_row_and_field(params_file, tmp_path):
    lines = params_file.read_text().splitlines()
    cells = lines[7].split(",")
    cells[2] = "steep"                       # column a of the 7th item: spreadsheet row 8
    lines[7] = ",".join(cells)
    params_file.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cat_group, ["simulate", *map(str, _args(params_file, tmp_path / "o"))])
    assert result.exit_code != 0
    assert f"{params_file}: column 'a', row 8: 'steep' is not a number" in result.output
    assert not (tmp_path / "o" / "summary.json").exists()


def test_progress_bar_on_a_terminal(params_file, tmp_path, monkeypatch):
    class Screen(io.StringIO):
        def isatty(self):
            return True

    screen = Screen()
    monkeypatch.setattr(psychometrics_cli, "_progress_stream", lambda: screen)
    monkeypatch.setattr(cat_cli, "_progress_stream", lambda: screen)
    result = _run(*_args(params_file, tmp_path / "p"))
    assert result.exit_code == 0
    text = screen.getvalue()
    assert "exposure control, round 1" in text and "simulating" in text


def test_registered_with_the_piaa_command():
    from piaa.cli import CLI_MODULES

    assert "piaa.cat_cli" in CLI_MODULES
    assert cat_cli.commands == [cat_group]


def test_blueprint_balances_sub_areas(params_file, tmp_path):
    frame = pd.read_csv(params_file)
    frame["sub_area"] = np.where(np.arange(len(frame)) % 4 == 0, "drafting", "noting")
    frame.to_csv(params_file, index=False)
    out = tmp_path / "b"
    result = _run(*_args(params_file, out, **{"--blueprint": "noting=1,drafting=1"}))
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"]["blueprint"] == {"noting": 0.5, "drafting": 0.5}
    # Half of every 10-item test is drafting although only a quarter of the bank is.
    items = pd.read_csv(out / "items.csv")
    drafting = frame["sub_area"].to_numpy() == "drafting"
    assert items.exposure_rate[drafting].sum() == pytest.approx(5.0)


@pytest.mark.parametrize("edit,blueprint,message", [
    (None, "noting=1,drafting=1", "no 'sub_area' column"),
    ("empty", "noting=1", "column 'sub_area', row 4: empty"),
    ("all", "noting=1,legal=1", "no item of sub-area 'legal'"),
    ("all", "noting=x", "'noting=x' is not sub_area=share"),
])
def test_bad_blueprint_is_named(params_file, tmp_path, edit, blueprint, message):
    if edit is not None:
        frame = pd.read_csv(params_file)
        frame["sub_area"] = "noting"
        if edit == "empty":
            frame.loc[2, "sub_area"] = ""
        frame.to_csv(params_file, index=False)
    result = CliRunner().invoke(cat_group, ["simulate", *map(str, _args(params_file, tmp_path / "o",
                                                                        **{"--blueprint": blueprint}))])
    assert result.exit_code != 0 and message in result.output, result.output
