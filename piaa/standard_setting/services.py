"""Standard-setting rules: start a bookmark or Angoff setting, keep the panel's ratings round
by round, summarise the panel's cuts with their spread, the impact on recent candidates and
the classification accuracy and consistency at each cut, and apply the result as the
assessment's cut scores (audited). Also the classical pilot: the reliability of a fixed form
measured from its scored attempts. Services take the session and never commit.

The panel's cut for a boundary is the median of its panellists' cuts (Mitzel, Lewis, Patz &
Green, 2001; Cizek & Bunch, 2007, ch. 10): a single extreme panellist cannot drag it. A
panellist's bookmark cut is the RP location of the last page before the bookmark (the last
page a borderline candidate masters); a panellist's Angoff cut is the mean rated probability
over the items, in per cent: the expected per-cent score of a borderline candidate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import User
from piaa.clock import now
from piaa.delivery import states
from piaa.delivery.models import CLASSICAL, EAP, Assessment, Attempt, AttemptItem
from piaa.delivery.parameters import active_parameter_set, parameter_rows, stack_rows
from piaa.errors import Conflict, Invalid, NotFound
from piaa.items.models import OPERATIONAL, Item
from piaa.psychometrics.standard_setting import (bookmark_cut_scores, classification_accuracy,
                                                 ordered_item_booklet)
from piaa.i18n import N_

from .models import ANGOFF, BOOKMARK, METHODS, Panellist, Rating, StandardSetting

LEVELS = (1, 2, 3, 4, 5)
# Recent candidates whose scores show a proposal's impact.
IMPACT_ATTEMPTS = 2000
# A pilot's reliability needs this many scored attempts of one form.
MIN_PILOT_ATTEMPTS = 30


def get(session: Session, standard_setting_id: int) -> StandardSetting:
    """:raise NotFound: for an unknown id."""
    found = session.get(StandardSetting, standard_setting_id)
    if found is None:
        raise NotFound(N_("standard setting {standard_setting_id} does not exist"),
                       values={"standard_setting_id": standard_setting_id})
    return found


def all_settings(session: Session) -> list[StandardSetting]:
    return list(session.scalars(select(StandardSetting).order_by(StandardSetting.created_at.desc())))


def _panel_names(names) -> list[str]:
    cleaned = [n.strip() for n in names if n and n.strip()]
    if not cleaned:
        raise Invalid(N_("name at least one panellist"), field="panellists")
    duplicate = next((n for n in cleaned if cleaned.count(n) > 1), None)
    if duplicate:
        raise Invalid(N_("panellist {duplicate} is named twice"), field="panellists",
                      values={"duplicate": repr(duplicate)})
    return cleaned


def _levels(levels) -> list[int]:
    chosen = sorted({int(level) for level in (levels or LEVELS)})
    bad = [level for level in chosen if level not in LEVELS]
    if bad:
        raise Invalid(N_("levels are 1 to 5, got {bad}"), field="levels", values={"bad": bad[0]})
    return chosen


def start(session: Session, assessment: Assessment, *, method: str, actor: User, panellists,
          title: str = "", rp: float = 0.67, levels=None) -> StandardSetting:
    """Open a standard setting of ``assessment`` by ``method`` with its panel.

    A bookmark setting freezes its ordered item booklet from the competency's active
    parameter set (operational items of the assessment's bank); an Angoff setting rates the
    operational items of its first fixed form, or of its bank when it has none.

    :raise Invalid: for an unknown method, an RP outside (0, 1), no panellist, no items.
    :raise Conflict: for a bookmark setting without an active parameter set.
    """
    if method not in METHODS:
        raise Invalid(N_("method must be one of {methods}, got {method}"), field="method",
                      values={"methods": ', '.join(METHODS), "method": repr(method)})
    names = _panel_names(panellists)
    chosen = _levels(levels)
    setting = StandardSetting(assessment_id=assessment.id, method=method, levels=chosen, current_round=1,
                              title=(title or "").strip() or f"{assessment.title}: {method}",
                              created_at=now(), created_by_id=actor.id if actor else None)
    if method == BOOKMARK:
        try:
            rp = float(rp)
        except (TypeError, ValueError):
            raise Invalid(N_("the response probability must be a number, got {rp}"), field="rp",
                          values={"rp": repr(rp)}) from None
        if not 0.0 < rp < 1.0:
            raise Invalid(N_("the response probability must be between 0 and 1, got {rp:g}"), field="rp",
                          values={"rp": rp})
        setting.rp = rp
        parameter_set = active_parameter_set(session, assessment.competency_id)
        if parameter_set is None:
            raise Conflict(N_("competency {competency_code} has no active parameter set: calibrate its "
                              "items before a bookmark setting"), field="method",
                           values={"competency_code": assessment.competency.code})
        setting.parameter_set_id = parameter_set.id
        setting.booklet = _booklet(session, assessment, parameter_set, rp)
        if len(setting.booklet) < len(chosen) + 1:
            raise Invalid(N_("the booklet has {n_booklet} pages; {n_chosen} bookmarks need at least {value}"),
                          field="levels",
                          values={"n_booklet": len(setting.booklet), "n_chosen": len(chosen), "value": len(chosen) + 1})
    else:
        setting.items = _angoff_items(session, assessment)
        if not setting.items:
            raise Invalid(N_("the assessment has no operational items to rate"), field="method")
    session.add(setting)
    session.flush()
    for name in names:
        session.add(Panellist(standard_setting_id=setting.id, name=name))
    session.flush()
    audit.record(session, "standard_setting.started", actor=actor, subject_type="standard_setting",
                 subject_id=setting.id, data={"assessment": assessment.code, "method": method,
                                              "rp": setting.rp, "levels": chosen, "panel": names,
                                              "parameter_set": setting.parameter_set_id})
    return setting


def _pool(session: Session, assessment: Assessment):
    query = select(Item).where(Item.competency_id == assessment.competency_id, Item.state == OPERATIONAL)
    if assessment.bank_id is not None:
        query = query.where(Item.bank_id == assessment.bank_id)
    return list(session.scalars(query.order_by(Item.id)))


def _booklet(session: Session, assessment: Assessment, parameter_set, rp: float) -> list[dict]:
    items = _pool(session, assessment)
    params = parameter_rows(session, parameter_set, [i.id for i in items])
    calibrated = [i.id for i in items if i.id in params]
    if not calibrated:
        raise Conflict(N_("no operational item of the assessment is in the active parameter set"), field="method")
    try:
        booklet = ordered_item_booklet(stack_rows(parameter_set.model, [params[i] for i in calibrated]),
                                       parameter_set.model, rp=rp)
    except ValueError as exc:
        raise Invalid(str(exc), field="rp") from exc
    return [{"page": page, "item_id": calibrated[int(j)], "category": int(k), "location": float(loc)}
            for page, (j, k, loc) in enumerate(zip(booklet.item, booklet.category, booklet.location), start=1)]


def _angoff_items(session: Session, assessment: Assessment) -> list[int]:
    if assessment.forms:
        ids = [entry["item_id"] for entry in assessment.forms[0].items]
        states_of = dict(session.execute(select(Item.id, Item.state).where(Item.id.in_(ids))).all())
        return [i for i in ids if states_of.get(i) == OPERATIONAL]
    return [item.id for item in _pool(session, assessment)]


def _panellist(setting: StandardSetting, panellist_id: int) -> Panellist:
    found = next((p for p in setting.panellists if p.id == panellist_id), None)
    if found is None:
        raise Invalid(N_("panellist {panellist_id} is not on this panel"), field="panellist",
                      values={"panellist_id": panellist_id})
    return found


def _open(setting: StandardSetting) -> None:
    if setting.applied_at is not None:
        raise Conflict(N_("this standard setting was applied; its ratings are closed"), field="standard_setting")


def _replace_ratings(session: Session, setting: StandardSetting, panellist: Panellist, values: dict,
                     actor: User | None) -> None:
    """Store this round's ratings of ``panellist`` ({(level, item_id): value}), replacing any
    entered earlier in the same round (a facilitator's correction); earlier rounds stay."""
    earlier = {(r.level, r.item_id): r for r in session.scalars(select(Rating).where(
        Rating.panellist_id == panellist.id, Rating.round == setting.current_round))}
    at = now()
    for (level, item_id), value in values.items():
        row = earlier.get((level, item_id))
        if row is None:
            session.add(Rating(standard_setting_id=setting.id, panellist_id=panellist.id, round=setting.current_round,
                               level=level, item_id=item_id, value=float(value), entered_at=at,
                               entered_by_id=actor.id if actor else None))
        else:
            row.value, row.entered_at = float(value), at
    session.flush()
    audit.record(session, "standard_setting.rated", actor=actor, subject_type="standard_setting",
                 subject_id=setting.id, data={"panellist": panellist.name, "round": setting.current_round,
                                              "ratings": {f"{lv}:{it}": v for (lv, it), v in values.items()}})


def record_bookmarks(session: Session, setting: StandardSetting, panellist_id: int, pages: dict,
                     *, actor: User | None) -> None:
    """One bookmark per boundary of the setting: ``pages`` maps level -> page (1-based), the
    first page a borderline candidate of that level would not master.

    :raise Invalid: naming the level whose page is missing, outside 2..P or out of order.
    """
    _open(setting)
    if setting.method != BOOKMARK:
        raise Invalid(N_("this is an Angoff setting: rate items, not pages"), field="method")
    panellist = _panellist(setting, panellist_id)
    n_pages = len(setting.booklet)
    chosen = {}
    for level in setting.levels:
        raw = pages.get(level, pages.get(str(level)))
        try:
            page = int(str(raw).strip())
        except (TypeError, ValueError):
            raise Invalid(N_("bookmark for level {level}: give a page number, got {raw}"), field=f"level-{level}",
                          values={"level": level, "raw": repr(raw)}) from None
        if not 2 <= page <= n_pages:
            raise Invalid(N_("bookmark for level {level} is on page {page}; pages run from 2 to {n_pages}"),
                          field=f"level-{level}",
                          values={"level": level, "page": page, "n_pages": n_pages})
        chosen[level] = page
    ordered = [chosen[level] for level in setting.levels]
    if any(b <= a for a, b in zip(ordered, ordered[1:])):
        raise Invalid(N_("bookmarks must move on through the booklet level by level; got pages {ordered}"),
                      field="levels",
                      values={"ordered": str(ordered)})
    _replace_ratings(session, setting, panellist, {(level, 0): page for level, page in chosen.items()}, actor)


def record_angoff(session: Session, setting: StandardSetting, panellist_id: int, ratings: dict,
                  *, actor: User | None) -> None:
    """Angoff ratings: ``ratings`` maps (level, item_id) -> probability 0..1 that a borderline
    candidate of that level answers the item correctly; every item at every level is rated.

    :raise Invalid: naming the level and item of a missing or out-of-range rating.
    """
    _open(setting)
    if setting.method != ANGOFF:
        raise Invalid(N_("this is a bookmark setting: place bookmarks, not item ratings"), field="method")
    panellist = _panellist(setting, panellist_id)
    values = {}
    for level in setting.levels:
        for item_id in setting.items:
            raw = ratings.get((level, item_id))
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise Invalid(N_("level {level}, item {item_id}: give a probability, got {raw}"),
                              field=f"rating-{level}-{item_id}",
                              values={"level": level, "item_id": item_id, "raw": repr(raw)}) from None
            if not 0.0 <= value <= 1.0:
                raise Invalid(N_("level {level}, item {item_id}: a probability is 0 to 1, got {value:g}"),
                              field=f"rating-{level}-{item_id}",
                              values={"level": level, "item_id": item_id, "value": value})
            values[(level, item_id)] = value
    _replace_ratings(session, setting, panellist, values, actor)


def next_round(session: Session, setting: StandardSetting, *, actor: User | None) -> int:
    """Close this round (its ratings stay) and open the next.

    :raise Conflict: if no panellist rated in this round.
    """
    _open(setting)
    rated = session.scalar(select(Rating.id).where(Rating.standard_setting_id == setting.id,
                                                   Rating.round == setting.current_round).limit(1))
    if rated is None:
        raise Conflict(N_("no panellist has rated in round {current_round} yet"), field="round",
                       values={"current_round": setting.current_round})
    setting.current_round += 1
    audit.record(session, "standard_setting.round_opened", actor=actor, subject_type="standard_setting",
                 subject_id=setting.id, data={"round": setting.current_round})
    return setting.current_round


# --- the panel's result ----------------------------------------------------------------------

@dataclass(frozen=True)
class BoundaryResult:
    """The panel's cut for one level boundary in one round."""

    level: int
    by_panellist: dict[str, float]
    pages: dict[str, int]
    cut: float
    mean: float
    sd: float
    low: float
    high: float

    @property
    def se(self) -> float:
        """Standard error of the panel's mean cut: the spread of judgement across panellists."""
        n = len(self.by_panellist)
        return self.sd / np.sqrt(n) if n > 1 else float("nan")


@dataclass(frozen=True)
class Summary:
    round: int
    boundaries: list[BoundaryResult]
    cuts: list[float] | None  # all five, with unrated boundaries from the assessment
    impact: list[dict] | None  # per level 0..5: {"level", "share", "count"}
    n_candidates: int
    quality: list[dict] | None  # per cut: {"level", "accuracy", "consistency"}
    overall: dict | None
    missing: list[str]


def summary(session: Session, setting: StandardSetting, round_number: int | None = None) -> Summary:
    """The panel's cuts in ``round_number`` (default: the newest round with ratings), with
    their spread, impact on recent candidates and classification accuracy and consistency."""
    rounds = sorted(set(session.scalars(select(Rating.round).where(Rating.standard_setting_id == setting.id))))
    chosen_round = round_number or (rounds[-1] if rounds else setting.current_round)
    ratings = list(session.scalars(select(Rating).where(Rating.standard_setting_id == setting.id,
                                                        Rating.round == chosen_round)))
    names = {p.id: p.name for p in setting.panellists}
    rated = {r.panellist_id for r in ratings}
    missing = [names[p] for p in names if p not in rated]
    boundaries = []
    for level in setting.levels:
        mine = [r for r in ratings if r.level == level]
        if setting.method == BOOKMARK:
            pages = {names[r.panellist_id]: int(r.value) for r in mine}
            cuts = {name: float(_bookmark_cut(setting, page)) for name, page in pages.items()}
        else:
            pages = {}
            per = {}
            for r in mine:
                per.setdefault(names[r.panellist_id], []).append(r.value)
            cuts = {name: 100.0 * float(np.mean(values)) for name, values in per.items()}
        if not cuts:
            continue
        values = np.array(list(cuts.values()))
        boundaries.append(BoundaryResult(level=level, by_panellist=cuts, pages=pages, cut=float(np.median(values)),
                                         mean=float(values.mean()), sd=float(values.std(ddof=1)) if values.size > 1 else 0.0,
                                         low=float(values.min()), high=float(values.max())))
    assessment = session.get(Assessment, setting.assessment_id)
    proposed = _proposed_cuts(assessment, setting, boundaries)
    impact = quality = overall = None
    n_candidates = 0
    if proposed is not None:
        impact, quality, overall, n_candidates = _evidence(session, assessment, setting, proposed)
    return Summary(chosen_round, boundaries, proposed, impact, n_candidates, quality, overall, missing)


def _bookmark_cut(setting: StandardSetting, page: int) -> float:
    from piaa.psychometrics.standard_setting import OrderedItemBooklet

    booklet = OrderedItemBooklet(np.array([p["item_id"] for p in setting.booklet]),
                                 np.array([p["category"] for p in setting.booklet]),
                                 np.array([p["location"] for p in setting.booklet]), float(setting.rp))
    return float(bookmark_cut_scores(booklet, [page])[0])


def _proposed_cuts(assessment: Assessment, setting: StandardSetting, boundaries) -> list[float] | None:
    """All five cuts: the panel's where it rated, the assessment's own elsewhere; None until
    every boundary of the setting has a cut or if they do not ascend."""
    if len(boundaries) != len(setting.levels):
        return None
    current = assessment.cut_scores if setting.method == BOOKMARK else assessment.percent_cut_scores
    if current is None:
        if len(setting.levels) != len(LEVELS):
            return None
        current = [0.0] * len(LEVELS)
    cuts = list(map(float, current))
    for b in boundaries:
        cuts[b.level - 1] = round(b.cut, 4)
    if any(b <= a for a, b in zip(cuts, cuts[1:])):
        return None
    return cuts


def _evidence(session: Session, assessment: Assessment, setting: StandardSetting, cuts: list[float]):
    """Impact (share of recent candidates per level) and accuracy and consistency per cut."""
    method = EAP if setting.method == BOOKMARK else CLASSICAL
    rows = session.execute(
        select(Attempt.theta, Attempt.se, Attempt.raw_score, Attempt.max_score)
        .where(Attempt.assessment_id == assessment.id, Attempt.state == states.SCORED,
               Attempt.score_method == method)
        .order_by(Attempt.scored_at.desc()).limit(IMPACT_ATTEMPTS)).all()
    c = np.asarray(cuts, dtype=float)
    quality = overall = None
    if method == EAP:
        rows = [r for r in rows if r.theta is not None and r.se and r.se > 0]
        values = np.array([r.theta for r in rows])
        if rows:
            q = classification_accuracy(values, np.array([r.se for r in rows]), c)
            quality = [{"level": k + 1, "accuracy": float(q.accuracy_by_cut[k]),
                        "consistency": float(q.consistency_by_cut[k])} for k in range(c.size)]
            overall = {"accuracy": q.accuracy, "consistency": q.consistency, "kappa": q.kappa,
                       "source": "Rudner (2001), from each candidate's θ and standard error"}
    else:
        values = np.array([100.0 * r.raw_score / r.max_score for r in rows if r.max_score])
        pilot = assessment.classical_pilot
        if pilot:
            from piaa.psychometrics.decision import livingston_lewis

            try:
                q = livingston_lewis(pilot["mean"], pilot["sd"], pilot["reliability"], pilot["max_score"], c)
            except ValueError:
                q = None
            if q is not None:
                quality = [{"level": k + 1, "accuracy": float(q.accuracy_by_cut[k]),
                            "consistency": float(q.consistency_by_cut[k])} for k in range(c.size)]
                overall = {"accuracy": q.accuracy, "consistency": q.consistency, "kappa": q.kappa,
                           "source": "Livingston & Lewis (1995), from the pilot's score distribution and reliability"}
    if values.size == 0:
        return None, quality, overall, 0
    level = np.searchsorted(c, values, side="right")
    counts = np.bincount(level, minlength=c.size + 1)
    impact = [{"level": k, "count": int(counts[k]), "share": float(counts[k] / values.size)}
              for k in range(c.size + 1)]
    return impact, quality, overall, int(values.size)


def apply(session: Session, setting: StandardSetting, *, actor: User, note: str = "") -> list[float]:
    """Make the panel's newest cuts the assessment's cut scores, audited with the previous.

    :raise Conflict: if already applied, or some boundary has no cut / the cuts do not ascend.
    """
    _open(setting)
    result = summary(session, setting)
    if result.cuts is None:
        raise Conflict(N_("every boundary needs the panel's cut, and the cuts must rise level by level"),
                       field="standard_setting")
    assessment = session.get(Assessment, setting.assessment_id)
    if setting.method == BOOKMARK:
        previous = assessment.cut_scores
        assessment.cut_scores = result.cuts
        assessment.theta_cuts_standard_setting_id = setting.id
    else:
        previous = assessment.percent_cut_scores
        assessment.percent_cut_scores = result.cuts
        assessment.percent_cuts_standard_setting_id = setting.id
    setting.applied_at = now()
    setting.applied_by_id = actor.id
    setting.result = {"cuts": result.cuts, "round": result.round,
                      "boundaries": {b.level: {"cut": b.cut, "sd": b.sd, "low": b.low, "high": b.high}
                                     for b in result.boundaries}}
    setting.note = (note or "").strip() or None
    audit.record(session, "assessment.cuts_set", actor=actor, subject_type="assessment", subject_id=assessment.id,
                 data={"standard_setting": setting.id, "method": setting.method, "round": result.round,
                       "previous": previous, "cuts": result.cuts, "note": setting.note})
    return result.cuts


def cuts_came_from(session: Session, assessment: Assessment, standard_setting_id: int, cuts) -> bool:
    """Whether ``cuts`` are the applied result of that standard setting of this assessment."""
    setting = session.get(StandardSetting, standard_setting_id)
    if setting is None or setting.assessment_id != assessment.id or setting.applied_at is None or not cuts:
        return False
    applied = (setting.result or {}).get("cuts") or []
    return len(applied) == len(cuts) and all(abs(a - b) < 1e-9 for a, b in zip(applied, cuts))


# --- the classical pilot -----------------------------------------------------------------------

def record_pilot(session: Session, assessment: Assessment, *, actor: User) -> dict[str, Any]:
    """Measure the form's reliability (KR-20 / alpha) from its scored attempts and record it
    with the score mean and SD as the assessment's classical pilot (audited).

    Attempts are grouped by the set of items they scored (a fixed form gives one group); the
    largest group is the pilot.

    :raise Invalid: if no form has :data:`MIN_PILOT_ATTEMPTS` scored attempts.
    """
    from piaa.psychometrics.classical import cronbach_alpha

    rows = session.execute(
        select(AttemptItem.attempt_id, AttemptItem.item_id, AttemptItem.credit, AttemptItem.max_credit)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.assessment_id == assessment.id, Attempt.state == states.SCORED,
               AttemptItem.scored.is_(True))).all()
    by_attempt: dict[int, dict[int, tuple[float, float]]] = {}
    for attempt_id, item_id, credit, top in rows:
        by_attempt.setdefault(attempt_id, {})[item_id] = (credit or 0.0, top or 0.0)
    forms: dict[frozenset, list[int]] = {}
    for attempt_id, items in by_attempt.items():
        forms.setdefault(frozenset(items), []).append(attempt_id)
    form, attempts = max(forms.items(), key=lambda kv: len(kv[1]), default=(frozenset(), []))
    if len(attempts) < MIN_PILOT_ATTEMPTS:
        raise Invalid(N_("a pilot needs {min_pilot_attempts} scored attempts of one form; the largest group "
                         "has {n_attempts}"), field="pilot",
                      values={"min_pilot_attempts": MIN_PILOT_ATTEMPTS, "n_attempts": len(attempts)})
    items = sorted(form)
    x = np.array([[by_attempt[a][i][0] for i in items] for a in attempts])
    max_score = float(sum(by_attempt[attempts[0]][i][1] for i in items))
    totals = x.sum(axis=1)
    reliability = float(cronbach_alpha(x).alpha)
    pilot = {"reliability": reliability, "mean": float(totals.mean()), "sd": float(totals.std(ddof=1)),
             "max_score": max_score, "n": len(attempts), "items": items, "recorded_at": now().isoformat()}
    previous = assessment.classical_pilot
    assessment.classical_pilot = pilot
    audit.record(session, "assessment.pilot_recorded", actor=actor, subject_type="assessment",
                 subject_id=assessment.id, data={k: v for k, v in pilot.items() if k != "items"}
                 | {"previous_reliability": previous["reliability"] if previous else None})
    return pilot


# --- what the pages show -------------------------------------------------------------------------

def assessments(session: Session) -> list[Assessment]:
    return list(session.scalars(select(Assessment).order_by(Assessment.code)))


def get_assessment(session: Session, assessment_id: int) -> Assessment:
    """:raise NotFound: for an unknown id."""
    found = session.get(Assessment, assessment_id)
    if found is None:
        raise NotFound(N_("assessment {assessment_id} does not exist"), values={"assessment_id": assessment_id})
    return found


def _stems(session: Session, item_ids) -> dict[int, tuple[str, dict]]:
    """Item id -> (code, stem texts) of the item's current version."""
    items = session.scalars(select(Item).where(Item.id.in_(list(item_ids))))
    return {item.id: (item.code, (item.current.content or {}).get("stem") or {}) for item in items}


def booklet_pages(session: Session, setting: StandardSetting) -> list[dict]:
    """The ordered item booklet as the panel reads it: page, item code, stem, RP location."""
    if setting.method != BOOKMARK:
        return []
    stems = _stems(session, {p["item_id"] for p in setting.booklet})
    return [p | {"code": stems.get(p["item_id"], ("?", {}))[0], "stem": stems.get(p["item_id"], ("?", {}))[1]}
            for p in setting.booklet]


def angoff_items(session: Session, setting: StandardSetting) -> list[dict]:
    if setting.method != ANGOFF:
        return []
    stems = _stems(session, setting.items)
    return [{"item_id": i, "code": stems.get(i, ("?", {}))[0], "stem": stems.get(i, ("?", {}))[1]}
            for i in setting.items]


def entered(session: Session, setting: StandardSetting) -> dict[int, dict]:
    """This round's ratings by panellist id: {(level, item_id): value}."""
    found: dict[int, dict] = {}
    for r in session.scalars(select(Rating).where(Rating.standard_setting_id == setting.id,
                                                  Rating.round == setting.current_round)):
        found.setdefault(r.panellist_id, {})[(r.level, r.item_id)] = r.value
    return found
