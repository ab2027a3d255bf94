"""Bank import throughput: a generated CSV of N single-choice items, parsed, checked and
stored through the items services, on the database of PIAA_DATABASE_URL (default: a
temporary SQLite file). Prints the median time per phase over a few runs and items/second.

    python benchmarks/bank_import.py [N] [RUNS]
"""
from __future__ import annotations

import csv
import io
import os
import statistics
import sys
import tempfile
import time
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


def _one_run(n_items: int, url: str) -> dict[str, float]:
    from piaa import create_app
    from piaa.extensions import db
    from piaa.items.import_service import ImportOptions, import_parsed, read_source
    from piaa.items.services import SourcedRecord, import_competencies

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context(), tempfile.TemporaryDirectory() as scratch:
        db.drop_all()
        db.create_all()
        import_competencies(db.session, [SourcedRecord(COMPETENCY, 1)])
        db.session.commit()
        path = Path(scratch) / "generated.csv"
        path.write_text(generated_csv(n_items), encoding="utf-8")
        started = time.perf_counter()
        parsed, problems = read_source(path)
        parsed_at = time.perf_counter()
        import_parsed(db.session, parsed, problems, display=path.name,
                      options=ImportOptions(bank="Generated", agency="Generated Agency"))
        db.session.commit()
        stored_at = time.perf_counter()
        db.drop_all()
    return {"parse": parsed_at - started, "check and store": stored_at - parsed_at}


def main() -> None:
    n_items = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("PIAA_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        results = [_one_run(n_items, url) for _ in range(runs)]
    print(f"bank import of {n_items} CSV rows, {runs} runs, {url.split(':')[0]}")
    for phase in results[0]:
        median = statistics.median(r[phase] for r in results)
        print(f"  {phase:<16} median {median:8.2f} s  ({n_items / median:,.0f} items/s)")
    total = statistics.median(sum(r.values()) for r in results)
    print(f"  {'total':<16} median {total:8.2f} s  ({n_items / total:,.0f} items/s)")


if __name__ == "__main__":
    main()
