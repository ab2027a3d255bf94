"""The job runner on both backends: an in-process thread, and RQ on Redis."""
import pytest

from piaa import jobs


def add_up(numbers: list[int]) -> int:
    for done in range(1, len(numbers) + 1):
        jobs.report_progress(done, len(numbers))
    return sum(numbers)


def fail_loudly() -> None:
    raise ValueError("row 7, field key: names no option")


def test_thread_backend_runs_job_and_keeps_result(app):
    job_id = jobs.enqueue("tests.test_jobs.add_up", numbers=[1, 2, 3])
    job = jobs.wait(job_id, timeout=20)
    assert (job.state, job.result, job.done, job.total, job.backend) == ("finished", 6, 3, 3, "thread")


def test_failed_job_keeps_its_error(app):
    job = jobs.wait(jobs.enqueue("tests.test_jobs.fail_loudly"), timeout=20)
    assert job.state == "failed" and "row 7, field key" in job.error


def test_unknown_function_is_refused_at_enqueue(app):
    with pytest.raises(AttributeError):
        jobs.enqueue("tests.test_jobs.no_such_function")


@pytest.fixture
def redis_app(app):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    redis.Redis.from_url(url).flushdb()
    app.config["PIAA_REDIS_URL"] = url
    yield app
    app.config["PIAA_REDIS_URL"] = None


def test_rq_backend_runs_job_in_a_worker(redis_app):
    job_id = jobs.enqueue("tests.test_jobs.add_up", numbers=[4, 5])
    assert jobs.job_status(job_id).state == "queued"
    jobs.run_worker(redis_app, burst=True)
    job = jobs.job_status(job_id)
    assert (job.state, job.result, job.backend) == ("finished", 9, "rq")


def _jobs_of(session, func_path: str) -> list[jobs.Job]:
    from sqlalchemy import select

    session.expire_all()
    return list(session.scalars(select(jobs.Job).where(jobs.Job.func == func_path)))


def test_a_job_queued_for_the_commit_starts_only_when_the_outer_transaction_commits(app):
    from piaa.extensions import db

    session = db.session
    with session.begin_nested():
        jobs.enqueue_after_commit(session, "tests.test_jobs.add_up", numbers=[1, 2])
    # The savepoint is released, the transaction still open: nothing may run yet.
    assert _jobs_of(session, "tests.test_jobs.add_up") == []
    jobs.enqueue_after_commit(session, "tests.test_jobs.add_up", numbers=[3])
    jobs.enqueue_after_commit(session, "tests.test_jobs.add_up", numbers=[4])
    session.commit()
    [job] = _jobs_of(session, "tests.test_jobs.add_up")  # list arguments joined into one job
    assert jobs.wait(job.id, timeout=20).result == 10


def test_a_job_queued_for_the_commit_is_dropped_on_rollback(app):
    from piaa.extensions import db

    session = db.session
    jobs.enqueue_after_commit(session, "tests.test_jobs.add_up", numbers=[1])
    session.rollback()
    session.commit()  # a later commit of the same session does not revive it
    assert _jobs_of(session, "tests.test_jobs.add_up") == []
    with pytest.raises(AttributeError):
        jobs.enqueue_after_commit(session, "tests.test_jobs.no_such_function")


def test_a_job_queued_for_the_commit_goes_to_rq_when_redis_is_configured(redis_app):
    from piaa.extensions import db

    jobs.enqueue_after_commit(db.session, "tests.test_jobs.add_up", numbers=[2, 3])
    db.session.commit()
    [job] = _jobs_of(db.session, "tests.test_jobs.add_up")
    assert (job.state, job.backend) == ("queued", "rq")
    jobs.run_worker(redis_app, burst=True)
    assert jobs.job_status(job.id).result == 5


# --- jobs whose hand-over failed --------------------------------------------------------------

RUNS: list[int] = []


def count_run(n: int) -> int:
    RUNS.append(n)
    return n


@pytest.fixture
def rq_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/11"  # not the db of the tests above: each flushes its own
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def redis_away(app):
    from tests.conftest import _free_port

    app.config["PIAA_REDIS_URL"] = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    yield app
    app.config["PIAA_REDIS_URL"] = None


