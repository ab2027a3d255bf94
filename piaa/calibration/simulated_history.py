"""A response history written fast: simulated officials who sat a window of a fixed-form
or LOFT assessment, with the rows the real delivery and scoring write (attempt, its
administered items with answers, the score with θ and SE or the labelled classical score
and its decision confidence, and the attempt's audit events), for tests and for the demo's
calibrated service.

Forms are drawn as delivery draws them (``piaa.delivery.forms``: a blueprint draw, least
exposed first, never an item the official met before, or a random fixed form; pretest items
seeded at random positions), answers
are drawn from the 2PL/3PL model with each simulee's θ and the true item parameters
given, and every answer is one the item's own type scores as drawn (checked once per item
version). Not done here: proctoring events, certificates, and adaptive sittings (an
adaptive history comes from delivery itself).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

import numpy as np
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import CANDIDATE, User
from piaa.calibration.models import GENDERS, SERVICES, STATES, CandidateAttributes
from piaa.clock import now
from piaa.delivery import forms, states
from piaa.delivery.models import (ADAPTIVE, CLASSICAL, EAP, FIXED, Assessment, Attempt, AttemptItem,
                                  AttemptScore, Cohort, Enrolment, Window)
from piaa.delivery.parameters import active_parameter_set, parameter_rows, stack_rows
from piaa.delivery.scoring import level_from_cuts
from piaa.errors import Invalid
from piaa.items.models import APPROVED, OPERATIONAL, Item, ItemVersion
from piaa.items.types import get_item_type
from piaa.i18n import N_


@dataclass
class SimulatedSitting:
    attempt_ids: list[int]
    theta: np.ndarray          # (n,) the simulees' true abilities


def add_officials(session: Session, cohort: Cohort, n: int, rng: np.random.Generator, *,
                  prefix: str = "official", organisation_id: int | None = None,
                  attributes: bool = True, attribute_share: float = 0.9) -> list[int]:
    """``n`` candidate accounts (no password: they never sign in), enrolled in ``cohort``;
    with ``attributes``, about ``attribute_share`` of them have given a gender, state and
    service. Returns the user ids."""
    at = now()
    tag = secrets.token_hex(3)
    users = [{"email": f"{prefix}.{tag}.{k}@example.gov.in", "name": f"{prefix.title()} {k}", "name_hi": None,
              "role": CANDIDATE, "organisation_id": organisation_id, "password_hash": None, "active": True,
              "preferred_language": "en", "created_at": at} for k in range(1, n + 1)]
    ids = _insert_returning_ids(session, User, users)
    session.execute(insert(Enrolment.__table__), [{"cohort_id": cohort.id, "user_id": i, "time_factor": 1.0,
                                         "created_at": at} for i in ids])
    if attributes:
        given = rng.random(n) < attribute_share
        gender = rng.choice(GENDERS[:2], n)
        state = rng.choice(STATES, n)
        service = rng.choice(SERVICES, n)
        rows = [{"user_id": i, "gender": str(gender[k]), "state": str(state[k]), "service": str(service[k]),
                 "updated_at": at} for k, i in enumerate(ids) if given[k]]
        if rows:
            session.execute(insert(CandidateAttributes.__table__), rows)
    return ids


def _insert_returning_ids(session: Session, model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` as one executemany (SQLAlchemy Core, no unit of work); their ids in order."""
    table = model.__table__
    result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]


def true_parameters(session: Session, competency_id: int, rng: np.random.Generator) -> dict[int, list[float]]:
    """Plausible 2PL parameters for every operational and pretest item of the competency:
    difficulty follows the item's level, slopes lognormal around 1."""
    items = session.execute(select(Item.id, Item.level).where(
        Item.competency_id == competency_id, Item.state.in_((OPERATIONAL, APPROVED))).order_by(Item.id)).all()
    b = np.array([(level - 3) * 0.8 for _, level in items]) + rng.normal(0, 0.3, len(items))
    a = np.exp(rng.normal(0.0, 0.25, len(items)))
    return {item_id: [float(a[k]), float(b[k]), 0.0, 1.0] for k, (item_id, _) in enumerate(items)}


