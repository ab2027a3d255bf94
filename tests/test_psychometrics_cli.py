"""Tests for ``piaa calibrate``, ``piaa score`` and ``piaa simulate``.

Reference numbers: R mirt's LSAT7 2PL and Science graded fits (see
tests/psychometrics/reference/*.json for the file and line of each).
"""

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from piaa import psychometrics_cli
from piaa.psychometrics_cli import calibrate, commands, score, simulate
from tests.psychometrics.data import public_data_path

REF = Path(__file__).parent / "psychometrics" / "reference"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(command, *args):
        return runner.invoke(command, [str(a) for a in args], catch_exceptions=False)

    return invoke


def _write(path, text):
    path.write_text(text)
    return path


def test_commands_are_exported_for_the_piaa_group():
    assert [c.name for c in commands] == ["calibrate", "score", "simulate"]


def test_model_names_are_the_librarys():
    from piaa.psychometrics import DICHOTOMOUS_MODELS, POLYTOMOUS_MODELS

    assert psychometrics_cli.DICHOTOMOUS == DICHOTOMOUS_MODELS
    assert psychometrics_cli.POLYTOMOUS == POLYTOMOUS_MODELS


def test_simulate_calibrate_score_round_trip(run, tmp_path):
    out = run(simulate, "--model", "2pl", "--persons", 600, "--items", 20, "--missing", 0.1,
              "--seed", 5, "--out", tmp_path / "sim")
    assert out.exit_code == 0, out.output
    sim = tmp_path / "sim"
    responses = pd.read_csv(sim / "responses.csv")
    assert list(responses.columns[:2]) == ["person", "I001"] and responses.shape == (600, 21)
    assert 0.05 < responses.iloc[:, 1:].isna().to_numpy().mean() < 0.15
    true = pd.read_csv(sim / "params.csv")
    assert list(true.columns[:6]) == ["item", "model", "a", "b", "c", "d"]

    out = run(calibrate, sim / "responses.csv", "--model", "2pl", "--out", tmp_path / "p.csv")
    assert out.exit_code == 0, out.output
    assert "log-likelihood = -" in out.output and "converged after" in out.output
    est = pd.read_csv(tmp_path / "p.csv")
    assert list(est["item"]) == list(true["item"])
    assert {"se_a", "se_b"} <= set(est.columns) and est["se_b"].notna().all()
    # 600 persons: b within 4 standard errors of the truth for every item
    assert (np.abs(est["b"] - true["b"]) < 4 * est["se_b"]).all()

    out = run(score, sim / "responses.csv", "--params", tmp_path / "p.csv", "--method", "eap",
              "--out", tmp_path / "t.csv")
    assert out.exit_code == 0, out.output
    thetas = pd.read_csv(tmp_path / "t.csv")
    assert list(thetas.columns) == ["person", "theta", "se"] and len(thetas) == 600
    truth = pd.read_csv(sim / "thetas.csv")
    # 18 administered 2PL items of median slope 1 give a reliability near
    # 0.8, so EAP and true abilities correlate near sqrt(0.8) = 0.89
    assert np.corrcoef(thetas["theta"], truth["theta"])[0, 1] > 0.8


def test_calibrate_lsat7_matches_mirt(run, tmp_path):
    ref = json.loads((REF / "lsat_mirt_dichotomous.json").read_text())
    out = run(calibrate, public_data_path("LSAT7.csv"), "--model", "2pl", "--out", tmp_path / "p.csv")
    assert out.exit_code == 0, out.output
    assert "log-likelihood = -2658.80" in out.output
    est = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_allclose(est["a"], ref["lsat7_2pl_sem"]["a"], atol=3e-3)
    # b = -d / a in mirt's slope-intercept terms
    np.testing.assert_allclose(-est["b"] * est["a"], ref["lsat7_2pl_sem"]["d"], atol=3e-3)


def test_calibrate_and_score_science_grm(run, tmp_path):
    ref = json.loads((REF / "science_grm.json").read_text())
    raw = pd.read_csv(public_data_path("Science.csv"))
    raw.iloc[:, 1:] = raw.iloc[:, 1:] - 1            # mirt's 1..4 to our 0..3
    raw.to_csv(tmp_path / "science.csv", index=False)
    out = run(calibrate, tmp_path / "science.csv", "--model", "grm", "--out", tmp_path / "p.csv")
    assert out.exit_code == 0, out.output
    assert "log-likelihood = -1608.869" in out.output
    est = pd.read_csv(tmp_path / "p.csv")
    assert list(est.columns) == ["item", "model", "a", "b1", "b2", "b3", "se_a", "se_b1", "se_b2", "se_b3"]
    d = -est[["b1", "b2", "b3"]].to_numpy() * est[["a"]].to_numpy()
    np.testing.assert_allclose(np.column_stack([est["a"], d]), ref["converged"]["slope_intercept"], atol=3e-3)
    out = run(score, tmp_path / "science.csv", "--params", tmp_path / "p.csv", "--method", "mle",
              "--out", tmp_path / "t.csv")
    assert out.exit_code == 0, out.output
    assert len(pd.read_csv(tmp_path / "t.csv")) == 392


