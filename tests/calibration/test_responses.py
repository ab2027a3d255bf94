"""Scored responses in long form (service, page, CLI) and candidates' optional attributes."""
from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from piaa.calibration import responses
from piaa.calibration.models import CandidateAttributes
from piaa.delivery.models import AttemptItem
from piaa.errors import Invalid, NotFound
from tests.calibration.conftest import true_params_for
from tests.conftest import login
from tests.delivery.conftest import sit


@pytest.fixture
def history(session, competency, full_form_window, make_history):
    truth = true_params_for(session, competency)
    return make_history(full_form_window, 60, truth, omit_rate=0.05)


def test_long_form_has_a_row_per_administered_item_with_group_columns(session, history, full_form_window):
    frame = responses.scored_responses(session, responses.selection_for(session, "FN-NOTING"))
    assert list(frame.columns) == list(responses.COLUMNS)
    assert len(frame) == 60 * 42 and frame["attempt"].nunique() == 60
    assert set(frame["window"]) == {full_form_window.id} and set(frame["purpose"]) == {"certification"}
    assert frame.groupby("attempt")["operational"].sum().eq(40).all()  # 2 pretest rows each
    # Pretest rows are scored here from their answers, by the item's type.
    pretest = frame[~frame["operational"]]
    assert pretest["score"].isin([0, 1]).all() and 0 < pretest["score"].mean() < 1
    # Omitted answers score 0; operational rows agree with what scoring stored.
    assert (frame.loc[frame["omitted"], "score"] == 0).all() and frame["omitted"].mean() == pytest.approx(0.05, abs=0.02)
    stored = dict(session.execute(select(AttemptItem.id, AttemptItem.category)
                                  .where(AttemptItem.scored.is_(True))).all())
    assert sum(frame.loc[frame["operational"], "score"]) == sum(stored.values())
    assert frame["gender"].notna().mean() > 0.8 and frame["language"].isin(["en", "hi"]).all()


def test_the_selection_filters_by_window_purpose_and_period(session, history, full_form_window, clock):
    def rows(**options):
        return len(responses.scored_responses(session, responses.selection_for(session, "FN-NOTING", **options)))

    assert rows(windows=[full_form_window.id]) == 60 * 42
    assert rows(purposes=["pre_course"]) == 0
    ended = full_form_window.closes_at
    assert rows(period_from=(ended - timedelta(days=1)).date().isoformat()) == 60 * 42
    assert rows(period_to=(ended - timedelta(days=2)).date().isoformat()) == 0
    with pytest.raises(Invalid, match="purpose"):
        rows(purposes=["lunch"])
    with pytest.raises(Invalid, match="not a date"):
        rows(period_from="yesterday")
    with pytest.raises(NotFound, match="no window 999"):
        rows(windows=[999])


def test_csv_and_parquet_carry_the_same_table(session, history):
    frame = responses.scored_responses(session, responses.selection_for(session, "FN-NOTING"))
    from_csv = pd.read_csv(io.BytesIO(responses.export_bytes(frame, "csv")))
    from_parquet = pd.read_parquet(io.BytesIO(responses.export_bytes(frame, "parquet")))
    assert len(from_csv) == len(from_parquet) == len(frame)
    assert (from_parquet["score"].to_numpy() == frame["score"].to_numpy()).all()
    assert (from_csv["item"] == frame["item"]).all()


def test_the_export_page_downloads_for_psychometricians_only(client, session, history, make_user):
    psychometrician, candidate = make_user(role="psychometrician"), make_user(role="candidate")
    login(client, candidate)
    assert client.get("/calibration/competencies/FN-NOTING/responses").status_code == 403
    client.post("/logout")
    login(client, psychometrician)
    assert client.get("/calibration/competencies/FN-NOTING/responses").status_code == 200
    response = client.post("/calibration/competencies/FN-NOTING/responses", data={"format": "parquet"})
    assert response.status_code == 200 and "responses-FN-NOTING.parquet" in response.headers["Content-Disposition"]
    assert len(pd.read_parquet(io.BytesIO(response.data))) == 60 * 42


def test_a_candidate_sees_edits_and_removes_their_attributes(client, session, candidate):
    login(client, candidate)
    page = client.get("/me/about").get_data(as_text=True)
    assert "never change your score" in page and "never shown to proctors" in page
    response = client.post("/me/about", data={"gender": "female", "state": "Kerala", "service": "IAS"})
    assert response.status_code == 302
    record = session.get(CandidateAttributes, candidate.id)
    assert (record.gender, record.state, record.service) == ("female", "Kerala", "IAS")
    assert 'value="Kerala" selected' in client.get("/me/about").get_data(as_text=True)
    bad = client.post("/me/about", data={"gender": "female", "state": "Atlantis"})
    assert bad.status_code == 422 and "state" in bad.get_data(as_text=True)
    client.post("/me/about", data={"remove": "1"})
    session.expire_all()
    assert session.get(CandidateAttributes, candidate.id) is None


def test_attributes_never_reach_proctors_nor_change_a_score(client, session, candidate, proctor, bank, calibration,
                                                            make_assessment, make_window):
    window = make_window(make_assessment(mode="loft"))
    rng_answer = np.random.default_rng(3)
    responses.save_attributes(session, candidate, {"gender": "female", "state": "Sikkim", "service": "IFoS"})
    session.commit()
    attempt = sit(session, candidate, window, choose=lambda row: "B" if rng_answer.random() < 0.6 else "A")
    login(client, proctor)
    seen = client.get("/api/v1/proctor/attempts").get_data(as_text=True) + \
        client.get(f"/proctor/attempts/{attempt.id}").get_data(as_text=True)
    assert "Sikkim" not in seen and "IFoS" not in seen
    # Scoring the same answers again without the attributes gives the same θ.
    from piaa.delivery.scoring import score_attempt

    before = (attempt.theta, attempt.se)
    responses.save_attributes(session, candidate, {})
    again = score_attempt(session, attempt, actor=None, reason="check")
    assert (again.theta, again.se) == before
