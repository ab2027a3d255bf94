"""CPU and SQL statements per candidate call, measured in one process on PostgreSQL.

    python benchmarks/delivery_profile.py [--candidates 60] [--profile onetrip] [--db-url ...]

``delivery_load.py`` measures the service under load through gunicorn; its CPU per request
is what capacity planning needs, but it moves with whatever else the machine runs. This
script drives the same calls through Flask's test client in this process, on a scratch
database seeded by ``delivery_load.seed`` (dropped and created afresh), and prints for each
call the CPU time of this process per request and the SQL statements per request by kind
(counted by a ``before_cursor_execute`` hook):

* ``answer``: ``PUT .../responses/<ref>`` (the two-request sitting's first call);
* ``next``: ``POST .../next`` (its second);
* ``onetrip``: ``PUT .../responses/<ref>`` with ``next: true`` (one request per item);
* ``submit``: ``POST .../submit`` once the test is over (the attempt scored and closed).

Candidates sit the adaptive assessment to its end, half of them in two requests per item
and half in one; the server's clock (``PIAA_CLOCK``) moves 10 s between items, a reading
time that raises no fast-answer flag. The CPU excludes PostgreSQL's own; the statement
counts are exact. ``--profile CALL`` adds the cProfile functions that cost that call most.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import delivery_load  # noqa: E402  (beside this script)

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/piaa_profile"
CALLS = ("answer", "next", "onetrip", "submit")


class Meter:
    """CPU seconds, requests and SQL statements of each call, and an optional profiler."""

    def __init__(self, profiled: str | None):
        self.cpu: dict[str, float] = defaultdict(float)
        self.requests: Counter = Counter()
        self.statements: dict[str, Counter] = defaultdict(Counter)
        self.current: str | None = None
        self.profiled = profiled
        self.profile = cProfile.Profile(time.process_time) if profiled else None

    def note_statement(self, conn, cursor, statement, parameters, context, executemany):
        if self.current:
            self.statements[self.current][statement.split()[0].upper()] += 1

    def call(self, kind: str, send):
        self.current = kind
        profile = self.profile if kind == self.profiled else None
        if profile:
            profile.enable()
        started = time.process_time()
        response = send()
        self.cpu[kind] += time.process_time() - started
        if profile:
            profile.disable()
        self.current = None
        self.requests[kind] += 1
        if response.status_code >= 300:
            raise SystemExit(f"{kind}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return response.get_json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default=os.environ.get("PIAA_PROFILE_DATABASE_URL", DEFAULT_DB_URL),
                        help="scratch PostgreSQL database: dropped and created afresh")
    parser.add_argument("--candidates", type=int, default=60, help="sittings, half in each way")
    parser.add_argument("--profile", choices=CALLS, default=None, help="print where this call's CPU goes")
    parser.add_argument("--seed", type=int, default=20240612)
    args = parser.parse_args()

    from sqlalchemy import event

    from piaa import create_app
    from piaa.clock import system_now
    from piaa.extensions import db

    seeded = delivery_load.fresh_seed(args.db_url, args.candidates, {**os.environ, "PIAA_SECRET_KEY": "profile"},
                                      args.seed)
    offset = [timedelta(0)]
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db_url, "SECRET_KEY": "profile",
                      "PIAA_CLOCK": lambda: system_now() + offset[0]})
    client = app.test_client()
    meter = Meter(args.profile)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", meter.note_statement)

    sittings = []
    for n, token in enumerate(seeded.tokens[:args.candidates]):
        headers = {"Authorization": f"Bearer {token}", "X-PIAA-Client": f"profile-{n}",
                   "User-Agent": "PIAA-profile/1.0"}
        attempt = client.post("/api/v1/attempts", json={"window_id": seeded.window_id}, headers=headers).get_json()
        client.post(f"/api/v1/attempts/{attempt['id']}/check-in",
                    json={"identity_confirmed": True, "rules_accepted": True}, headers=headers)
        started = client.post(f"/api/v1/attempts/{attempt['id']}/start", headers=headers).get_json()
        sittings.append({"id": attempt["id"], "headers": headers, "item": started["items"][0], "seq": 0,
                         "one_trip": n % 2 == 1})

    rng = random.Random(args.seed)
    while sittings:
        offset[0] += timedelta(seconds=10)
        for sitting in list(sittings):
            code = delivery_load.ITEM_CODE.search(sitting["item"]["content"]["stem"]).group(1)
            key = seeded.items[code]["key"]
            choice = key if rng.random() < 0.6 else rng.choice([o for o in delivery_load.OPTIONS if o != key])
            sitting["seq"] += 1
            url = f"/api/v1/attempts/{sitting['id']}"
            ref, headers = sitting["item"]["ref"], sitting["headers"]
            if sitting["one_trip"]:
                body = meter.call("onetrip", lambda: client.put(
                    f"{url}/responses/{ref}", json={"answer": choice, "seq": sitting["seq"], "next": True},
                    headers=headers))
            else:
                meter.call("answer", lambda: client.put(
                    f"{url}/responses/{ref}", json={"answer": choice, "seq": sitting["seq"]}, headers=headers))
                body = meter.call("next", lambda: client.post(f"{url}/next", json={"ref": ref}, headers=headers))
            if body["items"]:
                sitting["item"] = body["items"][0]
            else:  # the test is over: the candidate submits, as the realistic crowd does
                meter.call("submit", lambda: client.post(f"{url}/submit", headers=headers))
                sittings.remove(sitting)

    print(f"{'call':<8} {'requests':>8} {'CPU ms':>7} {'statements':>10}  by kind")
    for kind in CALLS:
        n = meter.requests[kind]
        if n:
            kinds = ", ".join(f"{k} {v / n:.2f}" for k, v in meter.statements[kind].most_common())
            print(f"{kind:<8} {n:>8} {1000 * meter.cpu[kind] / n:>7.2f} "
                  f"{sum(meter.statements[kind].values()) / n:>10.2f}  {kinds}")
    pair = meter.requests["next"]
    if pair and meter.requests["onetrip"]:
        per_pair = 1000 * (meter.cpu["answer"] / meter.requests["answer"] + meter.cpu["next"] / pair)
        per_trip = 1000 * meter.cpu["onetrip"] / meter.requests["onetrip"]
        print(f"CPU ms per item: answer + next {per_pair:.2f}, one trip {per_trip:.2f}")
    if meter.profile:
        pstats.Stats(meter.profile).sort_stats("cumulative").print_stats(40)
    print(json.dumps({"load_average": os.getloadavg()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
