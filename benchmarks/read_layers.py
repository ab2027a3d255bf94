"""CPU of a move's reads through each layer: the ORM (as the service reads), SQLAlchemy Core,
and the driver (psycopg) alone, on the same SQL and the same rows.

    python benchmarks/read_layers.py [--candidates 50] [--items 8] [--db-url postgresql+psycopg://...]

An answer carrying the move to the next item reads, in one transaction, the attempt under its
lock (with its assessment) and the attempt's rows (``piaa.delivery.attempts._LOCK_FOR_MOVE``
and ``_ROWS``). This script seeds a scratch database (``delivery_load.fresh_seed``), sits ``--candidates`` adaptive attempts ``--items`` items deep through the
app, then times, in this process, BEGIN + those two reads + ROLLBACK for each attempt:

* ``orm``: ``session.scalar`` / ``session.scalars`` on the statements, ORM objects out;
* ``core``: the same SQL on a Core connection (``exec_driver_sql``), rows out;
* ``driver``: the same SQL on a psycopg cursor, tuples out;
* ``session SELECT 1``: a session's transaction around one trivial statement, for scale.

It prints the best of 5 rounds of CPU per transaction (PostgreSQL's own CPU excluded): what
the layers above the driver cost on the hottest path, and so what a path on plain rows would
save.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import delivery_load  # noqa: E402  (beside this script)

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/piaa_read_layers"


def sit(client, seeded, n: int, items: int) -> list[int]:
    """``n`` adaptive attempts, each answered and moved on ``items`` times (or to its end)."""
    ids = []
    for token in seeded.tokens[:n]:
        headers = {"Authorization": f"Bearer {token}"}
        attempt = client.post("/api/v1/attempts", json={"window_id": seeded.window_id}, headers=headers).get_json()
        url = f"/api/v1/attempts/{attempt['id']}"
        client.post(f"{url}/check-in", json={"identity_confirmed": True, "rules_accepted": True}, headers=headers)
        shown = client.post(f"{url}/start", headers=headers).get_json()["items"]
        for seq in range(1, items + 1):
            if not shown:
                break
            body = client.put(f"{url}/responses/{shown[0]['ref']}", json={"answer": "A", "seq": seq, "next": True},
                              headers=headers).get_json()
            shown = body["items"]
        ids.append(attempt["id"])
    return ids


def best_cpu(read, ids: list[int], rounds: int = 5, repeat: int = 4) -> float:
    for attempt_id in ids:  # warm: statements prepared, caches filled
        read(attempt_id)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            for attempt_id in ids:
                read(attempt_id)
        best = min(best, (time.process_time() - started) / (repeat * len(ids)))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default=os.environ.get("PIAA_READ_LAYERS_DATABASE_URL", DEFAULT_DB_URL),
                        help="scratch PostgreSQL database: dropped and created afresh")
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--items", type=int, default=8)
    args = parser.parse_args()

    from sqlalchemy import text

    from piaa import create_app
    from piaa.delivery import attempts
    from piaa.extensions import db

    seeded = delivery_load.fresh_seed(args.db_url, args.candidates, {**os.environ, "PIAA_SECRET_KEY": "read-layers"})
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db_url, "SECRET_KEY": "read-layers"})
    ids = sit(app.test_client(), seeded, args.candidates, args.items)

    with app.app_context():
        dialect = db.engine.dialect
        lock = attempts._LOCK_FOR_MOVE.compile(dialect=dialect)
        lock_sql, rows_sql = str(lock), str(attempts._ROWS.compile(dialect=dialect))
        # the values the statement binds itself (its own filters), whatever their names
        lock_params = {k: v for k, v in lock.params.items() if v is not None}

        driver = db.engine.raw_connection()

        def orm(attempt_id):
            db.session.scalar(attempts._LOCK_FOR_MOVE, {"attempt_id": attempt_id})
            list(db.session.scalars(attempts._ROWS, {"attempt_id": attempt_id}))
            db.session.rollback()

        def core(attempt_id):
            with db.engine.connect() as conn:
                conn.exec_driver_sql(lock_sql, {"attempt_id": attempt_id, **lock_params}).all()
                conn.exec_driver_sql(rows_sql, {"attempt_id": attempt_id}).all()
                conn.rollback()

        def bare(attempt_id):
            with driver.driver_connection.cursor() as cursor:
                cursor.execute(lock_sql, {"attempt_id": attempt_id, **lock_params})
                cursor.fetchall()
                cursor.execute(rows_sql, {"attempt_id": attempt_id})
                cursor.fetchall()
            driver.driver_connection.rollback()

        def trivial(attempt_id):
            db.session.execute(text("SELECT 1"))
            db.session.rollback()

        rows = db.session.scalar(text("SELECT avg(n) FROM (SELECT count(*) n FROM attempt_item GROUP BY attempt_id) s"))
        db.session.rollback()
        print(f"{len(ids)} attempts, {float(rows):.1f} rows each on average; CPU of this process per transaction "
              f"(BEGIN, the lock read, the rows read, ROLLBACK), best of 5 rounds:")
        results = {name: best_cpu(read, ids) for name, read in
                   (("orm", orm), ("core", core), ("driver", bare), ("session SELECT 1", trivial))}
        driver.close()
    for name, seconds in results.items():
        print(f"  {name:<17} {1000 * seconds:6.3f} ms  ({seconds / results['driver']:.1f} x the driver's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
