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