def _answers(item_type: str, content: dict) -> tuple[Any, Any]:
    """An answer the item's type scores fully right and one it scores wrong.

    :raise Invalid: for a type no such pair can be found for (the history needs right/wrong
        items).
    """
    kind = get_item_type(item_type)
    ids = [o.get("id") for o in content.get("options", []) if isinstance(o, dict)]
    accepted = [e.get("value") for e in content.get("accepted", []) if isinstance(e, dict)]
    key = content.get("key")
    tries = [key, *ids, *([k] for k in ids), list(key) if isinstance(key, list) else None, True, False,
             *accepted, content.get("key_number"), list(reversed(ids)), ids, "-", -1e9]
    right = wrong = None
    for answer in tries:
        if answer is None:
            continue
        try:
            score = kind.score(content, answer)
        except Invalid:
            continue
        if kind.polytomous:
            break
        if score.category == 1 and right is None:
            right = answer
        elif score.category == 0 and score.credit == 0 and wrong is None:
            wrong = answer
    if right is None or wrong is None:
        raise Invalid(N_("a simulated history needs right/wrong items; no right and wrong answer found for "
                         "a {item_type} item"), field="type",
                      values={"item_type": item_type})
    return right, wrong


def sit(session: Session, window: Window, user_ids: list[int], *, true_params: Mapping[int, Any],
        rng: np.random.Generator, theta: np.ndarray | None = None, omit_rate: float = 0.02,
        dif: Mapping[int, tuple[str, str, float]] | None = None, at: datetime | None = None,
        languages: tuple[str, ...] | None = None) -> SimulatedSitting:
    """Every official of ``user_ids`` sits ``window`` once and is scored.

    theta : (n,) true abilities, default N(0, 1).
    true_params : item id -> [a, b, c, d] that generate the answers (every item the forms
        can hold needs one).
    dif : item id -> (attribute, value, shift): for officials whose attribute (gender,
        state, service or language) has that value the item is ``shift`` logits harder.
    at : when the sittings ended (default now); they began 25 minutes before.
    languages : the sitting languages drawn from (default the assessment's).

    :raise Invalid: for an adaptive assessment, or an item without true parameters.
    """
    assessment = window.assessment
    if assessment.mode == ADAPTIVE:
        raise Invalid(N_("a simulated history sits fixed-form or LOFT assessments; adaptive sittings "
                      "come from delivery itself"), field="mode")
    n = len(user_ids)
    theta = rng.normal(0.0, 1.0, n) if theta is None else np.asarray(theta, float)
    ended = at or now()
    began = ended - timedelta(minutes=25)
    scored_pool = forms.pool(session, assessment, OPERATIONAL)
    pretest_pool = forms.pool(session, assessment, APPROVED)
    exposure = forms.exposure_counts(session, assessment.id, [p.item_id for p in scored_pool + pretest_pool])
    form_items = _form_items(session, assessment) if assessment.mode == FIXED else {}
    versions = forms.version_views(session, [p.version_id for p in scored_pool + pretest_pool]
                                   + [p.version_id for items in form_items.values() for p in items])
    answers = {vid: _answers(v.item_type, v.content) for vid, v in versions.items()}
    attrs = _attributes(session, user_ids)
    langs = list(languages or assessment.languages or ["en"])
    language = rng.choice(langs, n)
    seen = _seen_items(session, user_ids, assessment.competency_id)
    layouts = []
    for k in range(n):  # one layout per simulee, drawn as delivery draws it
        unseen = seen.get(user_ids[k], set())
        if assessment.mode == FIXED:
            number = int(rng.choice(sorted(form_items)))
            scored, plan = form_items[number], {"form": number}
        else:
            available = [p for p in scored_pool if p.item_id not in unseen] if unseen else scored_pool
            drawn = forms._draw_blueprint(assessment, available, exposure, rng)
            scored, plan = [drawn[i] for i in rng.permutation(len(drawn))], {}
        pretest = forms.least_exposed([p for p in pretest_pool if p.item_id not in unseen], exposure,
                                      assessment.pretest_count, rng) if assessment.pretest_count > 0 else []
        layout = forms.interleave(scored, pretest, rng)
        for entry, _ in layout:
            exposure[entry.item_id] = exposure.get(entry.item_id, 0) + 1
        layouts.append((layout, plan))
    # Answers: the model's probability for every administered item of every simulee at once.
    flat_items = [(k, pos, entry, is_scored) for k, (layout, _) in enumerate(layouts)
                  for pos, (entry, is_scored) in enumerate(layout)]
    missing = {e.item_id for _, _, e, _ in flat_items} - set(true_params)
    if missing:
        raise Invalid(N_("no true parameters for items {missing}"), field="true_params",
                      values={"missing": str(sorted(missing)[:8])})
    person = np.array([k for k, _, _, _ in flat_items])
    p = np.array([true_params[e.item_id] for _, _, e, _ in flat_items], dtype=float).reshape(-1, 4)
    shift = np.zeros(len(flat_items))
    for row, (k, _, e, _) in enumerate(flat_items):
        if dif and e.item_id in dif:
            column, value, delta = dif[e.item_id]
            have = str(language[k]) if column == "language" else attrs.get(user_ids[k], {}).get(column)
            shift[row] = delta if have == value else 0.0
    z = p[:, 0] * (theta[person] - p[:, 1] - shift)
    prob = p[:, 2] + (p[:, 3] - p[:, 2]) / (1.0 + np.exp(-z))
    right = rng.random(len(flat_items)) < prob
    omitted = rng.random(len(flat_items)) < omit_rate
    return _write(session, window, user_ids, theta, layouts, flat_items, right, omitted, answers,
                  [str(v) for v in language], began, ended)


