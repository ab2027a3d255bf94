"""An adaptive test that classifies at the cuts under exposure control: ``piaa cat simulate``
as a whole process, against a 20-item maximum-information test without exposure control.

The bank and population of issue 10: 300 2PL items with a ~ lognormal(0.25, 0.25) and
b ~ U(-2.5, 2.5), cuts at -1.5, -0.5, 0.5, 1.5, θ ~ N(0, 1), at most 20 items.

* ours: the service's policy (selection aimed at the cuts in doubt, Sympson–Hetter
  exposure control calibrated to 0.25) run by ``piaa cat simulate``;
* peer: maximum Fisher information at θ̂ for 20 items, no exposure control (the most
  precise fixed-length CAT the bank allows, and the one that leaks its best items), run by
  the same command with ``--criterion mfi --max-exposure 1``;
* for reference, maximum information under the same Sympson–Hetter cap (what aiming at
  the cuts adds at equal exposure).

Targets for ours: accuracy at every cut >= 0.90, reliability >= 0.90, no item above 0.27.

    python benchmarks/cat_classification.py [--examinees 5000] [--seed 20240611]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CUTS = (-1.5, -0.5, 0.5, 1.5)
MIN_ACCURACY, MIN_RELIABILITY, MAX_EXPOSURE_SEEN = 0.90, 0.90, 0.27


def write_bank(path: Path, seed: int, n_items: int = 300) -> None:
    from piaa.psychometrics_cli import params_frame

    rng = np.random.default_rng(seed)
    params = np.column_stack([rng.lognormal(0.25, 0.25, n_items), rng.uniform(-2.5, 2.5, n_items),
                              np.zeros(n_items), np.ones(n_items)])
    items = [f"I{j:03d}" for j in range(1, n_items + 1)]
    params_frame("2pl", items, params, np.full_like(params, np.nan)).to_csv(path, index=False)


def run_cli(params: Path, out: Path, examinees: int, seed: int, *extra: str) -> tuple[dict, float]:
    """``piaa cat simulate`` in its own process; returns its summary and wall time."""
    command = [sys.executable, "-c", "from piaa.cli import main; main()", "cat", "simulate",
               "--params", str(params), f"--cuts={','.join(map(str, CUTS))}", "--max-items", "20",
               "--examinees", str(examinees), "--seed", str(seed), "--out", str(out), *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    return json.loads((out / "summary.json").read_text()), time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examinees", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        params = folder / "params.csv"
        write_bank(params, args.seed)
        ours, t_ours = run_cli(params, folder / "ours", args.examinees, args.seed + 1,
                               "--max-exposure", "0.25")
        peer, t_peer = run_cli(params, folder / "peer", args.examinees, args.seed + 1,
                               "--criterion", "mfi", "--max-exposure", "1")
        capped, t_capped = run_cli(params, folder / "capped", args.examinees, args.seed + 1,
                                   "--criterion", "mfi", "--max-exposure", "0.25")

    print(f"300-item 2PL bank, cuts {CUTS}, theta ~ N(0, 1), {args.examinees} simulees, "
          f"20 items at most (seed {args.seed})")
    print(f"{'':28s}{'ours (cut_doubt, SH 0.25)':>28s}{'peer (MFI, no control)':>26s}"
          f"{'MFI, SH 0.25':>16s}")
    for k, cut in enumerate(CUTS):
        print(f"accuracy at cut {cut:>5g}       {ours['accuracy_at_cuts'][k]:28.3f}"
              f"{peer['accuracy_at_cuts'][k]:26.3f}{capped['accuracy_at_cuts'][k]:16.3f}")
    for key, label in (("exact_level_accuracy", "exact level"), ("reliability", "reliability"),
                       ("mean_length", "mean length"), ("max_exposure", "max exposure"),
                       ("rmse", "RMSE")):
        print(f"{label:28s}{ours[key]:28.3f}{peer[key]:26.3f}{capped[key]:16.3f}")
    print(f"{'wall time (whole process)':28s}{t_ours:27.1f}s{t_peer:25.1f}s{t_capped:15.1f}s")
    checks = [
        (f"accuracy at every cut >= {MIN_ACCURACY}", min(ours["accuracy_at_cuts"]) >= MIN_ACCURACY,
         f"lowest {min(ours['accuracy_at_cuts']):.3f}"),
        (f"reliability >= {MIN_RELIABILITY}", ours["reliability"] >= MIN_RELIABILITY,
         f"{ours['reliability']:.3f}"),
        (f"no item above {MAX_EXPOSURE_SEEN}", ours["max_exposure"] <= MAX_EXPOSURE_SEEN,
         f"busiest {ours['max_exposure']:.3f}"),
    ]
    for label, ok, figure in checks:
        print(f"{label:36s} {figure:>16s}  {'PASS' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
