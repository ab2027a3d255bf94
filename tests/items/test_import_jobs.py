"""A large bank import as a background job on both backends (in-process thread, RQ on
Redis), and the web upload that goes through it: upload page, status page, API."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchmarks.bank_import import generated_csv
from piaa import jobs
from piaa.items.models import Item
from piaa.items.services import find_bank
from piaa.items.services.loading import BATCH_SIZE

# Large enough to need a job and to report progress after many batches, small enough for
# about 5 s per backend: checking the rows against the bank format takes most of the time.
# The 20,000-row case is timed by benchmarks/bank_import.py.
LARGE_ROWS = 8000
JOB = "piaa.items.import_service.import_job"


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "PIAA_UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def progress_seen(monkeypatch) -> list[tuple[int, int | None]]:
    """Every ``report_progress`` call of the job, which still records it as usual."""
    seen: list[tuple[int, int | None]] = []
    record = jobs.report_progress

    def spy(done: int, total: int | None = None) -> None:
        seen.append((done, total))
        record(done, total)

    monkeypatch.setattr(jobs, "report_progress", spy)
    return seen


@pytest.fixture
def large_csv(tmp_path) -> Path:
    path = tmp_path / "large.csv"
    path.write_text(generated_csv(LARGE_ROWS), encoding="utf-8")
    return path


def count_items(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Item.id)))


def assert_large_import_finished(session, job, progress_seen):
    assert job.state == "finished", job.error
    assert job.result["ok"] and len(job.result["imported"]) == LARGE_ROWS
    assert (job.done, job.total) == (LARGE_ROWS, LARGE_ROWS)
    batches = list(range(0, LARGE_ROWS, BATCH_SIZE))[1:] + [LARGE_ROWS]
    assert progress_seen == [(done, LARGE_ROWS) for done in [0, *batches, LARGE_ROWS]]
    assert count_items(session) == LARGE_ROWS
    assert find_bank(session, "Generated").organisation.name == "Generated Agency"


def test_large_csv_import_runs_as_a_thread_job(session, dictionary, large_csv, progress_seen):
    job_id = jobs.enqueue(JOB, path=str(large_csv), display="large.csv",
                          options={"bank": "Generated", "agency": "Generated Agency"})
    job = jobs.wait(job_id, timeout=600)
    assert job.backend == "thread"
    assert_large_import_finished(session, job, progress_seen)


@pytest.fixture
def redis_app(app):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    redis.Redis.from_url(url).flushdb()
    app.config["PIAA_REDIS_URL"] = url
    yield app
    app.config["PIAA_REDIS_URL"] = None


def test_large_csv_import_runs_in_an_rq_worker(redis_app, session, dictionary, large_csv,
                                               progress_seen):
    job_id = jobs.enqueue(JOB, path=str(large_csv), display="large.csv",
                          options={"bank": "Generated", "agency": "Generated Agency"})
    assert jobs.job_status(job_id).state == "queued"
    jobs.run_worker(redis_app, burst=True)
    job = jobs.job_status(job_id)
    assert job.backend == "rq"
    assert_large_import_finished(session, job, progress_seen)


def test_refused_job_reports_every_problem_and_stores_nothing(session, dictionary, tmp_path):
    path = tmp_path / "bad.csv"
    text = generated_csv(50).replace("GEN-000007,single_choice,FN-NOTING", "GEN-000007,single_choice,NOPE")
    path.write_text(text.replace(",B,Option B", ",Z,Option B", 1), encoding="utf-8")
    job = jobs.wait(jobs.enqueue(JOB, path=str(path), display="bad.csv",
                                 options={"bank": "Bad", "agency": "A"}), timeout=120)
    assert job.state == "finished" and job.result["ok"] is False
    where = {(p["row"], p["field"]) for p in job.result["problems"]}
    assert where == {(3, "key"), (9, "competency")}
    assert count_items(session) == 0 and find_bank(session, "Bad") is None


# --- web upload ------------------------------------------------------------------------------

def upload(client, data: bytes, name: str, **fields):
    return client.post("/items/import/", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def test_author_uploads_a_sheet_and_sees_the_report(client, login_as, session, bank, author, app):
    login_as(author)
    page = client.get("/items/import/")
    assert page.status_code == 200 and b'type="file"' in page.data and b"template.xlsx" in page.data
    response = upload(client, generated_csv(30).encode(), "sheet.csv", bank=bank.name)
    assert response.status_code == 302
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    job = jobs.wait(job_id, timeout=120)
    assert job.result["ok"] and job.result["state"] == "draft" and job.created_by_id == author.id
    status = client.get(f"/items/import/jobs/{job_id}")
    assert status.status_code == 200 and "Imported: 30 (draft)" in status.get_data(as_text=True)
    assert not list(Path(app.config["PIAA_UPLOAD_DIR"]).iterdir()), "the upload was not removed"


def test_status_page_lists_problems(client, login_as, bank, author):
    login_as(author)
    bad = b"id,type,stem_en,answer\nX,true_false,Q,true\n"
    job_id = upload(client, bad, "bad.csv", bank=bank.name).headers["Location"].rsplit("/", 1)[-1]
    jobs.wait(job_id, timeout=60)
    page = client.get(f"/items/import/jobs/{job_id}").get_data(as_text=True)
    assert "Nothing was imported" in page and "unknown column &#39;answer&#39;" in page


def test_authors_may_not_load_approved_items(client, login_as, bank, author):
    login_as(author)
    response = upload(client, generated_csv(2).encode(), "sheet.csv", bank=bank.name, state="operational")
    assert response.status_code == 403


def test_others_cannot_see_an_import_or_upload(client, login_as, bank, author, make_user):
    login_as(author)
    job_id = upload(client, generated_csv(2).encode(), "s.csv", bank=bank.name).headers["Location"].rsplit("/", 1)[-1]
    jobs.wait(job_id, timeout=60)
    client.post("/logout")
    login_as(make_user(role="author"))
    assert client.get(f"/items/import/jobs/{job_id}").status_code == 404
    client.post("/logout")
    login_as(make_user(role="candidate"))
    assert client.get("/items/import/").status_code == 403
    assert client.get("/items/import/template.csv").status_code == 403


def test_template_downloads(client, login_as, author):
    login_as(author)
    xlsx = client.get("/items/import/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    csv = client.get("/items/import/template.csv")
    assert csv.data.decode("utf-8-sig").startswith("id,type,competency,level,sub_area,stem_en,stem_hi")


def test_api_upload_and_status(client, session, dictionary, make_user):
    from piaa.accounts.services import issue_token

    token = issue_token(session, make_user(role="admin"), "import script")
    session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/imports", headers=bearer, data={
        "file": (io.BytesIO(generated_csv(5).encode()), "api.csv"), "bank": "Api Bank",
        "agency": "Api Agency", "state": "operational"}, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_data(as_text=True)
    jobs.wait(response.json["job"], timeout=60)
    status = client.get(response.json["status_url"], headers=bearer).json
    assert status["state"] == "finished" and status["result"]["state"] == "operational"
    assert len(status["result"]["imported"]) == 5 and status["file"] == "api.csv"
    missing = client.post("/api/v1/imports", headers=bearer, data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json["error"]["field"] == "file"
    assert client.get("/api/v1/imports/no-such-job", headers=bearer).status_code == 404


def test_api_operations_are_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/imports"] and "get" in paths["/imports/{job_id}"]


def test_bank_export_downloads(client, login_as, session, bank, author, make_user, tmp_path):
    from piaa.items.import_service import ImportOptions, import_path

    sheet = tmp_path / "few.csv"
    sheet.write_text(generated_csv(3), encoding="utf-8")
    import_path(session, sheet, options=ImportOptions(bank=bank.name))
    session.commit()
    login_as(author)
    package = client.get(f"/items/import/export/{bank.id}/qti3")
    assert package.status_code == 200 and package.data[:2] == b"PK"
    assert package.headers["Content-Disposition"].endswith("office-procedure.qti3.zip")
    rows = client.get(f"/items/import/export/{bank.id}/csv").data.decode("utf-8-sig").splitlines()
    assert len(rows) == 4 and rows[1].startswith("GEN-000000,single_choice")
    assert client.get(f"/items/import/export/{bank.id}/pdf").status_code == 404
    client.post("/logout")
    login_as(make_user(role="author", organisation="Other Agency"))
    assert client.get(f"/items/import/export/{bank.id}/qti3").status_code == 404


def test_a_refused_job_stores_the_first_thousand_problems_and_their_count(session, dictionary, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,type,competency,level,stem_en\n"
                    + "".join(f"B{n},true_false,NOPE,9,Q\n" for n in range(1500)), encoding="utf-8")
    job = jobs.wait(jobs.enqueue(JOB, path=str(path), display="bad.csv",
                                 options={"bank": "Bad", "agency": "A"}), timeout=120)
    assert job.result["ok"] is False and len(job.result["problems"]) == 1000
    assert job.result["problem_count"] > 1500 and "the first 1,000 are listed" in job.result["message"]


def test_an_items_problem_is_listed_in_hindi_and_sent_by_the_api_in_english(client, login_as, session, bank,
                                                                            author):
    login_as(author)
    bad = generated_csv(2).replace("C-1,सी-1,B,", "C-1,सी-1,Z,").encode()
    job_id = upload(client, bad, "bad.csv", bank=bank.name).headers["Location"].rsplit("/", 1)[-1]
    jobs.wait(job_id, timeout=60)
    page = client.get(f"/items/import/jobs/{job_id}?lang=hi").get_data(as_text=True)
    assert "विकल्प आईडी में से एक होना चाहिए, मिला &#39;Z&#39;" in page
    assert "must be one of the option ids" not in page
    from piaa.accounts.services import issue_token

    token = issue_token(session, author, "import script")
    session.commit()
    status = client.get(f"/api/v1/imports/{job_id}", headers={"Authorization": f"Bearer {token}"}).json
    problem = next(p for p in status["result"]["problems"] if p.get("field") == "key")
    assert problem["message"] == "must be one of the option ids, got 'Z'"
    assert "template" not in problem and "values" not in problem


def test_the_imports_own_problems_are_listed_in_hindi_too(client, login_as, bank, author):
    # a repeated column is the import's own check, not an item type's
    login_as(author)
    bad = b"id,type,competency,level,stem_en,stem_en\nB1,true_false,NOPE,2,Q,Q\n"
    job_id = upload(client, bad, "bad.csv", bank=bank.name).headers["Location"].rsplit("/", 1)[-1]
    jobs.wait(job_id, timeout=60)
    page = " ".join(client.get(f"/items/import/jobs/{job_id}?lang=hi").get_data(as_text=True).split())
    assert "स्तंभ &#39;stem_en&#39; दो बार आया है" in page
    assert "column &#39;stem_en&#39; appears twice" not in page