def _form_items(session: Session, assessment) -> dict[int, list[forms.PoolItem]]:
    """Each fixed form's items in delivery order, as ``forms.choose_fixed_form`` reads them."""
    keys = {f.number: [(e["item_id"], e["version"]) for e in f.items] for f in assessment.forms}
    if not keys:
        raise Invalid(N_("assessment {assessment_code} has no fixed form"), field="forms",
                      values={"assessment_code": assessment.code})
    rows = session.execute(select(ItemVersion.item_id, ItemVersion.number, ItemVersion.id, ItemVersion.level,
                                  ItemVersion.sub_area)
                           .where(ItemVersion.item_id.in_({i for k in keys.values() for i, _ in k})))
    found = {(r[0], r[1]): forms.PoolItem(r[0], r[2], r[3], r[4]) for r in rows}
    return {number: [found[k] for k in entries] for number, entries in keys.items()}


def _seen_items(session: Session, user_ids: list[int], competency_id: int) -> dict[int, set[int]]:
    """Items each official met in earlier attempts on the competency (``forms.seen_item_ids``
    for all of them at once): a LOFT form never repeats them, as delivery draws it."""
    rows = session.execute(select(Attempt.user_id, AttemptItem.item_id)
                           .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
                           .join(Assessment, Assessment.id == Attempt.assessment_id)
                           .where(Attempt.user_id.in_(user_ids), Assessment.competency_id == competency_id))
    seen: dict[int, set[int]] = {}
    for user_id, item_id in rows:
        seen.setdefault(user_id, set()).add(item_id)
    return seen


def _attributes(session: Session, user_ids: list[int]) -> dict[int, dict[str, str | None]]:
    rows = session.execute(select(CandidateAttributes).where(CandidateAttributes.user_id.in_(user_ids))).scalars()
    return {r.user_id: {"gender": r.gender, "state": r.state, "service": r.service} for r in rows}


def _write(session, window, user_ids, theta, layouts, flat_items, right, omitted, answers, language,
           began, ended) -> SimulatedSitting:
    assessment = window.assessment
    n = len(user_ids)
    category = np.where(omitted, 0, right.astype(int))
    attempts = [{"window_id": window.id, "assessment_id": assessment.id, "user_id": user_ids[k],
                 "state": states.SCORED, "seed": secrets.randbits(62), "language": language[k],
                 "created_at": began, "checked_in_at": began, "admitted_at": None, "admitted_by_id": None,
                 "started_at": began, "ended_at": ended, "scored_at": ended, "voided_at": None, "end_reason": None,
                 "time_limit_s": assessment.time_limit_s, "time_factor": 1.0, "extra_time_s": 0,
                 "pause_policy": assessment.pause_policy, "paused_total_s": 0.0, "stopped_since": None,
                 "deadline_at": None, "current_position": len(layouts[k][0]) - 1,
                 "planned_items": len(layouts[k][0]), "complete": False, "plan": layouts[k][1],
                 "theta_current": None, "se_current": None, "client_id": None, "last_seen_at": ended,
                 "last_ip": None, "last_user_agent": None} for k in range(n)]
    ids = _insert_returning_ids(session, Attempt, attempts)
    rows, scored_cells = [], {}
    for r, (k, pos, entry, is_scored) in enumerate(flat_items):
        answer = None if omitted[r] else answers[entry.version_id][0 if right[r] else 1]
        rows.append({"attempt_id": ids[k], "assessment_id": assessment.id, "position": pos,
                     "ref": secrets.token_urlsafe(12), "item_id": entry.item_id, "version_id": entry.version_id,
                     "scored": is_scored, "cell": entry.cell, "presented_at": began, "answer": answer,
                     "seq": pos + 1, "first_answered_at": None if omitted[r] else began,
                     "answered_at": None if omitted[r] else began, "locked_at": None, "flagged": False,
                     "credit": float(category[r]) if is_scored else None,
                     "max_credit": 1.0 if is_scored else None,
                     "category": int(category[r]) if is_scored else None})
        if is_scored:
            scored_cells.setdefault(k, []).append((entry.item_id, int(category[r])))
    session.execute(insert(AttemptItem.__table__), rows)
    scores = _scores(session, assessment, n, scored_cells)
    session.execute(insert(AttemptScore.__table__), [
        {"attempt_id": ids[k], "number": 1, "scored_at": ended, "actor_id": None, "reason": None, **scores[k]}
        for k in range(n)])
    table = Attempt.__table__
    session.execute(update(table).where(table.c.id == bindparam("attempt_id")), [
        {"attempt_id": ids[k], "theta": s["theta"], "se": s["se"], "level": s["level"], "score_method": s["method"],
         "raw_score": s["raw_score"], "max_score": s["max_score"], "parameter_set_id": s["parameter_set_id"]}
        for k, s in enumerate(scores)])
    audit.record_many(session, [
        audit.Event(action, "attempt", ids[k], actor=actor, data=data)
        for k in range(n)
        for action, actor, data in (
            ("attempt.created", user_ids[k], {"window": window.id, "assessment": assessment.code,
                                              "time_factor": 1.0, "simulated": True}),
            ("attempt.check_in", user_ids[k], {"from": states.CREATED, "to": states.CHECKED_IN}),
            ("attempt.start", user_ids[k], {"from": states.CHECKED_IN, "to": states.IN_PROGRESS}),
            ("attempt.submit", user_ids[k], {"from": states.IN_PROGRESS, "to": states.SUBMITTED}),
            ("attempt.scored", user_ids[k], _scored_event(scores[k])),
            ("attempt.score", None, {"from": states.SUBMITTED, "to": states.SCORED,
                                     "theta": scores[k]["theta"], "se": scores[k]["se"],
                                     "level": scores[k]["level"], "method": scores[k]["method"]}))])
    session.flush()
    return SimulatedSitting(ids, theta)


