"""Load on the candidate API: gunicorn on PostgreSQL, driven over loopback from this process.

    python benchmarks/delivery_load.py [--quick] [--db-url postgresql+psycopg://...]

Sets up a scratch database (dropped and created afresh), migrates it (``piaa db upgrade``),
seeds a calibrated bank, an adaptive assessment, an open window and candidates with API
tokens, starts gunicorn (2 sync workers per core, the service's own settings,
``piaa.gunicorn_config``) with the two reference endpoints of
``delivery_bench_app`` switched on, and measures, in one run on one server (the load comes
from ``loopback_http``, a lean client: it shares the server's cores):

1. Saturation, closed loop, the same number of concurrent clients for each, the three taking
   turns for ``--rounds`` rounds (the target is judged on the median of the rounds'
   answer / upsert ratios, so a slow stretch of the machine falls on all three):
   * ``trivial``: ``GET /bench/trivial`` (reference: HTTP + Flask alone);
   * ``upsert``: ``PUT /bench/upsert/...``, one bare SQL upsert of an answer row, committed
     (reference: the floor under any acknowledged answer);
   * ``answer``: ``PUT /api/v1/attempts/<id>/responses/<ref>`` by candidates in running
     adaptive attempts, each client answering its current item again and again with a
     rising ``seq`` (a candidate changing their mind: every call is a real, committed save);
   * ``sitting``: candidates sitting whole adaptive assessments as fast as they can
     (start, then answer + next item until the stopping rule ends the test, then submit).
2. Realistic, open loop: every one of ``--candidates`` candidates answers and moves on at
   exponentially distributed intervals of mean ``--think-s`` (2,000 every 8 s: about 250
   answers and 250 next-item selections a second), whatever the server's latency.
   With ``--one-trip``, the whole sittings and the realistic crowd run a second time, each
   answer carrying the move to the next item (``PUT .../responses/<ref>`` with ``next:
   true``: one request per item instead of two), and a table compares items served,
   latency of answering and moving on, and CPU per item. The crowd answering in one request
   runs ``--trip-rounds`` rounds, a freshly seated crowd each, and the p99 target is judged
   on the median of the rounds' p99s: this machine's speed moves by up to 2x from one minute
   to the next (the same in-process call measured 2.5 and 5.0 ms of CPU minutes apart), and
   one 60 s window falls on whatever stretch it gets.
3. Capacity (``--capacity 400,800,1200``): the same open loop with crowds of each size,
   ``--capacity-s`` each, one line per size: served rate, p99s and CPU per answer + next-item
   pair of gunicorn, PostgreSQL and this load process, so the largest crowd that two cores
   serve within the targets can be read off.

Then every answer the server acknowledged (2xx) is looked up in the database, and a table
prints the rates, latency percentiles, ratios and PASS / MISS for each target:

* saturated answers per second at least 60 % of the bare upsert's;
* realistic run, on the path the sitting page takes: with ``--one-trip``, the answer carrying
  the move p99 under 50 ms (median of the rounds); without it, answer p99 under 50 ms and next-item p99 under 80 ms;
* no error responses; every acknowledged answer stored with its ``seq``.

All traffic goes to 127.0.0.1; every phase is bounded in time and stops by itself.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

from loopback_http import LoopbackHTTP  # noqa: E402  (beside this script)

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/piaa_bench"
TRIP_PHASE = "realistic 1-trip"
COMPETENCY = "BENCH-NOTING"
SUB_AREAS = ("noting", "drafting", "filing")
OPTIONS = ("A", "B", "C", "D")
ITEM_CODE = re.compile(r"item (BN-\d+)")
UPSERT_SHARE_TARGET = 0.60
ANSWER_P99_TARGET_MS = 50.0
NEXT_P99_TARGET_MS = 80.0


# --- database and seed ---------------------------------------------------------------------

def recreate_database(db_url: str) -> None:
    """Drop and create the scratch database named in ``db_url`` (never any other)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    name = url.database
    if not name or not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to recreate database {name!r}: give a scratch database name")
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    piaa = shutil.which("piaa", path=str(Path(sys.executable).parent)) or "piaa"
    subprocess.run([piaa, "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def bench_item(code: str, level: int, sub_area: str, key: str, competency: str) -> dict:
    """One single-choice item in the bank file format; its stem names its code, which is how
    the simulated candidate looks up what it knows about it."""
    return {"id": code, "type": "single_choice", "competency": competency, "level": level,
            "sub_area": sub_area, "stem": {"en": f"Stem of item {code}: which officer signs the note?"},
            "options": [{"id": o, "text": {"en": f"Officer {o}"}} for o in OPTIONS],
            "key": key, "rationale": {"en": f"Rationale of {code}."}}


@dataclass
class Seed:
    window_id: int
    tokens: list[str]
    items: dict[str, dict]  # item code -> {"key", "a", "b"}: what the simulator knows


def seed(db_url: str, n_candidates: int, n_items: int, rng: np.random.Generator) -> Seed:
    """A calibrated bank, an adaptive assessment with an open window, and candidates."""
    from piaa import audit, create_app
    from piaa.accounts.models import ApiToken, User
    from piaa.accounts.services import TOKEN_PREFIX, _token_digest, get_or_create_organisation
    from piaa.clock import now
    from piaa.delivery import assessments as assessment_service
    from piaa.delivery.models import Enrolment
    from piaa.delivery.parameters import record_parameter_set
    from piaa.extensions import db
    from piaa.items import services as items
    from piaa.items.models import APPROVED, OPERATIONAL
    from piaa.items.services import SourcedRecord
    from sqlalchemy import text

    from delivery_bench_app import BENCH_TABLE_DDL

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        session = db.session
        session.execute(text(BENCH_TABLE_DDL))
        items.import_competencies(session, [SourcedRecord({
            "code": COMPETENCY, "name": "Noting and drafting (benchmark)", "type": "functional",
            "description": "Benchmark competency",
            "levels": [{"level": n, "label": f"Level {n}", "descriptor": f"Descriptor {n}"}
                       for n in range(1, 6)]}, 1)])
        agency = get_or_create_organisation(session, "Benchmark Agency", "agency")
        bank = items.create_bank(session, name="Benchmark bank", organisation=agency, languages=["en"])
        known: dict[str, dict] = {}
        rows = {}
        per_cell = max(1, n_items // (5 * len(SUB_AREAS)))
        n = 0
        for level in range(1, 6):
            for sub_area in SUB_AREAS:
                for _ in range(per_cell):
                    n += 1
                    code = f"BN-{n:04d}"
                    key = OPTIONS[int(rng.integers(len(OPTIONS)))]
                    item = items.create_item_from_bank_json(
                        session, bank, bench_item(code, level, sub_area, key, COMPETENCY), state=OPERATIONAL)
                    a, b = float(rng.lognormal(0.2, 0.25)), float((level - 3) * 0.8 + rng.normal(0, 0.4))
                    rows[item.id] = [a, b, 0.0, 1.0]
                    known[code] = {"key": key, "a": a, "b": b}
        for k in range(12):
            n += 1
            code = f"BN-{n:04d}"
            key = OPTIONS[int(rng.integers(len(OPTIONS)))]
            items.create_item_from_bank_json(session, bank, bench_item(code, 3, SUB_AREAS[k % 3], key, COMPETENCY),
                                             state=APPROVED)
            known[code] = {"key": key, "a": 1.0, "b": 0.0}
        competency = items.get_competency(session, COMPETENCY)
        record_parameter_set(session, competency, "2pl", rows, label="benchmark calibration")
        assessment = assessment_service.create_assessment(
            session, code="BENCH-CAT", title="Noting (adaptive benchmark)", competency=COMPETENCY,
            purpose="certification", mode="adaptive",
            blueprint={"cells": [{"level": None, "sub_area": s, "count": 5} for s in SUB_AREAS],
                       "tolerance": 1},
            time_limit_s=4 * 3600, cut_scores=[-2.0, -0.75, 0.25, 1.0, 2.0], se_target=0.35,
            min_items=8, max_items=20, pretest_count=2, bank=bank)
        cohort = assessment_service.create_cohort(session, name="Benchmark cohort", course="Noting")
        at = now()
        users = [User(email=f"cand{i:05d}@bench.example", name=f"Candidate {i}", role="candidate",
                      created_at=at) for i in range(n_candidates)]
        session.add_all(users)
        session.flush()
        tokens = []
        for user in users:
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            tokens.append(token)
            session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), prefix=token[:12],
                                 label="bench", created_at=at))
            session.add(Enrolment(cohort_id=cohort.id, user_id=user.id, time_factor=1.0, created_at=at))
        audit.record_many(session, [audit.Event("cohort.enrolled", "cohort", cohort.id, {"user": u.id})
                                    for u in users])
        window = assessment_service.create_window(
            session, assessment=assessment, cohort=cohort, opens_at=at - timedelta(hours=1),
            closes_at=at + timedelta(days=1), name="Benchmark window")
        session.commit()
        return Seed(window.id, tokens, known)