def test_a_job_queued_while_redis_is_away_is_kept_and_requeued_once_it_is_back(redis_away, rq_url, clock):
    RUNS.clear()
    job_id = jobs.enqueue("tests.test_jobs.count_run", n=7)  # no exception: the row waits
    assert (jobs.job_status(job_id).state, jobs.job_status(job_id).backend) == ("queued", "rq")
    assert jobs.requeue_stalled(redis_away) == []  # not stalled yet
    clock.advance(seconds=61)
    assert jobs.requeue_stalled(redis_away) == []  # stalled, but the queue is still away: wait
    redis_away.config["PIAA_REDIS_URL"] = rq_url
    assert jobs.requeue_stalled(redis_away) == [job_id]
    assert jobs.requeue_stalled(redis_away) == []  # the queue holds it now: not handed over twice
    jobs.run_worker(redis_away, burst=True)
    assert (jobs.job_status(job_id).state, RUNS) == ("finished", [7])
    assert jobs.requeue_stalled(redis_away) == []


def test_a_job_queued_for_the_commit_while_redis_is_away_is_requeued(redis_away, rq_url, clock):
    from piaa.extensions import db

    RUNS.clear()
    jobs.enqueue_after_commit(db.session, "tests.test_jobs.count_run", n=3)
    db.session.commit()  # the commit stands although the hand-over failed
    [job] = _jobs_of(db.session, "tests.test_jobs.count_run")
    clock.advance(seconds=61)
    redis_away.config["PIAA_REDIS_URL"] = rq_url
    assert jobs.requeue_stalled(redis_away) == [job.id]
    jobs.run_worker(redis_away, burst=True)
    assert (jobs.job_status(job.id).state, RUNS) == ("finished", [3])


def test_a_job_handed_over_twice_runs_once(redis_app):
    from rq import Queue

    RUNS.clear()
    job_id = jobs.enqueue("tests.test_jobs.count_run", n=5)
    Queue(jobs.QUEUE_NAME, connection=jobs._redis(redis_app)).enqueue(
        "piaa.jobs.run_in_worker", job_id)  # a second entry for the same job
    jobs.run_worker(redis_app, burst=True)
    assert (jobs.job_status(job_id).state, RUNS) == ("finished", [5])


def _orphaned_thread_job(session, n: int) -> jobs.Job:
    """A thread job written by a process that died before it started the thread."""
    import uuid

    from piaa.clock import now

    RUNS.clear()
    job = jobs.Job(id=str(uuid.uuid4()), func="tests.test_jobs.count_run", kwargs={"n": n},
                   state=jobs.QUEUED, backend="thread", created_at=now())
    session.add(job)
    session.commit()
    return job


def sweep_once(app):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from piaa.cli import main

    return CliRunner().invoke(main, ["delivery", "sweep"], obj=ScriptInfo(create_app=lambda: app))


def test_a_thread_job_whose_process_died_before_starting_it_is_requeued(app, session, clock):
    job = _orphaned_thread_job(session, 2)
    assert jobs.requeue_stalled(app) == []
    clock.advance(seconds=61)
    assert jobs.requeue_stalled(app) == [job.id]
    assert (jobs.wait(job.id, timeout=20).state, RUNS) == ("finished", [2])


def test_the_sweeper_requeues_stalled_jobs(redis_away, rq_url, clock):
    job_id = jobs.enqueue("tests.test_jobs.count_run", n=1)
    clock.advance(seconds=61)
    redis_away.config["PIAA_REDIS_URL"] = rq_url
    result = sweep_once(redis_away)
    assert result.exit_code == 0, result.output
    assert "jobs re-queued 1" in result.output
    assert jobs.requeue_stalled(redis_away) == [] and jobs.job_status(job_id).state == "queued"


def test_one_sweep_runs_a_requeued_thread_job_to_its_end_before_exiting(app, session, clock):
    job = _orphaned_thread_job(session, 4)
    clock.advance(seconds=61)
    result = sweep_once(app)
    assert result.exit_code == 0 and "jobs re-queued 1" in result.output, result.output
    state = jobs.job_status(job.id)
    assert (state.state, state.error, RUNS) == ("finished", None, [4])
