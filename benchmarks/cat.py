"""Next-item selection on a 5,000-item bank: PIAA against catsim.

Runs catsim's ``MaxInfoSelector`` and ``piaa.psychometrics.cat.select_next_item``
(maximum Fisher information, no exposure control) on the same seeded 3PL bank,
the same abilities and the same administered sets, and prints the median time
per call, the speed ratio and how often both chose the same item.

    python benchmarks/cat.py [--items 5000] [--cases 400] [--seed 20240611]

The bank object is built once per bank (as the delivery service does) and its
build time is printed separately; catsim's ItemBank is built once as well.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from piaa.psychometrics.cat import ItemBank, select_items, select_next_item

TARGET_RATIO = 25.0


def make_bank(rng, n_items):
    return np.column_stack([
        rng.lognormal(0.0, 0.3, n_items),
        rng.normal(0.0, 1.0, n_items),
        rng.uniform(0.0, 0.25, n_items),
        np.ones(n_items),
    ])


def make_cases(rng, n_items, n_cases, max_taken):
    """Abilities across the scale and administered sets of 0..max_taken items."""
    thetas = rng.uniform(-3.0, 3.0, n_cases)
    taken = [rng.choice(n_items, rng.integers(0, max_taken + 1), replace=False)
             for _ in range(n_cases)]
    return thetas, taken


def time_calls(fn, cases):
    times, picks = [], []
    for args in cases:
        t0 = time.perf_counter()
        picks.append(fn(*args))
        times.append(time.perf_counter() - t0)
    return np.array(times), np.array(picks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--max-taken", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()

    from catsim.item_bank import ItemBank as CatsimBank
    from catsim.selection import MaxInfoSelector

    rng = np.random.default_rng(args.seed)
    params = make_bank(rng, args.items)
    thetas, taken = make_cases(rng, args.items, args.cases, args.max_taken)
    masks = []
    for t in taken:
        m = np.zeros(args.items, dtype=bool)
        m[t] = True
        masks.append(m)

    t0 = time.perf_counter()
    bank = ItemBank(params, model="3pl")
    build = time.perf_counter() - t0
    catsim_bank = CatsimBank(params)
    selector = MaxInfoSelector()

    def ours(theta, mask):
        return select_next_item(theta, bank, mask).item

    def theirs(theta, administered):
        return selector.select(item_bank=catsim_bank, administered_items=administered,
                               est_theta=theta)

    # One warm-up call each so first-call costs (imports, caches) are not timed.
    ours(thetas[0], masks[0])
    theirs(thetas[0], list(taken[0]))
    t_ours, p_ours = time_calls(ours, list(zip(thetas, masks)))
    t_theirs, p_theirs = time_calls(theirs, [(th, list(t)) for th, t in zip(thetas, taken)])

    t0 = time.perf_counter()
    batch = select_items(thetas, bank, np.array(masks)).items
    t_batch = time.perf_counter() - t0

    med_ours, med_theirs = np.median(t_ours), np.median(t_theirs)
    ratio = med_theirs / med_ours
    agree = int(np.sum(p_ours == p_theirs))
    print(f"bank: {args.items} items (3PL), {args.cases} cases, 0..{args.max_taken} administered")
    print(f"piaa ItemBank build (once per bank): {build * 1e3:.1f} ms")
    print(f"catsim MaxInfoSelector.select   median {med_theirs * 1e3:8.3f} ms per call")
    print(f"piaa select_next_item (mfi)     median {med_ours * 1e3:8.3f} ms per call")
    print(f"ratio catsim / piaa: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x): "
          f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    print(f"same item as catsim: {agree} / {args.cases}")
    print(f"batch select_items for all {args.cases} cases at once: {t_batch * 1e3:.1f} ms "
          f"(same items as single calls: {bool(np.array_equal(batch, p_ours))})")


if __name__ == "__main__":
    main()
