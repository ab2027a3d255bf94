"""The app as ``benchmarks/delivery_load.py`` serves it: the real application, plus two
reference endpoints when ``PIAA_BENCHMARK_ENDPOINTS=1`` (never in normal service, which
does not import this module):

* ``GET /bench/trivial``: a constant JSON body, the cost of gunicorn, Flask and HTTP alone;
* ``PUT /bench/upsert/<attempt_id>/<ref>``: one bare SQL upsert of an answer row into a
  scratch table, committed, the floor under any answer call that must commit.

Run by gunicorn as ``delivery_bench_app:create_bench_app()``.
"""
from __future__ import annotations

import json
import os

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import text

from piaa import create_app

# The scratch table the upsert reference writes; created by the benchmark's setup, not by
# the application's migrations.
BENCH_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bench_answer (
    attempt_id integer NOT NULL,
    ref varchar(32) NOT NULL,
    answer json,
    seq integer NOT NULL,
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (attempt_id, ref)
)
"""
UPSERT_SQL = text("""
INSERT INTO bench_answer (attempt_id, ref, answer, seq, answered_at)
VALUES (:attempt_id, :ref, CAST(:answer AS json), :seq, now())
ON CONFLICT (attempt_id, ref) DO UPDATE
   SET answer = EXCLUDED.answer, seq = EXCLUDED.seq, answered_at = EXCLUDED.answered_at
 WHERE bench_answer.seq < EXCLUDED.seq
""")


def reference_endpoints() -> Blueprint:
    from piaa.extensions import db

    bp = Blueprint("bench_reference", __name__, url_prefix="/bench")

    @bp.get("/trivial")
    def trivial():
        return jsonify({"ok": True})

    @bp.put("/upsert/<int:attempt_id>/<ref>")
    def upsert(attempt_id: int, ref: str):
        body = request.get_json(silent=True) or {}
        db.session.execute(UPSERT_SQL, {"attempt_id": attempt_id, "ref": ref[:32],
                                        "answer": json.dumps(body.get("answer")),
                                        "seq": int(body.get("seq", 1))})
        db.session.commit()
        return jsonify({"ref": ref, "seq": body.get("seq")})

    return bp


def create_bench_app() -> Flask:
    from piaa.extensions import csrf

    app = create_app()
    if os.environ.get("PIAA_BENCHMARK_ENDPOINTS") == "1":
        bp = reference_endpoints()
        csrf.exempt(bp)  # machine calls, like the Bearer-token API
        app.register_blueprint(bp)
    return app
