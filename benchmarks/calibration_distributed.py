"""A population-size calibration on a 2-worker Dask LocalCluster against one process.

Data: a 2PL LOFT design, 1,000,000 persons who each saw 30 items of a
300-item bank (a ~ lognormal(0, 0.25), b ~ N(0, 1), θ ~ N(0, 1)), made in
``--partitions`` blocks of persons from seeded generators, one seed per
block, so the one process and the cluster calibrate the same responses.

* one process: ``IRTCalibrator(model="2pl").fit(SparseResponses)`` on all
  blocks stacked, BLAS on one thread (as every fit);
* cluster: ``LocalCluster(n_workers=2, threads_per_worker=1)`` (worker
  processes); each block is made on a worker and stays there; the fit is
  ``IRTCalibrator(model="2pl").fit(DistributedResponses(client, blocks))``.

Both fit with the same options (tol 1e-4 by default, mirt's EM tolerance;
no standard errors, as in benchmarks/calibration.py), and the time of
``fit`` is what is compared: the cluster's start and the making of the data
are printed apart. The two sets of estimates are compared as well (the
cluster's early float32 E-steps group persons differently, so they agree
to about the tolerance, not to the last digit; with ``--precision double``
they agree to 1e-8 or better).

On a 2-core machine shared with other work the cluster has no spare core to
win with: the figure to read is the overhead the map-reduce adds, not a
speed-up. Measured twice at 1,000,000 persons on the 2-core machine while
others ran (load average 9-14), 10 E-steps each, estimates equal to 9e-16:

    one process   fit 72.0 s              |  68.3 s wall, 16.3 s CPU
    cluster       fit 147.0 s (x 2.04)    |  62.6 s wall, 24.0 s CPU (x 0.92 wall, x 1.47 CPU)

The extra CPU is mostly slower arithmetic, not messaging: one E-step of
100,000 persons took 0.19 s of thread CPU in-process, 0.22 s on a worker
and 0.26 s with both workers computing at once (the two cores share cache
and memory bandwidth). Usage:

    python benchmarks/calibration_distributed.py                     # 1,000,000 persons
    python benchmarks/calibration_distributed.py --persons 100000    # a quick run
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from piaa.psychometrics.calibration import IRTCalibrator, SparseResponses

BANK, PER_PERSON = 300, 30


def bank(seed: int):
    rng = np.random.default_rng(seed)
    return rng.lognormal(0.0, 0.25, BANK), rng.normal(0.0, 1.0, BANK)


def make_block(seed: int, block: int, n: int) -> SparseResponses:
    """Block ``block`` of persons: n persons, 30 random items each, 2PL responses."""
    a, b = bank(seed)
    rng = np.random.default_rng([seed, block])
    theta = rng.normal(size=n)
    idx = np.argpartition(rng.random((n, BANK)), PER_PERSON, axis=1)[:, :PER_PERSON]
    x = (rng.random((n, PER_PERSON)) < expit(a[idx] * (theta[:, None] - b[idx]))).astype(np.float32)
    return SparseResponses.from_indices(idx, x, BANK)


def block_sizes(n: int, blocks: int) -> list:
    return [len(r) for r in np.array_split(np.arange(n), blocks)]


def options(args) -> dict:
    return dict(model="2pl", tol=args.tol, se_method=None, chunk_size=50_000, precision=args.precision)


def one_process(args):
    t0 = time.perf_counter()
    parts = [make_block(args.seed, i, n) for i, n in enumerate(block_sizes(args.persons, args.partitions))]
    data = SparseResponses(sp.vstack([p.administered for p in parts], format="csr"),
                           sp.vstack([p.correct for p in parts], format="csr"))
    del parts
    made = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    fit = IRTCalibrator(**options(args)).fit(data)
    return made, time.perf_counter() - t0, time.process_time() - c0, fit


def _cpu_seconds() -> float:
    return time.process_time()


def on_cluster(args):
    from dask.distributed import Client, LocalCluster, wait

    from piaa.psychometrics.distributed import DistributedResponses

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                           memory_limit="8GiB")
    client = Client(cluster)
    started = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        blocks = [client.submit(make_block, args.seed, i, n, pure=False)
                  for i, n in enumerate(block_sizes(args.persons, args.partitions))]
        wait(blocks)
        made = time.perf_counter() - t0
        workers_before = sum(client.run(_cpu_seconds).values())
        t0, c0 = time.perf_counter(), time.process_time()
        fit = IRTCalibrator(**options(args)).fit(DistributedResponses(client, blocks))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        cpu += sum(client.run(_cpu_seconds).values()) - workers_before
        return started, made, wall, cpu, fit
    finally:
        client.close()
        cluster.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--partitions", type=int, default=2, help="blocks of persons (default: one per worker)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--precision", default="auto", choices=("auto", "double", "single"))
    ap.add_argument("--seed", type=int, default=31)
    args = ap.parse_args(argv)
    print(f"2PL LOFT: {args.persons:,} persons, {PER_PERSON} of {BANK} items each, {args.partitions} blocks;"
          f" tol {args.tol:g}, precision {args.precision}, no SEs")

    made, t_one, c_one, one = one_process(args)
    print(f"one process   fit {t_one:7.2f} s, CPU {c_one:7.2f} s  ({one.n_iter_} E-steps,"
          f" converged={one.converged_}); data made in {made:.1f} s", flush=True)
    started, made, t_many, c_many, many = on_cluster(args)
    print(f"2-worker LocalCluster  fit {t_many:7.2f} s, CPU {c_many:7.2f} s (client and workers)"
          f"  ({many.n_iter_} E-steps, converged={many.converged_});"
          f" cluster started in {started:.1f} s, data made on the workers in {made:.1f} s")
    a, b = bank(args.seed)
    print(f"cluster / one process: wall {t_many / t_one:.2f}, CPU {c_many / c_one:.2f}"
          f"   max |Δ params| between the two fits "
          f"{np.abs(many.params_ - one.params_).max():.1e}   RMSE against truth a "
          f"{np.sqrt(np.mean((many.params_[:, 0] - a) ** 2)):.4f} b {np.sqrt(np.mean((many.params_[:, 1] - b) ** 2)):.4f}")


if __name__ == "__main__":
    main()
