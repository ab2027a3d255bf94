"""Benchmark: graded response model calibration, piaa vs girth's grm_mml.

Both fit the same seeded data in the same process: 10,000 persons x 30
five-category items simulated from a GRM with known parameters. girth 0.8
runs with its shipped defaults (41 quadrature points on [-4.5, 4.5], at most
25 cycles); piaa runs with its defaults (61 points on [-6, 6], EM to a 1e-6
parameter change) twice, once without and once with standard errors (girth
computes none). Prints median wall times over repeated runs, the speed
ratios, and each estimator's parameter RMSE against the truth.

    python benchmarks/calibration_grm.py [--repeats 3] [--persons 10000] [--items 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from piaa.psychometrics.polytomous import fit_polytomous
from piaa.psychometrics.simulation import simulate_params, simulate_responses, simulate_theta


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def rmse(estimate, truth):
    return float(np.sqrt(np.nanmean((np.asarray(estimate) - truth) ** 2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()

    import girth

    rng = np.random.default_rng(args.seed)
    true = simulate_params("grm", args.items, rng, n_categories=5)
    theta = simulate_theta(args.persons, rng)
    x = simulate_responses(theta, true, "grm", rng)
    girth_data = x.T.astype(int)                 # girth: [n_items, n_persons]

    def run_girth():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # girth's log(0) in its line search
            return girth.grm_mml(girth_data)

    t_girth, g = timed(run_girth, args.repeats)
    t_fast, fast = timed(lambda: fit_polytomous(x, "grm", compute_se=False), args.repeats)
    t_full, full = timed(lambda: fit_polytomous(x, "grm"), args.repeats)

    girth_params = np.column_stack([g["Discrimination"], g["Difficulty"]])
    print(f"GRM, {args.persons} persons x {args.items} items, 5 categories, seed {args.seed}, "
          f"median of {args.repeats} runs")
    print(f"{'estimator':38s} {'time s':>8s} {'RMSE a':>8s} {'RMSE b':>8s} {'cycles':>7s}")
    rows = [
        ("girth 0.8 grm_mml (defaults)", t_girth, girth_params, "<=25"),
        ("piaa fit_polytomous, no SEs", t_fast, fast["params"], str(fast["n_iter"])),
        ("piaa fit_polytomous, Louis SEs", t_full, full["params"], str(full["n_iter"])),
    ]
    for name, t, p, cycles in rows:
        print(f"{name:38s} {t:8.3f} {rmse(p[:, 0], true[:, 0]):8.4f} "
              f"{rmse(p[:, 1:], true[:, 1:]):8.4f} {cycles:>7s}")
    print(f"speed-up vs girth: {t_girth / t_fast:.1f}x without SEs, {t_girth / t_full:.1f}x with SEs")
    print(f"piaa log-likelihood {full['loglik']:.3f}, converged: {full['converged']}")


if __name__ == "__main__":
    main()
