"""Effectiveness report over a national-size file: time and peak memory.

Writes a seeded file of matched learners (1,000,000 rows by default: 40 competencies, 300
providers, 1,500 courses, 90 MDOs, θ with SEs), then runs ``piaa effectiveness --learners FILE
--out DIR --cut-scores ... --timings`` on it as a process of its own: start-up and imports,
read and check every row, sum per cell (with 5 plausible values per learner behind the course
figures and level transitions), fit the value-added models, build every table and plot, write
CSV, XLSX, HTML and PDF. Prints the command's own time of each stage (wall and CPU), the whole
process's wall time and peak resident memory, and the machine's load average (the CPU
seconds tell what the report costs when the machine is busy with other work).

    python benchmarks/effectiveness.py [--learners 1000000] [--no-pdf] [--no-levels] [--repeat 1]

Target: under 20 s and 2 GB on 2 cores (thread pools are held to 2 threads).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

TIME_BUDGET_S, MEMORY_BUDGET_MB = 20.0, 2048.0
CUT_SCORES = "-1.5,-0.5,0.5,1.5,2.5"


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
    parser.add_argument("--no-levels", action="store_true",
                        help="no cut scores: no levels, transitions or plausible values")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the command on one file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "learners.csv"
        write_file(path, args.learners, np.random.default_rng(2026))
        print(f"learners file: {args.learners:,} rows, {path.stat().st_size / 2**20:.0f} MB")
        options = ([] if args.no_levels else [f"--cut-scores={CUT_SCORES}"])
        options += ["--no-pdf"] if args.no_pdf else []
        results = [run(path, Path(tmp) / f"out{k}", options) for k in range(args.repeat)]
    if not all(results):
        raise SystemExit(1)


def run(path: Path, out: Path, options: list[str]) -> bool:
    """One run of the command in a child process; prints its stages, wall time and peak RSS."""
    command = [sys.executable, "-m", "piaa.cli", "effectiveness", "--learners", str(path),
               "--out", str(out), "--timings", *options]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
    # wait4 gives this child's own resource usage (its peak RSS, not the generator's).
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    output, errors = child.stdout.read(), child.stderr.read()
    if child.returncode:
        print(output, errors)
        return False
    stages = [line.removeprefix("stage ") for line in errors.splitlines() if line.startswith("stage ")]
    staged = next((float(x.split(":")[1].split()[0]) for x in stages if x.startswith("total")), 0.0)
    peak_mb = usage.ru_maxrss / 1024
    print(output.strip())
    print(f"  start-up and imports         {wall - staged:6.2f} s wall")
    for line in stages:
        name, figures = line.split(": ", 1)
        print(f"  {name:<28} {figures}")
    print(f"  process CPU: {usage.ru_utime + usage.ru_stime:.2f} s (user {usage.ru_utime:.2f}, "
          f"system {usage.ru_stime:.2f}); load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    ok_time, ok_memory = wall < TIME_BUDGET_S, peak_mb < MEMORY_BUDGET_MB
    print(f"total: {wall:.2f} s wall (budget {TIME_BUDGET_S:.0f} s) -> {'OK' if ok_time else 'OVER'}")
    print(f"peak RSS: {peak_mb:.0f} MB (budget {MEMORY_BUDGET_MB:.0f} MB) -> "
          f"{'OK' if ok_memory else 'OVER'}")
    return True


if __name__ == "__main__":
    main()
