"""Bank import throughput on SQLite and PostgreSQL.

A generated CSV of N single-choice items goes through the import as the command line and the
import job run it (parse, check against the bank format and the database, store items,
versions and audit events, commit) on a fresh database per run. Prints the median time per
phase and items/second. The named peer is the item-by-item path of the authoring UI
(``create_item_from_bank_json`` per item), timed against ``create_items_from_bank_json`` on
the same checked rows of a smaller sample.

SQLite is a temporary file. PostgreSQL is the database of PIAA_TEST_DATABASE_URL (else
PIAA_DATABASE_URL) when that names one, used in a schema of its own that is dropped after.

    python benchmarks/bank_import.py [N=20000] [RUNS=3] [PEER_N=1000]
"""
from __future__ import annotations

import csv
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

COMPETENCY = {"code": "FN-NOTING", "name": "Noting and drafting", "type": "functional",
              "description": "Noting and drafting",
              "levels": [{"level": n, "label": label, "descriptor": f"level {n}"}
                         for n, label in enumerate(["Basic", "Intermediate", "Proficient",
                                                    "Advanced", "Expert"], start=1)]}


def generated_csv(n_items: int, competency: str = "FN-NOTING") -> str:
    """``n_items`` sound single-choice rows in the template's columns (bilingual)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "type", "competency", "level", "stem_en", "stem_hi", "option_A_en",
                     "option_A_hi", "option_B_en", "option_B_hi", "option_C_en", "option_C_hi",
                     "key", "rationale_en"])
    for i in range(n_items):
        writer.writerow([f"GEN-{i:06d}", "single_choice", competency, i % 5 + 1,
                         f"Generated question {i}: which file number is right?",
                         f"प्रश्न {i}: कौन-सी फ़ाइल संख्या सही है?",
                         f"A-{i}", f"ए-{i}", f"B-{i}", f"बी-{i}", f"C-{i}", f"सी-{i}",
                         "ABC"[i % 3], f"Option {'ABC'[i % 3]} follows the numbering rule."])
    return buffer.getvalue()


# --- databases -------------------------------------------------------------------------------

def databases(scratch: Path) -> dict[str, str | None]:
    """Name -> URL; None where the database is not available."""
    postgres = os.environ.get("PIAA_TEST_DATABASE_URL") or os.environ.get("PIAA_DATABASE_URL") or ""
    return {"sqlite": f"sqlite:///{scratch / 'bench.sqlite3'}",
            "postgresql": postgres if postgres.startswith("postgresql") else None}


@contextmanager
def own_schema(url: str) -> Iterator[str]:
    """On PostgreSQL, the URL of a fresh schema of this process (dropped after), so the
    benchmark never touches tables others use; other databases as they are."""
    if not url.startswith("postgresql"):
        yield url
        return
    from sqlalchemy import create_engine, text

    schema = f"piaa_bench_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@contextmanager
def fresh_database(url: str):
    """An app context on an empty schema holding the competency of the generated rows."""
    from piaa import create_app
    from piaa.extensions import db
    from piaa.items.services import SourcedRecord, import_competencies

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        import_competencies(db.session, [SourcedRecord(COMPETENCY, 1)])
        db.session.commit()
        try:
            yield db.session
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


# --- the runs --------------------------------------------------------------------------------

@contextmanager
def timed_store(spent: list[float]) -> Iterator[None]:
    """Time the bulk store inside the import, to split checking from storing."""
    from piaa.items import services

    bulk = services.create_items_from_bank_json

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return bulk(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    services.create_items_from_bank_json = timed
    try:
        yield
    finally:
        services.create_items_from_bank_json = bulk


def import_run(url: str, path: Path) -> dict[str, float]:
    """One import of the CSV at ``path``: seconds per phase."""
    from piaa.items.import_service import ImportOptions, import_parsed, read_source

    with fresh_database(url) as session:
        started = time.perf_counter()
        parsed, problems = read_source(path)
        parsed_at = time.perf_counter()
        store: list[float] = []
        with timed_store(store):
            import_parsed(session, parsed, problems, display=path.name,
                          options=ImportOptions(bank="Generated", agency="Generated Agency"))
        stored_at = time.perf_counter()
        session.commit()
        committed_at = time.perf_counter()
    return {"parse": parsed_at - started, "check": stored_at - parsed_at - store[0],
            "store": store[0] + committed_at - stored_at, "total": committed_at - started}


def store_run(url: str, path: Path, per_item: bool) -> float:
    """Seconds to store (and commit) the CSV's checked rows into a new bank, by the bulk or
    the item-by-item path."""
    from piaa.accounts.services import get_or_create_organisation
    from piaa.items import services
    from piaa.items.import_service import read_source

    parsed, _ = read_source(path)
    with fresh_database(url) as session:
        bank = services.create_bank(session, organisation=get_or_create_organisation(
            session, "Generated Agency", "agency"), name="Generated", languages=["en", "hi"])
        session.commit()
        started = time.perf_counter()
        if per_item:
            for data in parsed.items:
                services.create_item_from_bank_json(session, bank, data)
        else:
            services.create_items_from_bank_json(session, bank, parsed.items)
        session.commit()
        return time.perf_counter() - started


def median_of(runs: int, run: Callable[[], float]) -> float:
    return statistics.median(run() for _ in range(runs))


def main() -> None:
    n_items = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    peer_items = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        full, sample = scratch / "generated.csv", scratch / "sample.csv"
        full.write_text(generated_csv(n_items), encoding="utf-8")
        sample.write_text(generated_csv(peer_items), encoding="utf-8")
        print(f"bank import of {n_items:,} generated CSV rows, median of {runs} runs")
        print(f"  {'database':<11}{'parse':>8}{'check':>8}{'store':>8}{'total':>8}   items/s")
        peers = []
        for name, url in databases(scratch).items():
            if url is None:
                print(f"  {name:<11}skipped: set PIAA_TEST_DATABASE_URL to a PostgreSQL database")
                continue
            with own_schema(url) as url:
                results = [import_run(url, full) for _ in range(runs)]
                phases = {k: statistics.median(r[k] for r in results) for k in results[0]}
                print(f"  {name:<11}" + "".join(f"{phases[k]:7.2f}s" for k in phases)
                      + f"   {n_items / phases['total']:,.0f}")
                one_by_one = median_of(runs, lambda: store_run(url, sample, per_item=True))
                bulk = median_of(runs, lambda: store_run(url, sample, per_item=False))
                peers.append((name, one_by_one, bulk))
        print(f"store only, {peer_items:,} checked rows into a new bank, median of {runs} runs; "
              "peer: create_item_from_bank_json per item")
        print(f"  {'database':<11}{'per item':>16}{'bulk':>16}   bulk / per item")
        for name, one_by_one, bulk in peers:
            print(f"  {name:<11}{peer_items / one_by_one:>10,.0f} it/s{peer_items / bulk:>10,.0f} it/s"
                  f"   {one_by_one / bulk:6.1f}x")


if __name__ == "__main__":
    main()