class _Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self):
        return True


@pytest.mark.parametrize("model", ["1pl", "2pl", "grm"])
def test_calibrate_shows_a_per_cycle_progress_bar_on_a_terminal(run, tmp_path, monkeypatch, model):
    screen = _Terminal()
    bars = []

    class Recorded(psychometrics_cli._Progress):
        def __init__(self, label):
            super().__init__(label)
            bars.append(self)

        def close(self):
            self.cycles, self.postfix = self.bar.n, self.bar.postfix
            super().close()

    monkeypatch.setattr(psychometrics_cli, "_progress_stream", lambda: screen)
    monkeypatch.setattr(psychometrics_cli, "_Progress", Recorded)
    run(simulate, "--model", model, "--persons", 400, "--items", 6, "--seed", 3, "--out", tmp_path)
    out = run(calibrate, tmp_path / "responses.csv", "--model", model, "--out", tmp_path / "p.csv")
    assert out.exit_code == 0, out.output
    n_cycles = int(re.search(r"converged after (\d+) EM cycles", out.output).group(1))
    assert len(bars) == 1 and bars[0].cycles == n_cycles > 1
    assert bars[0].postfix.startswith("loglik -")
    # tqdm redraws at most every 0.1 s, so a quick fit may show only the first frame.
    assert f"calibrating {model}:" in screen.getvalue()


def test_calibrate_draws_no_progress_when_not_on_a_terminal(run, tmp_path):
    run(simulate, "--model", "2pl", "--persons", 300, "--items", 5, "--seed", 3, "--out", tmp_path)
    out = run(calibrate, tmp_path / "responses.csv", "--model", "2pl", "--out", tmp_path / "p.csv")
    assert out.exit_code == 0, out.output
    assert "calibrating" not in out.output and "\r" not in out.output


def test_long_form_gives_the_same_calibration_as_wide(run, tmp_path):
    run(simulate, "--model", "gpcm", "--persons", 400, "--items", 5, "--missing", 0.2,
        "--seed", 9, "--out", tmp_path)
    wide = pd.read_csv(tmp_path / "responses.csv")
    long = wide.melt(id_vars="person", var_name="item", value_name="response").dropna()
    long = long.sample(frac=1.0, random_state=1)            # order must not matter
    long["response"] = long["response"].astype(int)
    long.to_csv(tmp_path / "long.csv", index=False)
    assert run(calibrate, tmp_path / "responses.csv", "--model", "gpcm", "--out", tmp_path / "w.csv").exit_code == 0
    assert run(calibrate, tmp_path / "long.csv", "--model", "gpcm", "--out", tmp_path / "l.csv").exit_code == 0
    w = pd.read_csv(tmp_path / "w.csv").set_index("item")
    l = pd.read_csv(tmp_path / "l.csv").set_index("item").loc[w.index]
    np.testing.assert_allclose(l.iloc[:, 1:].to_numpy(float), w.iloc[:, 1:].to_numpy(float), rtol=1e-5)


def test_anchors_are_held_fixed(run, tmp_path):
    run(simulate, "--model", "grm", "--persons", 1500, "--items", 6, "--seed", 2, "--out", tmp_path)
    true = pd.read_csv(tmp_path / "params.csv")
    true.iloc[:3].to_csv(tmp_path / "anchors.csv", index=False)
    out = run(calibrate, tmp_path / "responses.csv", "--model", "grm", "--anchors",
              tmp_path / "anchors.csv", "--out", tmp_path / "p.csv")
    assert out.exit_code == 0, out.output
    est = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_allclose(est.loc[:2, ["a", "b1", "b2", "b3"]], true.loc[:2, ["a", "b1", "b2", "b3"]], rtol=1e-5)
    assert est.loc[:2, "se_a"].isna().all() and est.loc[3:, "se_a"].notna().all()


def test_girth_engine(run, tmp_path):
    run(simulate, "--model", "grm", "--persons", 500, "--items", 5, "--seed", 4, "--out", tmp_path)
    out = run(calibrate, tmp_path / "responses.csv", "--model", "grm", "--engine", "girth",
              "--out", tmp_path / "p.csv")
    assert out.exit_code == 0, out.output
    assert "girth" in out.output and len(pd.read_csv(tmp_path / "p.csv")) == 5


# ------------------------------------------------------------------ bad input


WIDE = "person,q1,q2,q3\np1,1,0,1\np2,0,1,\np3,1,1,0\np4,0,2,1\np5,1,0,0\n"