# --- the server ----------------------------------------------------------------------------

def fresh_seed(db_url: str, n_candidates: int, env: dict[str, str], seed_value: int = 20240612,
               n_items: int = 300) -> Seed:
    """A scratch database at ``db_url`` dropped, created, migrated (with ``env``, less any
    Redis) and seeded with ``seed``'s bank, assessment, window and ``n_candidates``."""
    recreate_database(db_url)
    env = {**env, "PIAA_DATABASE_URL": db_url}
    env.pop("PIAA_REDIS_URL", None)
    migrate(env)
    return seed(db_url, n_candidates, n_items, np.random.default_rng(seed_value))


async def seated_crowd(candidates: list[Candidate], window_id: int, concurrency: int) -> list[Candidate]:
    """``candidates`` each with an attempt begun (created, checked in, started, first item
    shown), ``concurrency`` at a time; those whose setup failed are left out."""
    gate = asyncio.Semaphore(concurrency)

    async def begin(candidate):
        async with gate:
            await candidate.begin("setup", window_id)

    await asyncio.gather(*(begin(c) for c in candidates), return_exceptions=True)
    return [c for c in candidates if c.current is not None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], port: int, workers: int, log: Path,
                 config: str = "python:piaa.gunicorn_config") -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    cmd = [gunicorn, "-c", config, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
           "--chdir", str(ROOT), "--pythonpath", str(BENCH_DIR), "--log-level", "warning",
           "--backlog", "2048", "delivery_bench_app:create_bench_app()"]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("gunicorn did not come up within 60 s")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes ``pids`` so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (its backends serve the workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- the client ----------------------------------------------------------------------------

@dataclass
class Stats:
    """Latencies (seconds) and failures of one kind of call in one phase."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0

    def row(self) -> dict:
        lat = np.array(self.latencies) * 1000.0
        q = np.percentile(lat, [50, 95, 99]) if len(lat) else [math.nan] * 3
        return {"n": len(lat), "rate": len(lat) / self.seconds if self.seconds else math.nan,
                "p50": q[0], "p95": q[1], "p99": q[2], "errors": sum(self.errors.values())}


class Recorder:
    def __init__(self, server_pid: int | None = None):
        self.stats: dict[tuple[str, str], Stats] = defaultdict(Stats)
        self.acknowledged: list[tuple[int, str, int, str]] = []  # attempt, ref, seq, answer
        self.lateness: dict[str, list[float]] = defaultdict(list)  # phase -> client start lag, s
        self.server_pid = server_pid
        self.cpu: dict[str, tuple[float, float, float]] = {}  # phase -> (server, database, client) s
        self.timeline: list[tuple[str, str, float, float]] = []  # phase, kind, started, latency s
        self.gc_pauses: dict[str, list[float]] = {}  # phase -> this process's collections, s

    @contextmanager
    def collections(self, phase: str):
        """Note this process's garbage collections during ``phase`` (count, longest pause):
        a pause of the load generator reads as latency of every call in flight."""
        pauses, started = [], [0.0]

        def note(stage, info):
            if stage == "start":
                started[0] = time.perf_counter()
            else:
                pauses.append(time.perf_counter() - started[0])

        gc.callbacks.append(note)
        try:
            yield
        finally:
            gc.callbacks.remove(note)
            self.gc_pauses[phase] = pauses

    def cpu_now(self) -> tuple[float, float, float]:
        server = cpu_seconds(worker_pids(self.server_pid)) if self.server_pid else 0.0
        return server, cpu_seconds(postgres_pids()), time.process_time()

    def cpu_since(self, phase: str, before: tuple[float, float, float]) -> None:
        """Add the CPU used since ``before`` to ``phase`` (a phase may run in several rounds)."""
        after = self.cpu_now()
        spent = tuple(a - b for a, b in zip(after, before))
        self.cpu[phase] = tuple(a + b for a, b in zip(self.cpu.get(phase, (0.0, 0.0, 0.0)), spent))

    def note(self, phase: str, kind: str, started: float, status: int | None, error: str | None = None):
        stats = self.stats[(phase, kind)]
        if status is not None and 200 <= status < 300:
            stats.latencies.append(time.perf_counter() - started)
            self.timeline.append((phase, kind, started, stats.latencies[-1]))
        else:
            stats.errors[error or str(status)] += 1


class ApiError(RuntimeError):
    pass


class Candidate:
    """One simulated official: knows the keys (from the seed) and answers correctly with the
    2PL probability at their own ability."""

    def __init__(self, http: LoopbackHTTP, token: str, items: dict[str, dict], rng: random.Random,
                 recorder: Recorder):
        self.http, self.items, self.rng, self.recorder = http, items, rng, recorder
        self.headers = {"Authorization": f"Bearer {token}", "X-PIAA-Client": secrets.token_hex(8),
                        "User-Agent": "PIAA-bench/1.0", "Content-Type": "application/json"}
        self.theta = rng.gauss(0.0, 1.0)
        self.attempt_id: int | None = None
        self.current: dict | None = None
        self.seq = 0
        self.done = False

    async def call(self, phase: str, kind: str, method: str, path: str, body=None) -> dict:
        started = time.perf_counter()
        try:
            status, payload = await self.http.request(method, path, self.headers,
                                                      None if body is None else json.dumps(body))
        except Exception as exc:  # connection refused, reset, timeout: an error response
            self.recorder.note(phase, kind, started, None, type(exc).__name__)
            raise ApiError(f"{method} {path}: {exc!r}") from exc
        self.recorder.note(phase, kind, started, status)
        if not 200 <= status < 300:
            raise ApiError(f"{method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload)

    async def begin(self, phase: str, window_id: int) -> None:
        attempt = await self.call(phase, "create", "POST", "/api/v1/attempts", {"window_id": window_id})
        self.attempt_id = attempt["id"]
        await self.call(phase, "check_in", "POST", f"/api/v1/attempts/{self.attempt_id}/check-in",
                        {"identity_confirmed": True, "rules_accepted": True, "system_check": {"bench": True}})
        await self.call(phase, "start", "POST", f"/api/v1/attempts/{self.attempt_id}/start")
        body = await self.call(phase, "items", "GET", f"/api/v1/attempts/{self.attempt_id}/items")
        self.current = body["items"][0] if body["items"] else None

    def choose(self) -> str:
        match = ITEM_CODE.search(self.current["content"]["stem"])
        known = self.items[match.group(1)]
        p = 1.0 / (1.0 + math.exp(-known["a"] * (self.theta - known["b"])))
        if self.rng.random() < p:
            return known["key"]
        return self.rng.choice([o for o in OPTIONS if o != known["key"]])

    async def answer(self, phase: str, choice: str | None = None) -> None:
        self.seq += 1
        choice = choice or self.choose()
        ref = self.current["ref"]
        body = await self.call(phase, "answer", "PUT", f"/api/v1/attempts/{self.attempt_id}/responses/{ref}",
                               {"answer": choice, "seq": self.seq})
        if body.get("seq") != self.seq:
            raise ApiError(f"answer acknowledged with seq {body.get('seq')}, sent {self.seq}")
        self.recorder.acknowledged.append((self.attempt_id, ref, self.seq, choice))

    async def resync(self, phase: str) -> None:
        """After a failed call the client no longer knows where the sitting is: ask."""
        body = await self.call(phase, "items", "GET", f"/api/v1/attempts/{self.attempt_id}/items")
        self.current = body["items"][0] if body["items"] else None

    async def next(self, phase: str) -> None:
        body = await self.call(phase, "next", "POST", f"/api/v1/attempts/{self.attempt_id}/next",
                               {"ref": self.current["ref"]})
        self.current = body["items"][0] if body["items"] else None

    async def answer_and_next(self, phase: str) -> None:
        """The answer and the move to the next item in one round trip (``next: true``)."""
        self.seq += 1
        choice = self.choose()
        ref = self.current["ref"]
        body = await self.call(phase, "answer+next", "PUT", f"/api/v1/attempts/{self.attempt_id}/responses/{ref}",
                               {"answer": choice, "seq": self.seq, "next": True})
        if body.get("seq") != self.seq:
            raise ApiError(f"answer acknowledged with seq {body.get('seq')}, sent {self.seq}")
        self.recorder.acknowledged.append((self.attempt_id, ref, self.seq, choice))
        self.current = body["items"][0] if body["items"] else None

    async def move_on(self, phase: str, one_trip: bool) -> None:
        """Answer the current item and move to the next: in one request, or in two."""
        if one_trip:
            await self.answer_and_next(phase)
        else:
            await self.answer(phase)
            await self.next(phase)

    async def submit(self, phase: str) -> None:
        await self.call(phase, "submit", "POST", f"/api/v1/attempts/{self.attempt_id}/submit")
        self.done = True


async def closed_loop(seconds: float, concurrency: int, step, recorder: Recorder, phase: str) -> float:
    """Run ``step(worker)`` back to back in ``concurrency`` workers for ``seconds``."""
    cpu = recorder.cpu_now()
    stop_at = time.perf_counter() + seconds

    async def worker(i):
        while time.perf_counter() < stop_at:
            try:
                await step(i)
            except ApiError:
                await asyncio.sleep(0.01)

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    recorder.cpu_since(phase, cpu)
    return time.perf_counter() - began


async def open_loop(crowd: list[Candidate], phase: str, seconds: float, think_s: float,
                    recorder: Recorder, one_trip: bool = False) -> None:
    """Every candidate of ``crowd`` answers and moves on at exponentially distributed
    intervals of mean ``think_s``, for ``seconds``, whatever the server's latency; with
    ``one_trip``, in one request (the answer carrying the move) instead of two."""
    stop_at = time.perf_counter() + seconds

    async def live(c):
        scheduled = time.perf_counter()
        while True:
            scheduled += c.rng.expovariate(1.0 / think_s)
            if scheduled >= stop_at:
                return
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            recorder.lateness[phase].append(time.perf_counter() - scheduled)
            try:
                if c.current is None:
                    if not c.done:
                        await c.submit(phase)
                    return
                await c.move_on(phase, one_trip)
            except ApiError:
                try:
                    await c.resync(phase)
                except ApiError:
                    pass

    # What this process holds by now (the crowd, every latency so far) lives to the end of the
    # run: out of the collector's way, as the server's workers do with what they load. A full
    # collection over it stalled this loop 150 ms, and every call in flight then read slow.
    gc.collect()
    gc.freeze()
    began, cpu = time.perf_counter(), recorder.cpu_now()
    with recorder.collections(phase):
        await asyncio.gather(*(live(c) for c in crowd))
    recorder.cpu_since(phase, cpu)
    for kind in ("answer", "next", "answer+next", "submit", "items"):
        recorder.stats[(phase, kind)].seconds += time.perf_counter() - began  # rounds add up


async def trip_round(crowd: list[Candidate], recorder: Recorder, args) -> dict:
    """One round of the realistic crowd answering and moving on in one request: its p99 (ms)
    and the CPU per item of gunicorn, PostgreSQL and this process (ms)."""
    stats = recorder.stats[(TRIP_PHASE, "answer+next")]
    before, cpu = len(stats.latencies), recorder.cpu.get(TRIP_PHASE, (0.0, 0.0, 0.0))
    await open_loop(crowd, TRIP_PHASE, args.realistic_s, args.think_s, recorder, one_trip=True)
    latencies = np.array(stats.latencies[before:]) * 1000.0
    spent = [1000.0 * (a - b) / max(len(latencies), 1) for a, b in zip(recorder.cpu[TRIP_PHASE], cpu)]
    return {"items": len(latencies), "p99": float(np.percentile(latencies, 99)) if len(latencies) else math.nan,
            "cpu": spent}


async def run_phases(args, base: str, seed_data: Seed, recorder: Recorder) -> dict:
    rng = random.Random(args.seed)
    tokens = list(seed_data.tokens)
    info: dict = {}
    http = LoopbackHTTP(base, timeout_s=30.0)

    def candidate(token):
        return Candidate(http, token, seed_data.items, random.Random(rng.random()), recorder)

    # Warm every worker (imports, pool build) outside the measurements.
    warm = candidate(tokens.pop())
    await warm.begin("warmup", seed_data.window_id)
    for _ in range(3):
        await warm.answer("warmup")
        await warm.next("warmup")
    for _ in range(4 * args.workers):
        await http.request("GET", "/bench/trivial")

    # 1a. references
    async def trivial(i):
        started = time.perf_counter()
        status, _ = await http.request("GET", "/bench/trivial")
        recorder.note("saturation", "trivial", started, status)

    upsert_seq = defaultdict(int)

    async def upsert(i):
        upsert_seq[i] += 1
        started = time.perf_counter()
        status, _ = await http.json("PUT", f"/bench/upsert/{i}/ref{i}", None,
                                    {"answer": "B", "seq": upsert_seq[i]})
        recorder.note("saturation", "upsert", started, status)


    # 1b. the answer call alone, on running adaptive attempts
    answering = [candidate(tokens.pop()) for _ in range(args.concurrency)]
    await asyncio.gather(*(c.begin("setup", seed_data.window_id) for c in answering))

    async def answer_again(i):
        c = answering[i]
        await c.answer("saturation", OPTIONS[c.seq % len(OPTIONS)])

    # The three take turns, ``--rounds`` times, so that a slower stretch of a shared machine
    # falls on all of them: the target is judged on the median of the rounds' ratios.
    info["rounds"] = []
    steps = {"trivial": trivial, "upsert": upsert, "answer": answer_again}
    for _ in range(args.rounds):
        rates = {}
        for kind, step in steps.items():
            before = len(recorder.stats[("saturation", kind)].latencies)
            seconds = await closed_loop(args.saturation_s / args.rounds, args.concurrency, step, recorder, kind)
            recorder.stats[("saturation", kind)].seconds += seconds
            rates[kind] = (len(recorder.stats[("saturation", kind)].latencies) - before) / seconds
        info["rounds"].append(rates)

    # 1c. whole sittings as fast as they can go: each answer and move in two requests, then
    #     (``sitting 1-trip``) in one
    reserve = args.candidates * (1 + (args.trip_rounds if args.one_trip else 0))
    sitting_pool = [tokens.pop() for _ in range(min(args.sitting_pool, len(tokens) - reserve))]
    half = len(sitting_pool) // 2 if args.one_trip else len(sitting_pool)
    for phase, one_trip, pool in (("sitting", False, sitting_pool[:half]), ("sitting 1-trip", True, sitting_pool[half:])):
        if one_trip and not args.one_trip:
            continue
        sittings = {"done": 0, "items": 0}

        async def sit(i, phase=phase, one_trip=one_trip, sittings=sittings, pool=pool):
            if not pool:
                await asyncio.sleep(0.05)
                return
            c = candidate(pool.pop())
            await c.begin(phase, seed_data.window_id)
            while c.current is not None and time.perf_counter() < sit_stop[0]:
                await c.move_on(phase, one_trip)
                sittings["items"] += 1
            if c.current is None:
                await c.submit(phase)
                sittings["done"] += 1

        sit_stop = [time.perf_counter() + args.saturation_s]
        seconds = await closed_loop(args.saturation_s, args.concurrency, sit, recorder, phase)
        for kind in ("create", "check_in", "start", "items", "answer", "next", "answer+next", "submit"):
            recorder.stats[(phase, kind)].seconds = seconds
        info.setdefault("sittings", {})[phase] = (sittings["done"], sittings["items"] / seconds)
    info["sittings_completed"] = info["sittings"]["sitting"][0]

    # 2. realistic open loop, then (with --capacity) more of them at other crowd sizes
    async def crowd_of(size: int) -> list[Candidate]:
        crowd = [candidate(tokens.pop()) for _ in range(min(size, len(tokens)))]
        return await seated_crowd(crowd, seed_data.window_id, args.concurrency)

    t0 = time.perf_counter()
    crowd = await crowd_of(args.candidates)
    info["realistic_setup_s"] = time.perf_counter() - t0
    await open_loop(crowd, "realistic", args.realistic_s, args.think_s, recorder)
    info["realistic_candidates"] = len(crowd)
    if args.one_trip:  # the same crowd size, each answer carrying the move, a fresh crowd a round
        info["trip_rounds"] = []
        for _ in range(args.trip_rounds):
            crowd = await crowd_of(args.candidates)
            info["trip_rounds"].append(await trip_round(crowd, recorder, args))
    for size in args.capacity:
        crowd = await crowd_of(size)
        await open_loop(crowd, f"capacity {len(crowd)}", args.capacity_s, args.think_s, recorder)
    return info


# --- checking and reporting ----------------------------------------------------------------

def check_acknowledged(db_url: str, acknowledged: list[tuple[int, str, int, str]]) -> tuple[int, list]:
    """Every acknowledged answer is stored: the row's seq is at least the acknowledged one,
    and the newest acknowledged answer of each item is the stored answer."""
    import psycopg
    from sqlalchemy.engine import make_url

    newest: dict[tuple[int, str], tuple[int, str]] = {}
    for attempt_id, ref, seq, answer in acknowledged:
        if (attempt_id, ref) not in newest or newest[(attempt_id, ref)][0] < seq:
            newest[(attempt_id, ref)] = (seq, answer)
    url = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    missing = []
    with psycopg.connect(url) as conn:
        stored = {}
        attempt_ids = sorted({a for a, _ in newest})
        for start in range(0, len(attempt_ids), 1000):
            chunk = attempt_ids[start:start + 1000]
            for attempt_id, ref, seq, answer in conn.execute(
                    "SELECT attempt_id, ref, seq, answer FROM attempt_item WHERE attempt_id = ANY(%s)", (chunk,)):
                stored[(attempt_id, ref)] = (seq, answer)
    for key, (seq, answer) in newest.items():
        got = stored.get(key)
        if got is None or got[0] != seq or got[1] != answer:
            missing.append((key, (seq, answer), got))
    return len(acknowledged), missing


def write_timeline(path: Path, recorder: Recorder) -> None:
    """Each acknowledged call, to see whether slow ones come together (a stall) or spread."""
    import csv

    origin = min((t[2] for t in recorder.timeline), default=0.0)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["phase", "kind", "start_s", "latency_ms"])
        for phase, kind, started, latency in recorder.timeline:
            writer.writerow([phase, kind, f"{started - origin:.4f}", f"{latency * 1000:.2f}"])


def fmt(value, digits=1):
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def print_capacity(recorder: Recorder, args) -> None:
    """One line per crowd size of ``--capacity``: what the server kept up with, and how fast."""
    print(f"\ncapacity: open loop, mean think {args.think_s} s, {args.capacity_s:.0f} s per crowd "
          f"(targets: answer p99 < {ANSWER_P99_TARGET_MS:.0f} ms, next p99 < {NEXT_P99_TARGET_MS:.0f} ms)")
    print(f"{'candidates':>10} {'offered/s':>9} {'served/s':>8} {'answer p99':>10} {'next p99':>9} "
          f"{'CPU ms per pair: gunicorn / PostgreSQL / load':>46}  result")
    for phase in (p for p in recorder.cpu if p.startswith("capacity ")):
        size = int(phase.split()[1])
        answer, nxt = recorder.stats[(phase, "answer")].row(), recorder.stats[(phase, "next")].row()
        cpu = " / ".join(f"{1000 * x / answer['n']:.1f}" for x in recorder.cpu[phase]) if answer["n"] else "-"
        ok = answer["p99"] < ANSWER_P99_TARGET_MS and nxt["p99"] < NEXT_P99_TARGET_MS and not answer["errors"]
        print(f"{size:>10} {size / args.think_s:>9.0f} {fmt(answer['rate']):>8} {fmt(answer['p99']):>10} "
              f"{fmt(nxt['p99']):>9} {cpu:>46}  {'PASS' if ok else 'MISS'}")


def print_one_trip(recorder: Recorder, info: dict, args) -> None:
    """Answer and move on in two requests (answer, then next) against one (the answer
    carrying the move): items served, latency, and CPU per item."""
    print(f"\nanswer and move on: two round trips (PUT answer, POST next) against one (PUT answer with next: true)")
    print(f"{'phase':<17} {'items/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms per item: gunicorn / PostgreSQL / load':>47} "
          f"{'load GCs / longest':>18}")
    for phase in ("sitting", "sitting 1-trip", "realistic", "realistic 1-trip"):
        if phase.endswith("1-trip"):
            rows = [recorder.stats[(phase, "answer+next")].row()]
        else:
            rows = [recorder.stats[(phase, "answer")].row(), recorder.stats[(phase, "next")].row()]
        items = rows[-1]["n"]
        if not items:
            continue
        seconds = recorder.stats[(phase, "answer+next" if phase.endswith("1-trip") else "next")].seconds
        # the latency of answering and moving on: one call, or the two one after the other
        lat = (np.array(recorder.stats[(phase, "answer+next")].latencies) if phase.endswith("1-trip") else
               np.array(recorder.stats[(phase, "answer")].latencies[:items]) +
               np.array(recorder.stats[(phase, "next")].latencies[:items])) * 1000
        cpu = " / ".join(f"{1000 * x / items:.1f}" for x in recorder.cpu.get(phase, (0, 0, 0)))
        pauses = recorder.gc_pauses.get(phase, [])
        gc_note = f"{len(pauses)} / {1000 * max(pauses, default=0):.0f} ms" if phase.startswith("realistic") else ""
        print(f"{phase:<17} {items / seconds:>8.1f} {np.percentile(lat, 50):>8.2f} {np.percentile(lat, 99):>8.2f} "
              f"{cpu:>47} {gc_note:>16}")
    rounds = info.get("trip_rounds", [])
    if rounds:
        print(f"{TRIP_PHASE} by round (a fresh crowd each): p99 "
              f"{', '.join(fmt(r['p99'], 1) for r in rounds)} ms, median {fmt(trip_p99(info), 1)} ms; "
              f"CPU ms per item, gunicorn: {', '.join(fmt(r['cpu'][0], 2) for r in rounds)}")
    done = info.get("sittings", {})
    if "sitting 1-trip" in done and done["sitting"][1]:
        print(f"saturated items per second, one trip / two: {done['sitting 1-trip'][1] / done['sitting'][1]:.2f} "
              f"({done['sitting 1-trip'][1]:.1f} / {done['sitting'][1]:.1f})")


def report(recorder: Recorder, info: dict, checked: int, missing: list, args) -> bool:
    rows = []
    order = [("saturation", "trivial"), ("saturation", "upsert"), ("saturation", "answer"),
             ("sitting", "answer"), ("sitting", "next"), ("sitting", "start"), ("sitting", "submit"),
             ("realistic", "answer"), ("realistic", "next")]
    print()
    print(f"{'phase':<11} {'call':<9} {'n':>8} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for key in order:
        r = recorder.stats[key].row()
        rows.append((key, r))
        print(f"{key[0]:<11} {key[1]:<9} {r['n']:>8} {fmt(r['rate']):>8} {fmt(r['p50'], 2):>8} "
              f"{fmt(r['p95'], 2):>8} {fmt(r['p99'], 2):>8} {r['errors']:>7}")
    print()
    print("CPU per request (ms; gunicorn workers / PostgreSQL / this load process), robust to other "
          "load on the machine:")
    for phase, (server, database, client) in recorder.cpu.items():
        n = sum(len(s.latencies) + sum(s.errors.values()) for (p, _), s in recorder.stats.items()
                if p == {"trivial": "saturation", "upsert": "saturation", "answer": "saturation"}.get(phase, phase)
                and (phase not in ("trivial", "upsert", "answer") or _ == phase))
        if n:
            print(f"  {phase:<10} {1000 * server / n:6.2f} / {1000 * database / n:5.2f} / "
                  f"{1000 * client / n:5.2f}  ({n} requests)")
    stats = {k: recorder.stats[k].row() for k in order}
    trivial, upsert, answer = stats[("saturation", "trivial")], stats[("saturation", "upsert")], stats[("saturation", "answer")]
    sit_answer = stats[("sitting", "answer")]
    rounds = [r["answer"] / r["upsert"] for r in info.get("rounds", []) if r["upsert"]]
    ratio = float(np.median(rounds)) if rounds else answer["rate"] / upsert["rate"]
    print()
    print(f"answer / upsert by round ({len(rounds)} rounds taking turns): "
          f"{', '.join(f'{r:.2f}' for r in rounds)}; median {ratio:.2f}")
    print(f"ratios of the pooled rates: answer / upsert = {answer['rate'] / upsert['rate']:.2f}; answer / trivial = {answer['rate'] / trivial['rate']:.2f}; "
          f"upsert / trivial = {upsert['rate'] / trivial['rate']:.2f}; whole sittings: answers / upsert = "
          f"{sit_answer['rate'] / upsert['rate']:.2f} ({info.get('sittings_completed', 0)} sittings completed, "
          f"each answer followed by a next-item call)")
    late = np.array(recorder.lateness["realistic"] or [0.0]) * 1000
    real_answer, real_next = stats[("realistic", "answer")], stats[("realistic", "next")]
    print(f"realistic: {info.get('realistic_candidates', 0)} candidates, mean think {args.think_s} s, "
          f"offered {info.get('realistic_candidates', 0) / args.think_s:.0f} answers/s, served "
          f"{fmt(real_answer['rate'])} answers/s; client start lag p99 {np.percentile(late, 99):.1f} ms "
          f"(setup of the attempts took {info.get('realistic_setup_s', 0):.1f} s)")
    if "realistic" in recorder.cpu and real_answer["n"]:
        server, database, client = (1000 * x / real_answer["n"] for x in recorder.cpu["realistic"])
        cores = os.cpu_count() or 1
        print(f"CPU per answer + next-item pair: gunicorn {server:.1f} ms, PostgreSQL {database:.1f} ms, "
              f"load process {client:.1f} ms; {cores} cores serve at most {1000 * cores / server:.0f} "
              f"answers/s running gunicorn alone, {1000 * cores / (server + database):.0f} with PostgreSQL "
              f"beside it, {1000 * cores / (server + database + client):.0f} with this load process too")
    if args.one_trip:
        print_one_trip(recorder, info, args)
    if args.capacity:
        print_capacity(recorder, args)
    errors = {f"{p}/{k}": dict(s.errors) for (p, k), s in recorder.stats.items() if s.errors}
    print(f"acknowledged answers checked in the database: {checked}; missing or different: {len(missing)}")
    for item in missing[:10]:
        print("  missing:", item)
    if errors:
        print("error responses:", errors)
    targets = [
        (f"saturated answers/s >= {UPSERT_SHARE_TARGET:.0%} of the bare upsert's (median)", f"{ratio:.2f}",
         ratio >= UPSERT_SHARE_TARGET),
        *realistic_targets(recorder, stats, info, args),
        ("no error responses", str(sum(sum(e.values()) for e in errors.values())), not errors),
        ("every acknowledged answer in the database", f"{checked - len(missing)}/{checked}",
         not missing and checked > 0),
    ]
    print()
    print(f"{'target':<50} {'measured':>12}  result")
    for name, measured, ok in targets:
        print(f"{name:<50} {measured:>12}  {'PASS' if ok else 'MISS'}")
    return all(ok for *_, ok in targets)


def trip_p99(info: dict) -> float:
    """The one-request p99 judged against the target: the median of the rounds' p99s, so
    that one slow stretch of a shared machine does not decide it (as with the saturation
    ratio)."""
    return float(np.median([r["p99"] for r in info["trip_rounds"]]))


def realistic_targets(recorder: Recorder, stats: dict, info: dict, args) -> list[tuple[str, str, bool]]:
    """The latency targets, judged on the path the sitting page takes: with ``--one-trip``,
    the answer carrying the move (the stricter answer target then holds for both halves); else
    the two requests. The other path's figures stay in the tables above."""
    if args.one_trip:
        p99 = trip_p99(info)
        return [(f"realistic answer + next in one request p99 < {ANSWER_P99_TARGET_MS:.0f} ms (median)",
                 fmt(p99, 1), p99 < ANSWER_P99_TARGET_MS)]
    real_answer, real_next = stats[("realistic", "answer")], stats[("realistic", "next")]
    return [(f"realistic answer p99 < {ANSWER_P99_TARGET_MS:.0f} ms", fmt(real_answer["p99"], 1),
             real_answer["p99"] < ANSWER_P99_TARGET_MS),
            (f"realistic next-item p99 < {NEXT_P99_TARGET_MS:.0f} ms", fmt(real_next["p99"], 1),
             real_next["p99"] < NEXT_P99_TARGET_MS)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases and 400 candidates")
    parser.add_argument("--db-url", default=os.environ.get("PIAA_BENCH_DATABASE_URL", DEFAULT_DB_URL),
                        help="scratch PostgreSQL database: dropped and created afresh")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--candidates", type=int, default=None, help="realistic run (default 2000; --quick 400)")
    parser.add_argument("--think-s", type=float, default=8.0)
    parser.add_argument("--realistic-s", type=float, default=60.0)
    parser.add_argument("--capacity", type=lambda v: [int(x) for x in v.split(",") if x], default=[],
                        help="after the realistic run, open loops of these crowd sizes (e.g. 400,800,1200)")
    parser.add_argument("--capacity-s", type=float, default=30.0)
    parser.add_argument("--saturation-s", type=float, default=15.0,
                        help="seconds of each reference and of the answer call, in all rounds together")
    parser.add_argument("--rounds", type=int, default=5, help="turns the saturation references take")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sitting-pool", type=int, default=800)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20240612)
    parser.add_argument("--one-trip", action="store_true",
                        help="also run the whole sittings and the realistic crowd answering and moving on in "
                             "one request (the answer carrying the move), and compare")
    parser.add_argument("--trip-rounds", type=int, default=None,
                        help="with --one-trip (default 3; --quick 1): rounds of the realistic crowd in one request, each with a fresh "
                             "crowd; the p99 target is judged on the median of the rounds")
    parser.add_argument("--timeline", type=Path, default=None,
                        help="write every acknowledged call (phase, kind, start s, latency ms) to this CSV")
    args = parser.parse_args()
    if args.quick:
        args.realistic_s, args.saturation_s, args.sitting_pool = 15.0, 5.0, 300
    if args.trip_rounds is None:
        args.trip_rounds = 1 if args.quick else 3
    if args.candidates is None:
        args.candidates = 400 if args.quick else 2000

    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; gunicorn {args.workers} sync workers")
    t0 = time.perf_counter()
    env = {**os.environ, "PIAA_DATABASE_URL": args.db_url, "PIAA_SECRET_KEY": secrets.token_hex(16),
           "PIAA_BENCHMARK_ENDPOINTS": "1"}
    env.pop("PIAA_REDIS_URL", None)
    n_users = args.candidates * (1 + (args.trip_rounds if args.one_trip else 0)) + sum(args.capacity) + args.sitting_pool + args.concurrency + 1
    seed_data = fresh_seed(args.db_url, n_users, env, args.seed, args.items)
    print(f"seeded {len(seed_data.items)} items and {n_users} candidates in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "gunicorn.log"
        server = start_server(env, port, args.workers, log)
        recorder = Recorder(server.pid)
        try:
            info = asyncio.run(run_phases(args, f"http://127.0.0.1:{port}", seed_data, recorder))
        finally:
            stop_server(server)
            tail = log.read_text(errors="replace").strip().splitlines()[-20:]
            if any("Traceback" in line or "ERROR" in line for line in tail):
                print("server log (last lines):\n  " + "\n  ".join(tail))
    if args.timeline:
        write_timeline(args.timeline, recorder)
    checked, missing = check_acknowledged(args.db_url, recorder.acknowledged)
    ok = report(recorder, info, checked, missing, args)
    print(f"\nload average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
