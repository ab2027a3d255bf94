"""Effectiveness report over a national-size file: time and peak memory.

Writes a seeded file of matched learners (1,000,000 rows by default: 40 competencies, 300
providers, 1,500 courses, 90 MDOs, θ with SEs), then times what ``piaa effectiveness
--learners FILE --out DIR`` does with it: read and check every row, sum per cell, fit the
value-added models, build every table and plot, write CSV, XLSX, HTML and PDF. Prints the time
of each stage, the total, and the process's peak resident memory.

    python benchmarks/effectiveness.py [--learners 1000000] [--no-pdf]

Target: under 20 s and 2 GB on 2 cores (thread pools are held to 2 threads).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

TIME_BUDGET_S, MEMORY_BUDGET_MB = 20.0, 2048.0


def write_file(path: Path, n: int, rng: np.random.Generator) -> None:
    import pandas as pd

    providers, competencies, courses, mdos = 300, 40, 1500, 90
    course_provider = rng.integers(0, providers, courses)
    course_competency = rng.integers(0, competencies, courses)
    effect = rng.normal(0, 0.2, providers)
    intake = rng.normal(0, 0.5, providers)
    course = rng.integers(0, courses, n)
    provider = course_provider[course]
    true_pre = intake[provider] + rng.normal(0, 0.8, n)
    se_pre, se_post = rng.uniform(0.25, 0.5, n), rng.uniform(0.25, 0.5, n)
    post = 0.3 + 0.85 * true_pre + effect[provider] + rng.normal(0, 0.4, n) + se_post * rng.standard_normal(n)
    pre = true_pre + se_pre * rng.standard_normal(n)
    frame = pd.DataFrame({
        "learner": np.char.add("L", np.arange(n).astype(str)),
        "course": np.char.add("C", course.astype(str)),
        "provider": np.char.add("P", provider.astype(str)),
        "mdo": np.char.add("M", rng.integers(0, mdos, n).astype(str)),
        "competency": np.char.add("K", course_competency[course].astype(str)),
        "pre_theta": pre.round(4), "pre_se": se_pre.round(4),
        "post_theta": post.round(4), "post_se": se_post.round(4)})
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "learners.csv"
        write_file(path, args.learners, np.random.default_rng(2026))
        size_mb = path.stat().st_size / 2**20
        # Peak memory of the report alone: the generator's arrays are gone, but the process's
        # high-water mark already holds them, so the report runs in a fresh child process.
        pid = os.fork()
        if pid == 0:
            run(path, Path(tmp) / "out", not args.no_pdf, size_mb)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if status:
            raise SystemExit(status)


def run(path: Path, out: Path, pdf: bool, size_mb: float) -> None:
    from piaa.reports.analysis import build_report, cells_from_learners
    from piaa.reports.documents import write_report_dir
    from piaa.reports.learners_file import read_learners

    stages = {}
    start = last = time.perf_counter()

    def stage(name):
        nonlocal last
        now = time.perf_counter()
        stages[name] = now - last
        last = now

    learners = read_learners(path)
    stage("read and check")
    cells = cells_from_learners(learners)
    stage("sums per cell")
    report = build_report(cells, scope=path.name)
    stage("models and tables")
    written = write_report_dir(report, out, pdf=pdf)
    stage("plots and files" + (" (with PDF)" if pdf else ""))
    total = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"learners: {len(learners):,} ({size_mb:.0f} MB CSV); cells: {len(cells):,}; "
          f"providers rows: {len(report.providers)}; files: {len(written)}")
    for name, seconds in stages.items():
        print(f"  {name:<28} {seconds:6.2f} s")
    print(f"total: {total:.2f} s (budget {TIME_BUDGET_S:.0f} s) -> {'OK' if total < TIME_BUDGET_S else 'OVER'}")
    print(f"peak RSS: {peak_mb:.0f} MB (budget {MEMORY_BUDGET_MB:.0f} MB) -> "
          f"{'OK' if peak_mb < MEMORY_BUDGET_MB else 'OVER'}")


if __name__ == "__main__":
    main()
