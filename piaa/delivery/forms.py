"""Form assembly: fixed forms, LOFT forms drawn per candidate, adaptive item selection, and
the seeding of unscored pretest items.

Rules kept here:

* Items come from the assessment's competency (and bank, if it names one): operational
  items are scored, approved (pretest) items are seeded unscored.
* An official never meets an item again in a later attempt on the same competency, so the
  pre- and post-course sittings draw disjoint items of the same scale.
* LOFT draws each blueprint cell's items least-administered first (ties broken at random),
  so the exposure of items within a cell never differs by more than the draws in flight.
* Adaptive selection aims at the level (``cut_doubt`` of ``piaa.psychometrics.cat``:
  information at the cut scores whose side is still in doubt, at θ̂ once every side is
  settled; maximum information at θ̂ for an assessment without cut scores), with
  Kingsbury–Zara content balancing over the blueprint's sub-areas. Exposure control is
  Sympson–Hetter with the parameters of the assessment's last bank-readiness check
  (``piaa.delivery.readiness``) while the parameter set they were computed for is active,
  and the randomesque choice among ``exposure_k`` items otherwise. θ is the EAP of the
  answers so far; the level's posterior probability decides the stop.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from piaa.clock import now
from piaa.delivery.assessments import blueprint_cells
from piaa.delivery.models import ADAPTIVE, FIXED, Assessment, Attempt, AttemptItem, FixedForm
from piaa.delivery.parameters import (TRANSACTION_POOLS, active_parameter_set_id, forget_active_sets,
                                     parameter_rows, stack_rows)
from piaa.errors import Conflict, Invalid
from piaa.items import item_models
from piaa.i18n import N_
from piaa.items.calibration_models import ParameterSet
from piaa.items.models import APPROVED, OPERATIONAL, Item, ItemVersion
from piaa.process_cache import ProcessCache
from piaa.psychometrics.cat import (ContentBlueprint, ItemBank, NoItemAvailableError, StoppingRule,
                                    SympsonHetter, select_next_item)
from piaa.psychometrics.cat.selection import posterior_mean_sd


@dataclass(frozen=True)
class PoolItem:
    item_id: int
    version_id: int
    level: int
    sub_area: str | None

    @property
    def cell(self) -> str:
        return f"L{self.level}/{self.sub_area or '*'}"


def attempt_rng(attempt: Attempt, *stream: int) -> np.random.Generator:
    """The attempt's own random stream for one purpose: reproducible, independent of others."""
    return np.random.default_rng([attempt.seed, *stream])


# --- pools ---------------------------------------------------------------------------------

def pool(session: Session, assessment: Assessment, state: str) -> list[PoolItem]:
    """The assessment's items in ``state``, at their current version, by id."""
    query = (select(Item.id, ItemVersion.id, ItemVersion.level, ItemVersion.sub_area)
             .join(ItemVersion, (ItemVersion.item_id == Item.id)
                   & (ItemVersion.number == Item.current_version))
             .where(Item.competency_id == assessment.competency_id, Item.state == state)
             .order_by(Item.id))
    if assessment.bank_id is not None:
        query = query.where(Item.bank_id == assessment.bank_id)
    return [PoolItem(*row) for row in session.execute(query)]


