"""Two variants of the server measured in one run, switched every few seconds, so that the
machine's own swings (on these shared cores this script's null variant read 3.0 to 6.6 ms of
gunicorn CPU per item, and a p99 from 16 to 4,227 ms, in runs 35 minutes apart) fall on both
alike.

    python benchmarks/interleaved_ab.py benchmarks/ab_variants/extra_round_trip.py [--candidates 2000]

The variant is a gunicorn config file: it imports the service's own settings
(``piaa.gunicorn_config``) and, where it differs, asks ``ab_switch.variant_on()``, which is
true in every other window of ``--window-s`` seconds (the wall clock's, shared by the
server's workers and this process). The crowd is ``delivery_load``'s realistic one: every
candidate of ``--candidates`` answers an adaptive item and moves on in one request (the
answer carrying the move) at exponentially distributed intervals of mean ``--think-s``.

For each half it prints the latency of that request (p50, p95, p99) and the CPU of gunicorn
and of PostgreSQL per item, sampled every 0.25 s and booked to the window it fell in.

How fine it is: ``ab_variants/same_service.py`` changes nothing, so its gaps are the
comparison's own noise. In three runs the halves' gunicorn CPU per item differed by 0.02,
0.07 and 0.18 ms, and their p99 by -2 to +165 ms. A gap in CPU is worth believing above
about 0.2 ms, or when it keeps its sign over several runs (one more round trip to PostgreSQL,
``ab_variants/extra_round_trip.py``, gave +0.07 and +0.14 ms: inside the noise). The p99 of
one run's halves says little: a few seconds of backlog near the knee land in one window or
another.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import delivery_load as load  # noqa: E402  (beside this script)
from ab_switch import WINDOW_ENV, variant_on  # noqa: E402
from loopback_http import LoopbackHTTP  # noqa: E402

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/piaa_ab"  # not delivery_load's: both may run
PHASE, KIND = "ab", "answer+next"


class WindowCPU:
    """CPU seconds of gunicorn's workers and of PostgreSQL, booked to the variant's windows."""

    def __init__(self, master: int):
        self.master = master
        self.spent = {True: [0.0, 0.0], False: [0.0, 0.0]}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        workers, postgres = load.worker_pids(self.master), load.postgres_pids()
        last = (load.cpu_seconds(workers), load.cpu_seconds(postgres))
        while not self._stop.wait(0.25):
            now = (load.cpu_seconds(workers), load.cpu_seconds(postgres))
            side = self.spent[variant_on()]
            side[0] += now[0] - last[0]
            side[1] += now[1] - last[1]
            last = now


async def crowd_sits(args, base: str, seeded, recorder: load.Recorder, master: int) -> WindowCPU:
    http = LoopbackHTTP(base, timeout_s=30.0)
    rng = random.Random(args.seed)
    crowd = await load.seated_crowd([load.Candidate(http, token, seeded.items, random.Random(rng.random()), recorder)
                                     for token in seeded.tokens[:args.candidates]], seeded.window_id, 16)
    with WindowCPU(master) as cpu:
        await load.open_loop(crowd, PHASE, args.seconds, args.think_s, recorder, one_trip=True)
    return cpu


def report(recorder: load.Recorder, cpu: WindowCPU, offset: float, variant: Path) -> None:
    calls = [(started, latency) for phase, kind, started, latency in recorder.timeline
             if phase == PHASE and kind == KIND]
    print(f"\n{'half':<22} {'items':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'CPU ms per item: gunicorn / PostgreSQL':>40}")
    for on, name in ((False, "service as it is"), (True, variant.stem)):
        lat = np.array([latency for started, latency in calls if variant_on(started + offset) == on]) * 1000
        if not len(lat):
            continue
        per_item = " / ".join(f"{1000 * s / len(lat):.2f}" for s in cpu.spent[on])
        p50, p95, p99 = np.percentile(lat, [50, 95, 99])
        print(f"{name:<22} {len(lat):>6} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f} {per_item:>40}")
    errors = sum(recorder.stats[(PHASE, KIND)].errors.values())
    print(f"errors: {errors}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", type=Path, help="a gunicorn config file (see benchmarks/ab_variants)")
    parser.add_argument("--db-url", default=os.environ.get("PIAA_AB_DATABASE_URL", DEFAULT_DB_URL),
                        help="scratch PostgreSQL database: dropped and created afresh")
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--think-s", type=float, default=8.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--window-s", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=20240612)
    args = parser.parse_args()
    os.environ[WINDOW_ENV] = str(args.window_s)  # this process and the server's, alike

    env = {**os.environ, "PIAA_DATABASE_URL": args.db_url, "PIAA_SECRET_KEY": secrets.token_hex(16),
           "PIAA_BENCHMARK_ENDPOINTS": "1",
           # the variant file imports the service's settings and the switch
           "PYTHONPATH": os.pathsep.join([str(BENCH_DIR.parent), str(BENCH_DIR)])}
    env.pop("PIAA_REDIS_URL", None)  # the server's too, not only the seeding's
    seeded = load.fresh_seed(args.db_url, args.candidates + 1, env, args.seed)
    port = load.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = load.start_server(env, port, args.workers, Path(tmp) / "gunicorn.log",
                                   config=str(args.variant.resolve()))
        recorder = load.Recorder(server.pid)
        offset = time.time() - time.perf_counter()  # the timeline's clock to the wall clock
        try:
            cpu = asyncio.run(crowd_sits(args, f"http://127.0.0.1:{port}", seeded, recorder, server.pid))
        finally:
            load.stop_server(server)
    print(f"{args.candidates} candidates, mean think {args.think_s} s, {args.seconds:.0f} s, "
          f"windows of {args.window_s:.0f} s")
    report(recorder, cpu, offset, args.variant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