@pytest.mark.parametrize("text, model, message", [
    ("id,q1,q2\na,1,0\nb,0,1\n", "2pl", "no 'person' column"),
    (WIDE, "2pl", "column 'q2', row 5: 2 is not 0 or 1"),
    ("person,q1,q2\na,1,0\nb,x,1\nc,0,1\n", "2pl", "column 'q1', row 3: 'x' is not a number"),
    ("person,q1,q2\na,1,0\nb,1,1\nc,1,0\nd,1,1\n", "2pl", "column 'q1': every response is 1"),
    ("person,q1,q2\na,1,0\na,0,1\n", "2pl", "row 3: person 'a' already appears in row 2"),
    ("person,q1,q2\na,1,0\nb,0,1\nc,1,1\n", "2pl", "more persons are needed"),
    ("person,q1,q2\na,0,1\nb,0.5,1\nc,2,0\n", "grm", "column 'q1', row 3: 0.5 is not a category"),
    ("person,item,response\na,q1,1\na,q1,0\n", "2pl", "row 3: person 'a' answered item 'q1' already in row 2"),
])
def test_bad_responses_stop_with_a_named_place_and_write_nothing(run, tmp_path, text, model, message):
    src = _write(tmp_path / "r.csv", text)
    out = run(calibrate, src, "--model", model, "--out", tmp_path / "p.csv")
    assert out.exit_code != 0
    assert message in out.output
    assert not (tmp_path / "p.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_failure_inside_the_fit_names_the_column_and_writes_nothing(run, tmp_path):
    # q1 uses categories 0 and 2 but never 1: its middle threshold has no estimate
    rows = ["person,q1,q2,q3"] + [f"p{i},{(i % 2) * 2},{(i // 2) % 3},{(i // 6) % 2}" for i in range(60)]
    src = _write(tmp_path / "r.csv", "\n".join(rows) + "\n")
    out = run(calibrate, src, "--model", "grm", "--out", tmp_path / "p.csv")
    assert out.exit_code != 0
    assert "item 'q1' has no responses in category 1" in out.output
    assert not (tmp_path / "p.csv").exists()


def test_score_rejects_an_unknown_item_in_params(run, tmp_path):
    src = _write(tmp_path / "r.csv", "person,q1,q2\na,1,0\nb,0,1\n")
    params = _write(tmp_path / "p.csv", "item,model,a,b,c,d\nq1,2pl,1,0,0,1\nq9,2pl,1,0,0,1\n")
    out = run(score, src, "--params", params, "--out", tmp_path / "t.csv")
    assert out.exit_code != 0
    assert "column 'item', row 3: item 'q9' is not a column" in out.output
    assert not (tmp_path / "t.csv").exists()


def test_score_rejects_a_category_the_item_lacks(run, tmp_path):
    src = _write(tmp_path / "r.csv", "person,q1\na,1\nb,3\n")
    params = _write(tmp_path / "p.csv", "item,model,a,b1,b2\nq1,grm,1,-1,1\n")
    out = run(score, src, "--params", params, "--out", tmp_path / "t.csv")
    assert "column 'q1', row 3: 3 is not a category of this item (0..2)" in out.output


def test_anchors_must_name_known_items(run, tmp_path):
    src = _write(tmp_path / "r.csv", WIDE.replace("p4,0,2,1", "p4,0,0,1"))
    anchors = _write(tmp_path / "a.csv", "item,model,a,b,c,d\nq7,2pl,1,0,0,1\n")
    out = run(calibrate, src, "--model", "2pl", "--anchors", anchors, "--out", tmp_path / "p.csv")
    assert out.exit_code != 0
    assert "a.csv: column 'item', row 2: item 'q7' is not a column" in out.output


def test_params_file_errors_name_the_row(run, tmp_path):
    src = _write(tmp_path / "r.csv", "person,q1\na,1\nb,0\n")
    params = _write(tmp_path / "p.csv", "item,model,a,b1,b2\nq1,grm,1,1,-1\n")
    out = run(score, src, "--params", params, "--out", tmp_path / "t.csv")
    assert out.exit_code != 0
    assert "item 'q1' (row 2)" in out.output and "increase strictly" in out.output


def test_too_few_distinct_patterns_stop_the_calibration(run, tmp_path):
    # 60 persons but only 3 distinct patterns over 6 items: 2 patterns of freedom
    # cannot identify the 12 parameters of a 2PL.
    rows = ["1,0,1,0,1,1", "0,1,1,0,0,1", "1,1,0,1,0,0"] * 20
    text = "person," + ",".join(f"I{j}" for j in range(6)) + "\n"
    text += "".join(f"P{i},{r}\n" for i, r in enumerate(rows))
    out = run(calibrate, _write(tmp_path / "r.csv", text), "--model", "2pl", "--out", tmp_path / "p.csv")
    assert out.exit_code == 1
    assert "60 persons with 3 distinct response patterns cannot identify the 12 free parameters" in out.output
    assert not (tmp_path / "p.csv").exists()


def test_distinct_pattern_count_is_exact_when_it_matters():
    rng = np.random.default_rng(3)
    codes = rng.integers(-1, 2, size=(500, 8)).astype(float)
    codes[250:] = codes[:250]  # every pattern twice
    exact = np.unique(codes, axis=0).shape[0]
    assert psychometrics_cli._distinct_patterns(codes, exact + 1) == exact
    assert psychometrics_cli._distinct_patterns(codes, 10) >= 10