def seen_item_ids(session: Session, user_id: int, competency_id: int,
                  exclude_attempt_id: int | None = None) -> set[int]:
    """Items the official met in earlier attempts on the competency (voided ones included:
    the official saw them all the same)."""
    query = (select(AttemptItem.item_id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
             .join(Assessment, Assessment.id == Attempt.assessment_id)
             .where(Attempt.user_id == user_id, Assessment.competency_id == competency_id))
    if exclude_attempt_id is not None:
        query = query.where(Attempt.id != exclude_attempt_id)
    return set(session.scalars(query))


def exposure_counts(session: Session, assessment_id: int, item_ids: Iterable[int]) -> dict[int, int]:
    """How many attempts of the assessment have administered each item."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.execute(select(AttemptItem.item_id, func.count())
                           .where(AttemptItem.assessment_id == assessment_id,
                                  AttemptItem.item_id.in_(ids))
                           .group_by(AttemptItem.item_id))
    return dict(rows.all())


def least_exposed(candidates: list[PoolItem], counts: dict[int, int], k: int,
                  rng: np.random.Generator) -> list[PoolItem]:
    """The ``k`` least-administered candidates, ties broken at random."""
    if not candidates:
        return []
    used = np.array([counts.get(c.item_id, 0) for c in candidates])
    order = np.lexsort((rng.random(len(candidates)), used))
    return [candidates[i] for i in order[:k]]


# --- fixed and LOFT forms ------------------------------------------------------------------

def _draw_blueprint(assessment: Assessment, available: list[PoolItem], counts: dict[int, int],
                    rng: np.random.Generator) -> list[PoolItem]:
    """One blueprint-satisfying draw from ``available``.

    :raise Conflict: naming the first cell that falls short by more than the tolerance.
    """
    tolerance = int(assessment.blueprint.get("tolerance", 0))
    chosen: list[PoolItem] = []
    taken: set[int] = set()
    for cell in blueprint_cells(assessment.blueprint):
        candidates = [p for p in available if p.item_id not in taken and cell.holds(p.level, p.sub_area)]
        drawn = least_exposed(candidates, counts, cell.count, rng)
        if cell.count - len(drawn) > tolerance:
            raise Conflict(N_("assessment {assessment_code}: blueprint cell {label} needs {count} items but "
                              "only {n_drawn} unseen operational items are available (tolerance {tolerance})"), code="pool_exhausted",
                           values={"assessment_code": assessment.code, "label": cell.label, "count": cell.count,
                                   "n_drawn": len(drawn), "tolerance": tolerance})
        chosen += drawn
        taken.update(p.item_id for p in drawn)
    return chosen


def draw_loft_form(session: Session, assessment: Assessment, seen: set[int],
                   rng: np.random.Generator) -> list[PoolItem]:
    """A fresh blueprint-satisfying form, least-exposed items first, in random order."""
    available = [p for p in pool(session, assessment, OPERATIONAL) if p.item_id not in seen]
    counts = exposure_counts(session, assessment.id, (p.item_id for p in available))
    chosen = _draw_blueprint(assessment, available, counts, rng)
    return [chosen[i] for i in rng.permutation(len(chosen))]


def assemble_fixed_form(session: Session, assessment: Assessment, rng: np.random.Generator,
                        item_ids: list[int] | None = None) -> FixedForm:
    """A new fixed form: the given operational items in order, or a blueprint draw disjoint
    from the assessment's other forms (so pre and post sittings can take different forms).

    :raise Invalid: if a given item is not an operational item of the competency.
    :raise Conflict: if the pool cannot fill the blueprint.
    """
    if assessment.mode != FIXED:
        raise Invalid(N_("assessment {assessment_code} is {assessment_mode}; only fixed-mode assessments "
                         "have fixed forms"), field="mode",
                      values={"assessment_code": assessment.code, "assessment_mode": assessment.mode})
    available = pool(session, assessment, OPERATIONAL)
    if item_ids is not None:
        by_id = {p.item_id: p for p in available}
        missing = [i for i in item_ids if i not in by_id]
        if missing or not item_ids:
            raise Invalid(N_("items {value} are not operational items of competency {competency_code}"), field="items",
                          values={"value": str(missing or item_ids), "competency_code": assessment.competency.code})
        chosen = [by_id[i] for i in item_ids]
    else:
        on_forms = {entry["item_id"] for form in assessment.forms for entry in form.items}
        chosen = _draw_blueprint(assessment, [p for p in available if p.item_id not in on_forms], {}, rng)
    versions = dict(session.execute(select(ItemVersion.id, ItemVersion.number)
                                    .where(ItemVersion.id.in_([p.version_id for p in chosen]))).all())
    form = FixedForm(assessment_id=assessment.id, number=len(assessment.forms) + 1, created_at=now(),
                     items=[{"item_id": p.item_id, "version": versions[p.version_id]} for p in chosen])
    session.add(form)
    session.flush()
    session.refresh(assessment, ["forms"])
    return form


def choose_fixed_form(session: Session, assessment: Assessment, seen: set[int],
                      rng: np.random.Generator) -> tuple[FixedForm, list[PoolItem]]:
    """A form with no item the official has met, at random among such forms.

    :raise Conflict: if every form shares an item with an earlier sitting.
    """
    fresh = [f for f in assessment.forms if not seen & {e["item_id"] for e in f.items}]
    if not fresh:
        raise Conflict(N_("assessment {assessment_code} has no fixed form free of items this official met "
                          "before; assemble another form"), code="pool_exhausted",
                       values={"assessment_code": assessment.code})
    form = fresh[int(rng.integers(len(fresh)))]
    keys = [(e["item_id"], e["version"]) for e in form.items]
    rows = session.execute(select(ItemVersion.item_id, ItemVersion.number, ItemVersion.id,
                                  ItemVersion.level, ItemVersion.sub_area)
                           .where(ItemVersion.item_id.in_([k[0] for k in keys])))
    found = {(r[0], r[1]): PoolItem(r[0], r[2], r[3], r[4]) for r in rows}
    return form, [found[k] for k in keys]


def draw_pretest(session: Session, assessment: Assessment, seen: set[int],
                 rng: np.random.Generator) -> list[PoolItem]:
    """Up to ``pretest_count`` approved (uncalibrated) items, least exposed first."""
    if assessment.pretest_count <= 0:
        return []
    available = [p for p in pool(session, assessment, APPROVED) if p.item_id not in seen]
    counts = exposure_counts(session, assessment.id, (p.item_id for p in available))
    return least_exposed(available, counts, assessment.pretest_count, rng)


def seed_positions(n_total: int, n_pretest: int, rng: np.random.Generator) -> list[int]:
    """Random distinct positions in ``0..n_total-1`` for the pretest items, ascending."""
    return sorted(int(p) for p in rng.choice(n_total, size=n_pretest, replace=False))


def interleave(scored: list[PoolItem], pretest: list[PoolItem],
               rng: np.random.Generator) -> list[tuple[PoolItem, bool]]:
    """The form in delivery order: (item, scored?) with pretest items at random positions."""
    n = len(scored) + len(pretest)
    positions = set(seed_positions(n, len(pretest), rng))
    scored_iter, pretest_iter = iter(scored), iter(pretest)
    return [(next(pretest_iter), False) if i in positions else (next(scored_iter), True)
            for i in range(n)]


# --- adaptive ------------------------------------------------------------------------------

@dataclass(frozen=True)
class VersionView:
    """An item version as delivery uses it: its item's type name and its content (read
    only: the same object serves every request of the process)."""

    item_type: str
    content: dict


@dataclass
class AdaptivePool:
    """A calibrated pool ready for selection: built once per process and parameter set,
    with the content of each item's current version, so neither scoring an answer nor
    showing the next item asks the database for it."""

    parameter_set_id: int
    model: str
    items: list[PoolItem]
    index: dict[int, int]
    bank: ItemBank
    content: ContentBlueprint | None
    versions: dict[int, VersionView]


# Item states change rarely (promotion, retirement); a minute's delay before a selection
# pool sees that is harmless and saves rebuilding the bank arrays on every answer.
POOL_TTL_S = 60.0
_POOLS = ProcessCache(ttl_s=lambda: POOL_TTL_S)  # (assessment id, parameter set id) -> pool


def _content_blueprint(assessment: Assessment, labels: list[str]) -> ContentBlueprint | None:
    wanted: dict[str, int] = {}
    for cell in blueprint_cells(assessment.blueprint):
        if cell.sub_area is not None and cell.sub_area in labels:
            wanted[cell.sub_area] = wanted.get(cell.sub_area, 0) + cell.count
    total = sum(wanted.values())
    if not total:
        return None
    return ContentBlueprint({k: v / total for k, v in wanted.items()})


# The pool found first in a transaction serves the rest of it (a next-item call asks three
# times); forgotten when the transaction ends or a parameter set is activated in it.
@event.listens_for(Session, "after_transaction_end")
def _forget_transaction_pools(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(TRANSACTION_POOLS, None)


def adaptive_pool(session: Session, assessment: Assessment) -> AdaptivePool:
    """:raise Conflict: if the competency has no active parameter set or no calibrated item."""
    pools = session.info.setdefault(TRANSACTION_POOLS, {})
    if assessment.id not in pools:
        pools[assessment.id] = _adaptive_pool(session, assessment)
    return pools[assessment.id]


def _adaptive_pool(session: Session, assessment: Assessment) -> AdaptivePool:
    set_id = active_parameter_set_id(session, assessment.competency_id)
    if set_id is None:
        raise Conflict(N_("adaptive assessment {assessment_code} needs calibrated items: competency "
                          "{competency_code} has no active parameter set"), code="not_calibrated",
                       values={"assessment_code": assessment.code, "competency_code": assessment.competency.code})
    key = (assessment.id, set_id)
    cached = _POOLS.get(key)
    if cached is not None:
        return cached
    parameter_set = session.get(ParameterSet, set_id)
    rows = parameter_rows(session, parameter_set)
    items = [p for p in pool(session, assessment, OPERATIONAL) if p.item_id in rows]
    if not items:
        raise Conflict(N_("adaptive assessment {assessment_code}: no operational item has parameters in "
                          "parameter set {parameter_set_id}"), code="not_calibrated",
                       values={"assessment_code": assessment.code, "parameter_set_id": parameter_set.id})
    labels = [p.sub_area or "" for p in items]
    params = stack_rows(parameter_set.model, [rows[p.item_id] for p in items])
    bank = ItemBank(params, model=parameter_set.model, content=np.array(labels, dtype=object))
    return _POOLS.put(key, AdaptivePool(parameter_set.id, parameter_set.model, items,
                                        {p.item_id: j for j, p in enumerate(items)}, bank,
                                        _content_blueprint(assessment, labels),
                                        version_views(session, [p.version_id for p in items])))


def version_views(session: Session, version_ids: Iterable[int],
                  adaptive: AdaptivePool | None = None) -> dict[int, VersionView]:
    """Type and content of each version: from the adaptive pool or the process's cache where
    they hold it, and from the database (one query) for the rest.

    Only frozen versions are administered (submitted for review or loaded as approved), and
    the database layer refuses to change a frozen one, so a version read once serves every
    later request of the process."""
    found: dict[int, VersionView] = {}
    missing = []
    for version_id in dict.fromkeys(version_ids):
        view = adaptive.versions.get(version_id) if adaptive is not None else None
        view = view or _VERSIONS.get(version_id)
        if view is None:
            missing.append(version_id)
        else:
            found[version_id] = view
    if missing:
        rows = session.execute(select(ItemVersion.id, Item.type, ItemVersion.content, ItemVersion.frozen_at)
                               .join(Item, Item.id == ItemVersion.item_id)
                               .where(ItemVersion.id.in_(missing)))
        for version_id, item_type, content, frozen_at in rows:
            found[version_id] = VersionView(item_type, content)
            if frozen_at is not None:
                _VERSIONS.put(version_id, found[version_id])
    return found


# Frozen item versions by id (see ``version_views``), the oldest stored dropped first.
VERSION_CACHE_SIZE = 20_000
_VERSIONS = ProcessCache(max_size=VERSION_CACHE_SIZE)


def clear_pool_cache() -> None:
    _POOLS.clear()
    _VERSIONS.clear()
    forget_active_sets()


def _answered(adaptive: AdaptivePool, answered: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    given = [(adaptive.index[item_id], category) for item_id, category in answered
             if item_id in adaptive.index and category is not None]
    return [i for i, _ in given], [c for _, c in given]


def answers_posterior(adaptive: AdaptivePool, answered: list[tuple[int, int]]) -> np.ndarray:
    """(1, Q) posterior weights on the bank's θ nodes from (item id, category) pairs of scored
    items: computed once per move, it serves θ̂, the level's confidence and the selection."""
    return adaptive.bank.posterior_of(*_answered(adaptive, answered))


