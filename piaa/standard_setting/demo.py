"""Demo step: a small simulated panel sets an assessment's θ cut scores by the bookmark
method, through the same services the facilitator's pages use (start, bookmarks per round,
a second round, apply), so the demo's cuts come from a recorded standard setting.

How the simulated panellists judge: a borderline candidate of level L is taken to master
the items written for the levels below L and the easiest quarter of the items written for
level L (the item writers' level tags). A panellist's bookmark for level L is the page that
best splits the booklet into those items and the rest, moved by the panellist's own
judgement (a few pages either way); in the second round, having seen the panel's spread,
each panellist moves towards the panel's median.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa.accounts.models import User
from piaa.delivery.models import Assessment
from piaa.i18n import N_
from piaa.items.models import Item

from . import services
from .models import BOOKMARK, StandardSetting

# The simulated panel's members, by office (the catalogue holds their Hindi).
PANEL = (N_("District collector"), N_("Chief planning officer"), N_("Block development officer"),
         N_("Public-health programme manager"), N_("Faculty member, training institute"))
# Pages a panellist's bookmark strays from the panel's reading, round by round (SD).
ROUND_SPREAD = (3.0, 1.2)
MASTERED_SHARE_OF_OWN_LEVEL = 0.25


def applied_setting(session: Session, assessment: Assessment) -> StandardSetting | None:
    """The applied bookmark setting the assessment's θ cuts came from, if any."""
    if assessment.theta_cuts_standard_setting_id is None:
        return None
    setting = session.get(StandardSetting, assessment.theta_cuts_standard_setting_id)
    if setting is None or setting.applied_at is None or setting.method != BOOKMARK:
        return None
    return setting


def ideal_pages(tags: np.ndarray, levels: list[int]) -> dict[int, int]:
    """Page (1-based, 2..P) of each level's bookmark that best splits the booklet into the
    items a borderline candidate of that level masters (those before it) and the rest.

    tags : (P,) level tag of each page's item, in booklet order.
    """
    n = tags.size
    pages: dict[int, int] = {}
    for level in levels:
        own = np.flatnonzero(tags == level)
        mastered = tags < level
        mastered[own[:int(np.floor(MASTERED_SHARE_OF_OWN_LEVEL * own.size))]] = True
        # errors(p) for p = 2..P: unmastered pages before p plus mastered pages from p on.
        before = np.cumsum(~mastered)[:-1]
        after = mastered.sum() - np.cumsum(mastered)[:-1]
        errors = before + after
        best = np.flatnonzero(errors == errors.min())
        pages[level] = int(best[best.size // 2]) + 2
    return _rising(pages, n)


def _rising(pages: dict[int, int], n_pages: int) -> dict[int, int]:
    """Pages made strictly rising level by level within 2..P (a panellist's bookmarks move on)."""
    out, last = {}, 1
    for level in sorted(pages):
        page = min(max(pages[level], last + 1), n_pages - (len(pages) - len(out) - 1))
        out[level] = page
        last = page
    return out


def simulated_bookmark_setting(session: Session, assessment: Assessment, *, actor: User,
                               rng: np.random.Generator, panel=PANEL, rp: float = 0.67) -> StandardSetting:
    """Run a two-round bookmark setting of ``assessment`` with a simulated ``panel`` and
    apply its cuts (each step audited by the services).

    :raise Conflict: if the competency has no active parameter set.
    """
    setting = services.start(session, assessment, method=BOOKMARK, actor=actor, panellists=list(panel),
                             title=f"{assessment.title}: bookmark panel (simulated)", rp=rp)
    levels = list(setting.levels)
    level_of = dict(session.execute(select(Item.id, Item.level).where(
        Item.id.in_([p["item_id"] for p in setting.booklet]))).all())
    tags = np.array([level_of[p["item_id"]] for p in setting.booklet])
    n_pages = tags.size
    centre = {level: float(page) for level, page in ideal_pages(tags, levels).items()}
    for round_index, spread in enumerate(ROUND_SPREAD):
        chosen = {}
        for panellist in setting.panellists:
            pages = {level: int(round(centre[level] + rng.normal(0.0, spread))) for level in levels}
            chosen[panellist.name] = _rising(pages, n_pages)
            services.record_bookmarks(session, setting, panellist.id, chosen[panellist.name], actor=actor)
        # The next round starts from the panel's median, as the discussion of the spread moves it.
        centre = {level: float(np.median([pages[level] for pages in chosen.values()])) for level in levels}
        if round_index + 1 < len(ROUND_SPREAD):
            services.next_round(session, setting, actor=actor)
    services.apply(session, setting, actor=actor,
                   note="Demo: a simulated panel, whose judgement follows the item writers' level tags.")
    return setting
