"""Certificates per second: the full pipeline against plain WeasyPrint rendering of the same HTML.

Full pipeline = sign the Open Badges credential (eddsa-rdfc-2022) + render PDF/A-3 with the
credential attached + PAdES-sign the PDF. Plain = WeasyPrint ``write_pdf`` of the same HTML
with the same fonts, nothing else. Both run in this process on the same certificates, then
each with two worker processes. Target: pipeline rate >= 60% of plain rate.

Then the pipeline runs over ``--memory-count`` certificates (default 1,000) in one process,
printing the resident set size at intervals: it should level off, not climb.

Usage: python benchmarks/certificates.py [--count 40] [--repeats 3] [--memory-count 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from piaa.certificates import credential, keys, pdf_signing, rendering  # noqa: E402

MOMENT = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ISSUER = credential.IssuerIdentity("https://piaa.example.gov.in", "PIAA: Proctored, Independent, Authorised Assessment")
BASE_FACTS = credential.CertificateFacts(
    public_id="0" * 32, serial="", official_name="", official_name_hi="आशा वर्मा", email="", identity_salt="00ff00ff00ff00ff",
    competency_code="FN-DA-01", competency_name="Data analysis", level=3, level_label="Proficient",
    level_descriptor="Analyses routine data sets independently and explains the findings to decision makers.",
    agency_name="National Assessment Agency", assessed_at=MOMENT, issued_at=MOMENT,
    status_list_number=1, status_list_index=0)

_keys: keys.SigningKeys | None = None


def certificate_facts(n: int) -> credential.CertificateFacts:
    return dataclasses.replace(BASE_FACTS, public_id=f"{n:032x}", serial=f"PIAA-2026-{n:07d}",
                               official_name=f"Official Number {n}", email=f"official{n}@example.gov.in",
                               status_list_index=n)


def _init_worker(key_dir: str) -> None:
    global _keys
    _keys = keys.load_keys(keys.KeyPaths.resolve(key_dir))
    pipeline(0), plain(0)  # warm fonts and caches outside the timed region


def pipeline(n: int) -> int:
    facts = certificate_facts(n)
    signed = credential.signed_credential(facts, ISSUER, _keys.credential_key)
    pdf = rendering.render_pdf(rendering.certificate_html(facts, ISSUER), signed)
    return len(pdf_signing.sign_pdf(pdf, _keys))


def plain(n: int) -> int:
    return len(rendering.render_plain(rendering.certificate_html(certificate_facts(n), ISSUER)))


def _batch_rate(run_batch, count: int) -> float:
    start = time.perf_counter()
    run_batch()
    return count / (time.perf_counter() - start)


def paired_rates(run, count: int, repeats: int) -> tuple[float, float]:
    """Median certificates/s of plain and pipeline over ``repeats`` batches of ``count``.

    The two alternate batch by batch, so a change in machine load hits both alike.
    """
    plain_rates, full_rates = [], []
    for _ in range(repeats):
        plain_rates.append(_batch_rate(lambda: run(plain, count), count))
        full_rates.append(_batch_rate(lambda: run(pipeline, count), count))
    return statistics.median(plain_rates), statistics.median(full_rates)


def in_process(func, count: int) -> None:
    for n in range(count):
        func(n)


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="certificates per timed batch")
    parser.add_argument("--repeats", type=int, default=5, help="batches per measurement (median reported)")
    parser.add_argument("--memory-count", type=int, default=1000, help="certificates in the memory run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as key_dir:
        keys.init_keys(keys.KeyPaths.resolve(key_dir), organisation="PIAA Benchmark", now=MOMENT)
        _init_worker(key_dir)

        print(f"certificates/s, median of {args.repeats} alternating batches of {args.count} (same HTML, same fonts)")
        plain_1, full_1 = paired_rates(in_process, args.count, args.repeats)
        print(f"  1 process : plain WeasyPrint {plain_1:6.2f}/s   full pipeline {full_1:6.2f}/s   ratio {full_1 / plain_1:.2f}")
        with ProcessPoolExecutor(2, initializer=_init_worker, initargs=(key_dir,)) as pool:
            def on_workers(func, count):
                list(pool.map(func, range(count), chunksize=max(1, count // 8)))

            plain_2, full_2 = paired_rates(on_workers, args.count, args.repeats)
        print(f"  2 workers : plain WeasyPrint {plain_2:6.2f}/s   full pipeline {full_2:6.2f}/s   ratio {full_2 / plain_2:.2f}")
        verdict = "meets" if min(full_1 / plain_1, full_2 / plain_2) >= 0.6 else "MISSES"
        print(f"  target: pipeline >= 0.60 of plain rendering -> {verdict}")

        print(f"memory over {args.memory_count} certificates (full pipeline, one process), RSS in MiB:")
        step = max(1, args.memory_count // 10)
        start = time.perf_counter()
        for n in range(args.memory_count):
            pipeline(n)
            if (n + 1) % step == 0:
                print(f"  after {n + 1:5d}: {rss_mib():7.1f}   ({(n + 1) / (time.perf_counter() - start):.1f}/s)")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