def current_estimate(adaptive: AdaptivePool, answered: list[tuple[int, int]],
                     posterior: np.ndarray | None = None) -> tuple[float, float]:
    """EAP θ and posterior SD from (item id, category) pairs of scored items (or from their
    ``posterior``, see ``answers_posterior``)."""
    if posterior is None:
        return adaptive.bank.eap_of(*_answered(adaptive, answered))
    mean, sd = posterior_mean_sd(posterior, adaptive.bank.nodes)
    return float(mean[0]), float(sd[0])


def level_confidence(adaptive: AdaptivePool, cuts: list[float], answered: list[tuple[int, int]],
                     posterior: np.ndarray | None = None) -> float:
    """Posterior probability of the most probable level given the answers so far (or their
    ``posterior``, see ``answers_posterior``)."""
    if posterior is None:
        posterior = answers_posterior(adaptive, answered)
    return float(adaptive.bank.level_probabilities(posterior, cuts).max())


def stopping_rule(assessment: Assessment) -> StoppingRule:
    """The adaptive stop: the level decided with the assessment's ``confidence_threshold``
    (when it has cut scores), the SE target, or ``max_items``; never before ``min_items``."""
    confidence = assessment.confidence_threshold if assessment.cut_scores else None
    return _stopping_rule(assessment.se_target, assessment.min_items or 1, assessment.max_items, confidence)


