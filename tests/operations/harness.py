"""The production shape in miniature, for fault and restart tests: a private PostgreSQL and a
private Redis (each on a port of its own, in a temporary folder, so stopping them disturbs
nobody else on the machine), gunicorn serving ``piaa:create_app()`` with the service's own
settings, seeded sittings, and scripted candidates who answer back to back and resend an
unacknowledged answer unchanged until it is acknowledged, as the browser's offline queue does.

``benchmarks/restart_to_answer.py`` uses the same pieces to time a restart.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = ("A", "B", "C")
CLIENT_HEADERS = {"X-PIAA-Client": "tab-1", "User-Agent": "FaultTest/1.0"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def private_services_available() -> str | None:
    """Why the private PostgreSQL and Redis cannot run here, or None if they can."""
    if _postgres_bin() is None:
        return "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    return None


class PrivatePostgres:
    """A PostgreSQL cluster of our own in a temporary folder, on a port of its own. PostgreSQL
    refuses to run as root, so when we are root the cluster belongs to the ``postgres`` user
    (and lives in a folder that user can reach, not in the caller's private one)."""

    def __init__(self, port: int | None = None):
        self.bin = _postgres_bin()
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="piaa-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "pgdata"
        self.log = self.root / "postgres.log"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60, text=True)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")

    def start(self) -> None:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=60")

    def stop(self) -> None:
        """A fast shutdown: open transactions are rolled back, committed ones are kept."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def remove(self) -> None:
        """Stop the cluster if it runs, and delete it."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class PrivateRedis:
    """redis-server on a port of its own, nothing persisted."""

    def __init__(self, root: Path, port: int | None = None):
        self.root, self.port = root, port or free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdout=(self.root / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Gunicorn:
    """gunicorn serving ``piaa:create_app()`` with ``piaa.gunicorn_config``, in a process group
    of its own so that a crash takes the master and its workers down at once."""

    def __init__(self, workdir: Path, env: dict[str, str], workers: int = 2, extra_args: tuple = ()):
        self.workdir, self.workers, self.extra_args = workdir, workers, tuple(extra_args)
        self.port = free_port()
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "PIAA_SECRET_KEY": "operations-test",
                    "PIAA_BASE_URL": f"http://127.0.0.1:{self.port}", **env}
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "gunicorn.log"
        self.started_at = 0.0

    def start(self, wait: bool = True) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [str(gunicorn), "-c", "python:piaa.gunicorn_config", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", *self.extra_args,
             "piaa:create_app()"],
            cwd=self.workdir, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        if wait:
            self.wait_until_live()

    def wait_until_live(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited: {self.log.read_text()[-3000:]}"
            try:
                requests.get(f"{self.url}/healthz", timeout=2)  # any answer: it is serving
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError(f"gunicorn did not answer within {timeout} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the master and every worker: no shutdown code runs."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the master and its live workers have used (Linux /proc):
        unlike wall time, it does not depend on what else the machine is doing."""
        def of(pid: int) -> float:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        workers = children.read_text().split() if children.exists() else []
        return of(self.proc.pid) + sum(of(int(pid)) for pid in workers)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --- seed ------------------------------------------------------------------------------------

COMPETENCY = {"code": "OPS-NOTING", "name": "Noting and drafting (operations)", "type": "functional",
              "description": "Competency of the operations tests",
              "levels": [{"level": n, "label": f"Level {n}", "descriptor": f"Noting at level {n}"}
                         for n in range(1, 6)]}
SUB_AREAS = ("noting", "drafting")


def _item(code: str, level: int, sub_area: str) -> dict:
    return {"id": code, "type": "single_choice", "competency": COMPETENCY["code"], "level": level,
            "sub_area": sub_area, "stem": {"en": f"Stem of item {code}: which officer signs the note?"},
            "options": [{"id": o, "text": {"en": f"Officer {o}"}} for o in OPTIONS],
            "key": "B", "rationale": {"en": f"Rationale of {code}."}}


@dataclass
class Sitting:
    attempt_id: int
    token: str
    refs: list[str]


def seed_sittings(database_url: str, n_candidates: int, instance: Path) -> list[Sitting]:
    """Schema, a bank of 40 operational items, a LOFT assessment of 10 with an open window,
    and ``n_candidates`` candidates each in a started sitting with an API token."""
    from piaa import create_app
    from piaa.accounts import services as accounts
    from piaa.clock import now
    from piaa.delivery import assessments, attempts
    from piaa.extensions import db
    from piaa.items import services as items
    from piaa.items.models import OPERATIONAL
    from piaa.items.services import SourcedRecord

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "seed", "PIAA_REDIS_URL": None,
                      "PIAA_TEST_INSTANCE": str(instance)})
    with app.app_context():
        session = db.session
        db.create_all()
        items.import_competencies(session, [SourcedRecord(COMPETENCY, 1)])
        agency = accounts.get_or_create_organisation(session, "Operations Agency", "agency")
        bank = items.create_bank(session, name="Operations bank", organisation=agency, languages=["en"])
        n = 0
        for level in range(1, 6):
            for sub_area in SUB_AREAS:
                for _ in range(4):
                    n += 1
                    items.create_item_from_bank_json(session, bank, _item(f"OPS-{n:03d}", level, sub_area),
                                                     state=OPERATIONAL)
        assessment = assessments.create_assessment(
            session, code="OPS-LOFT", title="Noting (operations)", competency=COMPETENCY["code"],
            purpose="certification", mode="loft",
            blueprint={"cells": [{"level": level, "sub_area": s, "count": 1}
                                 for level in range(1, 6) for s in SUB_AREAS], "tolerance": 0},
            time_limit_s=3600, cut_scores=[-2.0, -0.75, 0.25, 1.0, 2.0],
            percent_cut_scores=[20, 40, 60, 75, 90], languages=["en"])
        cohort = assessments.create_cohort(session, name="Operations cohort", course="Noting")
        users = []
        for i in range(n_candidates):
            user = accounts.create_user(session, email=f"ops{i:03d}@example.gov.in", name=f"Candidate {i}",
                                        role="candidate")
            assessments.enrol(session, cohort, user)
            users.append(user)
        at = now()
        window = assessments.create_window(session, assessment=assessment, cohort=cohort,
                                           opens_at=at - timedelta(hours=1), closes_at=at + timedelta(days=1))
        session.commit()
        sittings = []
        for user in users:
            token = accounts.issue_token(session, user, "operations")
            attempt = attempts.create_attempt(session, user, window.id)
            attempts.check_in(session, attempt, user, identity_confirmed=True, rules_accepted=True)
            attempts.start(session, attempt, user)
            session.commit()
            refs = [row.ref for row in attempts.visible_items(session, attempt)]
            sittings.append(Sitting(attempt.id, token, refs))
        db.engine.dispose()
    return sittings


def stored_answers(database_url: str, attempt_ids: list[int]) -> dict[tuple[int, str], tuple[int, object]]:
    """(attempt id, ref) -> (seq, answer) as the database holds them."""
    from sqlalchemy import create_engine, select

    from piaa.delivery.models import AttemptItem

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(AttemptItem.attempt_id, AttemptItem.ref, AttemptItem.seq,
                                       AttemptItem.answer).where(AttemptItem.attempt_id.in_(attempt_ids)))
            return {(r.attempt_id, r.ref): (r.seq, r.answer) for r in rows}
    finally:
        engine.dispose()


# --- scripted candidates ---------------------------------------------------------------------

@dataclass
class Refusal:
    at: float
    status: int
    body: str
    content_type: str


@dataclass
class ScriptedCandidate(threading.Thread):
    """Answers its items in turn, each answer with the next ``seq``. An answer that gets no
    response or a 503 is sent again, unchanged, after ``retry_s``, until it is acknowledged."""

    base: str
    sitting: Sitting
    retry_s: float = 0.1
    acknowledged: list[tuple[float, str, int, str]] = field(default_factory=list)
    unavailable: list[Refusal] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    unanswered_sends: int = 0

    def __post_init__(self):
        threading.Thread.__init__(self, daemon=True)
        self.halt = threading.Event()

    def __hash__(self):
        return id(self)

    def run(self) -> None:
        http = requests.Session()
        headers = {**CLIENT_HEADERS, "Authorization": f"Bearer {self.sitting.token}"}
        refs, seq = self.sitting.refs, 0
        url = f"{self.base}/api/v1/attempts/{self.sitting.attempt_id}/responses/"
        while not self.halt.is_set():
            seq += 1
            ref, answer = refs[seq % len(refs)], OPTIONS[(seq // len(refs)) % len(OPTIONS)]
            while not self.halt.is_set():
                try:
                    response = http.put(url + ref, json={"answer": answer, "seq": seq}, headers=headers,
                                        timeout=10)
                except requests.RequestException:
                    self.unanswered_sends += 1
                    http = requests.Session()
                    time.sleep(self.retry_s)
                    continue
                at = time.monotonic()
                if 200 <= response.status_code < 300:
                    self.acknowledged.append((at, ref, seq, answer))
                    break
                refusal = Refusal(at, response.status_code, response.text[:500],
                                  response.headers.get("Content-Type", ""))
                if response.status_code == 503:
                    self.unavailable.append(refusal)
                    time.sleep(self.retry_s)
                    continue
                self.refusals.append(refusal)
                break

    def acknowledged_after(self, moment: float) -> int:
        return sum(1 for at, *_ in self.acknowledged if at > moment)


def wait_until(predicate, timeout: float, step: float = 0.02) -> float | None:
    """Seconds until ``predicate()`` held, or None if it did not within ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return None


def lost_answers(candidates: list[ScriptedCandidate], stored: dict) -> list[str]:
    """Every acknowledged answer must be in the database: the last acknowledged answer of each
    item with its seq, or a later seq (an answer committed whose reply was lost)."""
    problems = []
    for candidate in candidates:
        last: dict[str, tuple[int, str]] = {}
        for _, ref, seq, answer in candidate.acknowledged:
            last[ref] = (seq, answer)
        for ref, (seq, answer) in last.items():
            held = stored.get((candidate.sitting.attempt_id, ref))
            if held is None or held[0] < seq or (held[0] == seq and held[1] != answer):
                problems.append(f"attempt {candidate.sitting.attempt_id} item {ref}: acknowledged "
                                f"seq {seq} answer {answer!r}, stored {held}")
    return problems
