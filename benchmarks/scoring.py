"""Ability scoring speed: PIAA's estimate_ability against girth.

Scores one seeded 2PL data set (10,000 persons x 50 items by default) by EAP,
MAP and MLE with ``piaa.psychometrics.estimation.estimate_ability`` and with
girth's ``ability_eap`` / ``ability_map`` / ``ability_mle`` on the same
responses (girth's layout is [n_items, n_persons]), prints median times, the
ratios and the largest difference between the two sets of estimates.

    python benchmarks/scoring.py [--persons 10000] [--items 50] [--repeats 7]

Targets: EAP under 50 ms; MAP and MLE at least 20x faster than girth.
girth's MAP/MLE optimise one person at a time (seconds per call), so they are
timed over ``--girth-repeats`` runs (default 1).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from piaa.psychometrics.estimation import estimate_ability

EAP_BUDGET_MS = 50.0
TARGET_RATIO = 20.0


def simulate(rng, n_persons, n_items):
    theta = rng.normal(size=n_persons)
    a = rng.lognormal(0.0, 0.25, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    p = 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))
    x = (rng.random(p.shape) < p).astype(float)
    params = np.column_stack([a, b, np.zeros(n_items), np.ones(n_items)])
    return x, params


def median_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--girth-repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()

    import girth

    rng = np.random.default_rng(args.seed)
    x, params = simulate(rng, args.persons, args.items)
    a, b = params[:, 0], params[:, 1]
    g = x.T.astype(int)                       # girth: [n_items, n_persons]
    girth_eap_options = {"quadrature_bounds": (-6, 6), "quadrature_n": 61}

    estimate_ability(x[:10], params)          # warm-up (imports, BLAS threads)
    print(f"data: {args.persons} persons x {args.items} items, 2PL, seed {args.seed}")
    print(f"{'method':6} {'piaa ms':>10} {'girth ms':>10} {'ratio':>8}  max |diff|  target")
    peers = {
        "eap": (lambda: girth.ability_eap(g, b, a, girth_eap_options), args.repeats),
        "map": (lambda: girth.ability_map(g, b, a), args.girth_repeats),
        "mle": (lambda: girth.ability_mle(g, b, a), args.girth_repeats),
    }
    for method, (peer, peer_repeats) in peers.items():
        t_ours, est = median_time(lambda: estimate_ability(x, params, method=method), args.repeats)
        t_peer, theirs = median_time(peer, peer_repeats)
        finite = np.isfinite(theirs)          # girth leaves all-0 / all-1 MLEs as NaN
        diff = float(np.max(np.abs(est.theta[finite] - theirs[finite])))
        ratio = t_peer / t_ours
        if method == "eap":
            verdict = f"< {EAP_BUDGET_MS:.0f} ms: {'PASS' if t_ours * 1e3 < EAP_BUDGET_MS else 'FAIL'}"
        else:
            verdict = f">= {TARGET_RATIO:.0f}x: {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
        print(f"{method:6} {t_ours * 1e3:10.1f} {t_peer * 1e3:10.1f} {ratio:7.1f}x  "
              f"{diff:10.2e}  {verdict}")


if __name__ == "__main__":
    main()