@functools.lru_cache(maxsize=256)
def _stopping_rule(se_target: float | None, min_items: int, max_items: int | None,
                   confidence: float | None) -> StoppingRule:
    # A rule is checked as it is built; a few distinct ones serve every move of a process.
    return StoppingRule(se_target=se_target, min_items=min_items, max_items=max_items, confidence=confidence)


def exposure_control(adaptive: AdaptivePool, assessment: Assessment) -> SympsonHetter | None:
    """Sympson–Hetter parameters of the assessment's last readiness check, aligned with the
    pool, if they were computed for the active parameter set; None otherwise."""
    stored = assessment.exposure_control
    if not assessment.max_exposure or not stored \
            or stored.get("parameter_set_id") != adaptive.parameter_set_id:
        return None
    k = stored.get("k", {})
    # Items calibrated after the check (none, as a rule) are not held back.
    return SympsonHetter(np.array([float(k.get(str(p.item_id), 1.0)) for p in adaptive.items]))


def select_adaptive_item(adaptive: AdaptivePool, assessment: Assessment, theta: float,
                         administered_ids: Iterable[int], excluded_ids: Iterable[int],
                         rng: np.random.Generator, answered: list[tuple[int, int]] = (),
                         posterior: np.ndarray | None = None) -> tuple[PoolItem | None, list[int]]:
    """The next item and the items Sympson–Hetter passed over (which the paper's procedure
    keeps from this candidate for the rest of the test); (None, []) when the pool is
    exhausted. ``answered``: (item id, category) pairs, for the posterior at the cuts (or
    that ``posterior`` itself, see ``answers_posterior``)."""
    n = adaptive.bank.n_items
    administered = np.zeros(n, dtype=bool)
    excluded = np.zeros(n, dtype=bool)
    administered[[adaptive.index[i] for i in administered_ids if i in adaptive.index]] = True
    excluded[[adaptive.index[i] for i in excluded_ids if i in adaptive.index]] = True
    cuts = assessment.cut_scores or None
    control = exposure_control(adaptive, assessment)
    try:
        selection = select_next_item(
            theta, adaptive.bank, administered, excluded=excluded,
            criterion="cut_doubt" if cuts else "mfi", cuts=cuts,
            posterior=(posterior if posterior is not None else answers_posterior(adaptive, list(answered)))
            if cuts else None,
            randomesque=1 if control is not None else assessment.exposure_k, exposure=control,
            blueprint=adaptive.content, rng=rng)
    except NoItemAvailableError:
        return None, []
    return adaptive.items[selection.item], [adaptive.items[j].item_id for j in selection.rejected]


def adaptive_pretest_positions(assessment: Assessment, n_pretest: int,
                               rng: np.random.Generator) -> list[int]:
    """Pretest positions inside the part of the test that is always given (before the
    minimum length can end it), so every seeded item is administered."""
    rule = stopping_rule(assessment)
    fixed_length = rule.se_target is None and rule.confidence is None
    always = assessment.max_items if fixed_length else (assessment.min_items or 1)
    return seed_positions(always + n_pretest, n_pretest, rng)


def is_adaptive(assessment: Assessment) -> bool:
    return assessment.mode == ADAPTIVE


def row_content(attempt: Attempt, row: AttemptItem, version: VersionView) -> dict:
    """The content the attempt works on for ``row``: an item model's own instance (drawn once,
    seeded from the attempt's seed and the item, and kept on the row so the scored instance
    can be shown again), else the version's content. Only a model's row reads its instance and
    seed: the answer's lock loads neither (``tests/delivery/test_performance_paths.py``)."""
    if not item_models.is_model(version.content):
        return version.content
    content, instance = item_models.attempt_content(version.content, version.item_type, row.instance,
                                                    [attempt.seed, row.item_id])
    if instance is not None and row.instance is None:
        row.instance = instance
    return content
