"""What the role dashboards show: counts across the domains, read in a few grouped queries,
and the links a role has, limited to the pages this installation serves."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from piaa.accounts.models import User
from piaa.certificates.models import Certificate
from piaa.clock import now
from piaa.delivery.models import Assessment, Cohort, Window
from piaa.items.models import DRAFT, IN_REVIEW, Item


@dataclass(frozen=True)
class Link:
    label: str
    endpoint: str
    description: str = ""


def existing(links: list[Link]) -> list[Link]:
    """The links whose endpoint this app serves (a domain not installed yet shows nothing)."""
    return [link for link in links if link.endpoint in current_app.view_functions]


def admin_counts(session: Session) -> dict[str, int]:
    at = now()
    items = dict(session.execute(select(Item.state, func.count(Item.id))
                                 .where(Item.state.in_((DRAFT, IN_REVIEW))).group_by(Item.state)).all())
    return {
        "assessments": session.scalar(select(func.count(Assessment.id))) or 0,
        "cohorts": session.scalar(select(func.count(Cohort.id))) or 0,
        "open_windows": session.scalar(select(func.count(Window.id))
                                       .where(Window.opens_at <= at, Window.closes_at > at)) or 0,
        "active_accounts": session.scalar(select(func.count(User.id)).where(User.active.is_(True))) or 0,
        "valid_certificates": session.scalar(select(func.count(Certificate.id))
                                             .where(Certificate.revoked_at.is_(None))) or 0,
        "revoked_certificates": session.scalar(select(func.count(Certificate.id))
                                               .where(Certificate.revoked_at.is_not(None))) or 0,
        "drafts": items.get(DRAFT, 0),
        "in_review": items.get(IN_REVIEW, 0),
    }
