"""Calibration runs on simulated histories: recovery on a held scale, planted DIF, linking,
bad input refused with nothing stored, and the audited decisions."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from piaa import jobs
from piaa.audit import AuditEvent, verify_chain
from piaa.calibration import services
from piaa.calibration.models import CalibrationRun
from piaa.delivery.models import AttemptScore
from piaa.delivery.parameters import active_parameter_set
from piaa.errors import Conflict, Invalid
from piaa.items.calibration_models import ParameterSet
from tests.calibration.conftest import bank_truth, true_params_for


def run_job(session, run) -> CalibrationRun:
    job = jobs.wait(services.queue_calibration(session, run), timeout=300)
    assert job.state == "finished", job.error
    session.expire_all()
    return services.get_run(session, run.id)


@pytest.fixture
def anchored_history(session, competency, operational, full_form_window, make_history):
    """The active set holds the operational items at their true values; 1200 officials
    (θ ~ N(0.3, 1.1²)) sit the full form with 2 of 6 pretest items each; item OP-005 is
    1.2 logits harder for women."""
    truth = true_params_for(session, competency)
    bank_truth(session, competency, operational, truth)
    rng = np.random.default_rng(21)
    dif_item = operational[4].id
    sitting = make_history(full_form_window, 1200, truth, theta=rng.normal(0.3, 1.1, 1200),
                           dif={dif_item: ("gender", "female", 1.2)})
    return truth, dif_item, sitting


def test_fixed_anchors_put_known_pretest_items_on_the_scale_within_their_errors(
        session, anchored_history, pretest, psychometrician):
    truth, dif_item, _ = anchored_history
    run = services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors", actor=psychometrician)
    run = run_job(session, run)
    items = {e["item_id"]: e for e in run.results["items"]}
    # Every pretest item's a and b within 3 standard errors of the value that generated
    # the answers (seeded; |z| < 3 holds for each of 12 estimates with probability ~0.97
    # if the SEs are right), and their z-scores not all of one sign (no shift of scale).
    z = []
    for item in pretest:
        entry = items[item.id]
        assert entry["role"] == "pretest"
        for k in (0, 1):
            z.append((entry["params"][k] - truth[item.id][k]) / entry["se"][k])
    z = np.array(z)
    assert np.all(np.abs(z) < 3), z
    assert abs(z[1::2].mean()) < 1.5, z
    # The anchors kept their banked values; the latent distribution was found on that scale.
    anchor = items[next(i for i in truth if items.get(i, {}).get("role") == "anchor")]
    assert anchor["params"] == pytest.approx(truth[anchor["item_id"]])
    assert run.results["latent"]["mean"] == pytest.approx(0.3, abs=0.15)
    assert run.results["latent"]["sd"] == pytest.approx(1.1, abs=0.15)
    # Only the item made harder for one group looks displaced from its banked value.
    drifted = [e["item_id"] for e in run.results["items"] if e["drift"] and e["drift"]["flagged"]]
    assert set(drifted) <= {dif_item}
    assert run.results["reliability"]["marginal"] > 0.8


def test_planted_dif_is_class_c_and_the_null_items_class_a(session, anchored_history, psychometrician):
    _, dif_item, _ = anchored_history
    run = run_job(session, services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors",
                                                      actor=psychometrician))
    [gender] = [c for c in run.results["comparisons"] if c["column"] == "gender"]
    assert {gender["reference"], gender["focal"]} == {"female", "male"}
    for entry in run.results["items"]:
        [d] = [d for d in entry["dif"] if d["comparison"] == gender["key"]]
        if entry["item_id"] == dif_item:
            assert d["mh_class"] == "C" and d["lr_class"] in ("B", "C"), d
        else:
            assert d["mh_class"] == "A", (entry["code"], d)
    assert services.worst_dif(next(e for e in run.results["items"] if e["item_id"] == dif_item)) == "C"


def test_a_free_calibration_linked_to_the_active_set_recovers_the_linking_constants(
        session, competency, operational, full_form_window, make_history, psychometrician):
    # The officials' θ ~ N(0.5, 1.2²) on the banked scale; a free calibration puts this
    # sample at N(0, 1), so θ_bank = sd θ_new + mean (the sample's own mean and SD) is the
    # link to find. No omissions: an omitted answer scores 0 and would make every item look
    # harder than the parameters that generated the answers.
    truth = true_params_for(session, competency)
    bank_truth(session, competency, operational, truth)
    sitting = make_history(full_form_window, 1000, truth, omit_rate=0.0,
                           theta=np.random.default_rng(2).normal(0.5, 1.2, 1000))
    run = run_job(session, services.start_calibration(session, "FN-NOTING", model="2pl", scale="linked",
                                                      actor=psychometrician))
    linking = run.results["linking"]
    assert linking["n_common"] == 40
    # Within 3 jackknife SEs (item sampling) plus 0.03 for the normal latent fitted to a
    # finite sample and the EAP-free scale definition.
    assert abs(linking["A"] - sitting.theta.std()) < 3 * linking["se_A"] + 0.03, linking
    assert abs(linking["B"] - sitting.theta.mean()) < 3 * linking["se_B"] + 0.03, linking
    assert 0 < linking["se_A"] < 0.1 and 0 < linking["se_B"] < 0.1


def _nothing_stored(session):
    assert session.scalar(select(func.count()).select_from(CalibrationRun)) == 0


def test_too_few_responses_per_item_is_refused_naming_the_items(session, anchored_history, psychometrician):
    with pytest.raises(Invalid) as caught:
        services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors", min_responses=500,
                                   actor=psychometrician)
    assert "too few responses" in caught.value.message and "PT-001" in caught.value.message
    session.rollback()
    _nothing_stored(session)


def test_an_unidentified_design_is_refused(session, competency, operational, make_assessment, make_window,
                                           make_history, clock, psychometrician):
    # Two fixed forms with no item in common and no pretest item to join them.
    from piaa.delivery.forms import assemble_fixed_form

    truth = true_params_for(session, competency)
    for half in (operational[:20], operational[20:]):
        assessment = make_assessment(mode="fixed", n_forms=0,
                                     blueprint={"cells": [{"level": None, "sub_area": None, "count": 20}]})
        assemble_fixed_form(session, assessment, np.random.default_rng(1), item_ids=[i.id for i in half])
        session.commit()
        window = make_window(assessment, opens_at=clock() - timedelta(days=3), closes_at=clock() - timedelta(days=1))
        make_history(window, 120, truth, seed=len(half))
    with pytest.raises(Invalid) as caught:
        services.start_calibration(session, "FN-NOTING", model="rasch", scale="free", actor=psychometrician)
    assert "not identified" in caught.value.message and "2 groups" in caught.value.message
    session.rollback()
    _nothing_stored(session)


def test_the_scale_method_must_fit_the_competency(session, competency, operational, full_form_window,
                                                  make_history, psychometrician):
    truth = true_params_for(session, competency)
    make_history(full_form_window, 100, truth)
    with pytest.raises(Invalid, match="no active parameter set"):
        services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors", actor=psychometrician)
    with pytest.raises(Invalid, match="model must be"):
        services.start_calibration(session, "FN-NOTING", model="grm", scale="free", actor=psychometrician)
    bank_truth(session, competency, operational, truth)
    with pytest.raises(Invalid, match="holds competency FN-NOTING's scale"):
        services.start_calibration(session, "FN-NOTING", model="2pl", scale="free", actor=psychometrician)


def test_decisions_are_audited_and_shape_the_active_set(session, anchored_history, pretest, operational,
                                                       full_form_window, psychometrician):
    _, dif_item, sitting = anchored_history
    run = run_job(session, services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors",
                                                      actor=psychometrician))
    with pytest.raises(Invalid, match="say why"):
        services.decide(session, run, dif_item, "exclude", actor=psychometrician, reason=" ")
    services.decide(session, run, dif_item, "exclude", actor=psychometrician, reason="C-class DIF (gender)")
    services.decide(session, run, operational[0].id, "flag", actor=psychometrician, reason="check the key")
    parameter_set = services.activate_run(session, run, actor=psychometrician, reason="spring windows",
                                          rescore_windows=[full_form_window.id])
    session.commit()
    active = active_parameter_set(session, run.competency_id)
    assert active.id == parameter_set.id == run.parameter_set_id
    held = {row.item_id for row in active.items}
    assert dif_item not in held and {i.id for i in pretest} <= held and len(held) == 45
    with pytest.raises(Conflict, match="activated already"):
        services.activate_run(session, run, actor=psychometrician, reason="again")
    # The chosen window's attempts are rescored with the new set, in the background.
    for job in session.scalars(select(jobs.Job).where(jobs.Job.func == services.RESCORE_JOB)):
        assert jobs.wait(job.id, timeout=120).state == "finished"
    session.expire_all()
    rescored = session.scalar(select(func.count()).select_from(AttemptScore).where(
        AttemptScore.number == 2, AttemptScore.parameter_set_id == parameter_set.id))
    assert rescored == len(sitting.attempt_ids)
    # Promote a pretest item; take the DIF item back (a new set is activated with it).
    services.decide(session, run, pretest[0].id, "promote", actor=psychometrician, reason="fits, no DIF")
    assert pretest[0].state == "operational"
    with pytest.raises(Conflict, match="only pretest"):
        services.decide(session, run, pretest[0].id, "promote", actor=psychometrician, reason="twice")
    services.decide(session, run, dif_item, "include", actor=psychometrician, reason="content review cleared it")
    session.commit()
    newest = active_parameter_set(session, run.competency_id)
    assert newest.id != parameter_set.id and dif_item in {row.item_id for row in newest.items}
    assert session.scalar(select(func.count()).select_from(ParameterSet)) == 3
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("calibration.%"))
                                                 .order_by(AuditEvent.id))]
    assert actions == ["calibration.started", "calibration.finished", "calibration.exclude", "calibration.flag",
                       "calibration.activated", "calibration.promote", "calibration.include"]
    why = session.scalar(select(AuditEvent).where(AuditEvent.action == "calibration.activated"))
    assert why.actor_id == psychometrician.id and why.data["reason"] == "spring windows"
    assert verify_chain(session).ok


def test_results_download_as_csv_and_xlsx(session, anchored_history, psychometrician):
    import io

    import pandas as pd

    run = run_job(session, services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors",
                                                      actor=psychometrician))
    table = pd.read_csv(io.BytesIO(services.result_bytes(session, run, "csv")))
    assert len(table) == 46 and {"a", "se_b", "point_biserial", "omit_rate", "sx2_p", "delta_b"} <= set(table.columns)
    assert any(c.startswith("mh_class [gender") for c in table.columns)
    sheets = pd.read_excel(io.BytesIO(services.result_bytes(session, run, "xlsx")), sheet_name=None)
    assert set(sheets) == {"summary", "items", "dif", "drift"} and len(sheets["drift"]) == 40
    with pytest.raises(Invalid):
        services.result_bytes(session, run, "pdf")


def test_a_job_of_this_process_calibrates_the_checked_responses_without_reading_them_again(
        session, anchored_history, psychometrician, monkeypatch):
    reads = []
    original = services.scored_responses
    monkeypatch.setattr(services, "scored_responses", lambda *a, **k: reads.append(1) or original(*a, **k))
    run = run_job(session, services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors",
                                                      actor=psychometrician))
    assert run.state == "finished" and len(reads) == 1
    # A run whose kept arrays are gone (a worker elsewhere, or expired) reads them itself,
    # and finds the same figures.
    again = services.start_calibration(session, "FN-NOTING", model="2pl", scale="anchors", actor=psychometrician)
    services._CHECKED_INPUTS.clear()
    again = run_job(session, again)
    assert len(reads) == 3
    assert [e["params"] for e in again.results["items"]] == [e["params"] for e in run.results["items"]]