def _scored_event(score: dict) -> dict:
    """The data of the ``attempt.scored`` audit event, as ``scoring.score_attempt`` writes it."""
    return {"score": 1, "method": score["method"], "theta": score["theta"], "se": score["se"],
            "level": score["level"], "raw": score["raw_score"], "max": score["max_score"],
            "parameter_set": score["parameter_set_id"], "confidence": score["confidence"],
            "certifying_confidence": score["certifying_confidence"], "decision": score["decision"],
            "certified_level": score["certified_level"], "reason": None}


def _scores(session, assessment, n, scored_cells) -> list[dict]:
    """The first score of every attempt, as ``piaa.delivery.scoring.score_attempt`` makes it:
    EAP θ and SE with the active set (all attempts at once), else the classical score; each
    with its decision confidence and what it means for a certificate (``scoring.decide``)."""
    from piaa.delivery import scoring

    parameter_set = active_parameter_set(session, assessment.competency_id)
    item_ids = sorted({i for cells in scored_cells.values() for i, _ in cells})
    params = parameter_rows(session, parameter_set, item_ids) if parameter_set else {}
    calibrated = [i for i in item_ids if i in params]
    out = []
    theta = se = probabilities = None
    if calibrated:
        from piaa.psychometrics import estimate_ability
        from piaa.psychometrics.decision import ability_posterior, posterior_level_confidence

        col = {i: j for j, i in enumerate(calibrated)}
        x = np.full((n, len(calibrated)), np.nan)
        for k, cells in scored_cells.items():
            for item_id, cat in cells:
                if item_id in col:
                    x[k, col[item_id]] = cat
        stacked = stack_rows(parameter_set.model, [params[i] for i in calibrated])
        estimate = estimate_ability(x, stacked, model=parameter_set.model, method="eap")
        theta, se = estimate.theta, estimate.se
        posterior = ability_posterior(x, stacked, model=parameter_set.model)
        probabilities = posterior_level_confidence(posterior, assessment.cut_scores, reported=theta).probabilities
    classical: dict[tuple, dict] = {}  # a classical decision depends on (level, raw, max) only
    for k in range(n):
        cells = scored_cells.get(k, [])
        raw, top = float(sum(c for _, c in cells)), float(len(cells))
        used = [i for i, _ in cells if i in params]
        if used:
            level = level_from_cuts(float(theta[k]), assessment.cut_scores)
            out.append({"method": EAP, "theta": float(theta[k]), "se": float(se[k]), "level": level,
                        "raw_score": raw, "max_score": top, "n_items": len(used),
                        "parameter_set_id": parameter_set.id,
                        **scoring.decide(assessment, level, probabilities[k]).columns()})
        else:
            percent = 100.0 * raw / top if top else 0.0
            level = level_from_cuts(percent, assessment.percent_cut_scores)
            key = (level, raw, top)
            if key not in classical:
                classical[key] = scoring._classical_decision(session, assessment, level, raw, top).columns()
            out.append({"method": CLASSICAL, "theta": None, "se": None, "level": level, "raw_score": raw,
                        "max_score": top, "n_items": len(cells), "parameter_set_id": None, **classical[key]})
    return out
