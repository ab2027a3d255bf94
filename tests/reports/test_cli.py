"""``piaa effectiveness --learners FILE --out DIR``: outputs, known effects, and bad input."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from click.testing import CliRunner

from piaa.cli import main

from .samples import HEADER, matched_learners, write_learners


def _run(*args):
    return CliRunner().invoke(main, ["effectiveness", *map(str, args)], catch_exceptions=False)


def _read(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    learners = write_learners(base / "learners.csv", matched_learners())
    out = base / "out"
    result = _run("--learners", learners, "--out", out, "--cut-scores", "-1.5,-0.5,0.5,1.5,2.5")
    assert result.exit_code == 0, result.output
    return out


def test_writes_every_file(report_dir):
    names = {p.name for p in report_dir.iterdir()}
    assert {"providers.csv", "courses.csv", "ministries.csv", "report.html", "report.pdf",
            "funnel-0.svg", "effects.svg", "transitions.svg", "gains.svg"} <= names
    assert (report_dir / "report.pdf").read_bytes().startswith(b"%PDF")
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert 'role="img"' in html and "<table" in html and "Composite" in html


def test_providers_file_finds_known_effects_and_hides_small_providers(report_dir):
    rows = _read(report_dir / "providers.csv")
    assert list(rows[0]) == ["provider", "competency", "n", "effect", "lower", "upper", "tier",
                             "suppressed"]
    by_name = {r["provider"]: r for r in rows}
    assert by_name["Strong Institute"]["tier"] == "above"
    assert by_name["Weak Academy"]["tier"] == "below"
    # Intake differs, value added does not: the correction keeps both schools within expected.
    assert by_name["Able Intake School"]["tier"] == "within"
    assert by_name["Low Intake School"]["tier"] == "within"
    tiny = by_name["Tiny College"]
    assert tiny["n"] == "6" and tiny["suppressed"] == "true"
    assert tiny["effect"] == tiny["lower"] == tiny["upper"] == ""
    assert all(r["tier"] == "" if r["suppressed"] == "true" else r["tier"] in ("above", "within", "below")
               for r in rows)
    # One hidden provider beside a published competency total needs a hidden complement.
    assert sum(r["suppressed"] == "true" for r in rows) >= 2


def test_courses_and_ministries_files(report_dir):
    courses = _read(report_dir / "courses.csv")
    assert {"course", "provider", "competency", "n", "mean_gain", "g_av", "share_up"} <= set(courses[0])
    strong = [c for c in courses if c["provider"] == "Strong Institute"]
    assert all(float(c["mean_gain"]) > 0.5 for c in strong)
    ministries = _read(report_dir / "ministries.csv")
    assert len(ministries) == 3 and all(m["composite"] for m in ministries)
    assert "gain=0.3" in ministries[0]["weights"]


def _bad_file(tmp_path, mutate, header=HEADER):
    rows = matched_learners()[:40]
    mutate(rows)
    return write_learners(tmp_path / "bad.csv", rows, header)


@pytest.mark.parametrize("case, mutate, header, expected", [
    ("missing column", lambda rows: None, [h for h in HEADER if h != "post_se"],
     "bad.csv, row 1, field post_se"),
    ("negative SE", lambda rows: rows[4].update(pre_se="-0.3"), HEADER,
     "bad.csv, row 6, field pre_se: negative standard error"),
    ("duplicate learner", lambda rows: rows[9].update(learner=rows[2]["learner"]), HEADER,
     "bad.csv, row 11, field learner"),
    ("text in a number column", lambda rows: rows[0].update(post_theta="high"), HEADER,
     "bad.csv, row 2, field post_theta: not a number"),
])
def test_bad_input_names_file_row_field_and_writes_nothing(tmp_path, case, mutate, header, expected):
    path = _bad_file(tmp_path, mutate, header)
    out = tmp_path / "out"
    result = _run("--learners", path, "--out", out)
    assert result.exit_code != 0, case
    assert expected in result.output, result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]


def test_fast_reads_agree_with_the_checking_read(tmp_path):
    from piaa.reports.analysis import cells_from_learners
    from piaa.reports.learners_file import _read_arrow, _read_as_text, _read_typed

    rows = matched_learners()
    rows[3]["pre_level"] = "2"
    path = write_learners(tmp_path / "learners.csv", rows, HEADER + ["pre_level"])
    arrow, typed, text = _read_arrow(path), _read_typed(path), _read_as_text(path)
    assert arrow is not None and typed is not None
    cells = [cells_from_learners(r) for r in (arrow, typed, text)]
    for other in cells[1:]:
        for name in ("course", "provider", "mdo", "competency"):
            assert list(getattr(cells[0], name)) == list(getattr(other, name))
        np.testing.assert_allclose(cells[0].sums.sum_post, other.sums.sum_post)
        np.testing.assert_array_equal(cells[0].transitions, other.transitions)
    assert arrow.pre_level[3] == 2 and np.isnan(arrow.pre_level[0])


def test_timings_name_every_stage(tmp_path):
    learners = write_learners(tmp_path / "learners.csv", matched_learners()[:200])
    result = CliRunner().invoke(main, ["effectiveness", "--learners", str(learners), "--out",
                                       str(tmp_path / "out"), "--no-pdf", "--timings"])
    assert result.exit_code == 0, result.output
    stages = [line.split(":")[0] for line in result.stderr.splitlines()]
    assert stages == ["stage imports", "stage read and check", "stage sums per cell",
                      "stage models and tables", "stage tables (CSV, XLSX)", "stage plots",
                      "stage report.html", "stage total"]


def test_course_figures_from_plausible_values_are_seeded_and_said(tmp_path, report_dir):
    learners = write_learners(tmp_path / "learners.csv", matched_learners())
    cuts = "-1.5,-0.5,0.5,1.5,2.5"
    for name, extra in (("again", []), ("points", ["--plausible-values", "0"])):
        result = _run("--learners", learners, "--out", tmp_path / name, "--cut-scores", cuts, "--no-pdf", *extra)
        assert result.exit_code == 0, result.output
    courses = (report_dir / "courses.csv").read_text()
    assert (tmp_path / "again" / "courses.csv").read_text() == courses  # same seed, same figures
    assert (tmp_path / "points" / "courses.csv").read_text() != courses
    assert "5 plausible values" in (report_dir / "report.html").read_text(encoding="utf-8")
    assert "plausible values" not in (tmp_path / "points" / "report.html").read_text(encoding="utf-8")
    by_course = {r["course"]: r for r in _read(report_dir / "courses.csv")}
    row = by_course["Strong Institute course 1"]
    assert float(row["up_lower"]) <= float(row["share_up"]) <= float(row["up_upper"])
