"""What a candidate's client receives of an attempt: its status with the proctor's pending
warnings, and the items the candidate may see now. The candidate API answers with these,
and the sitting page carries the same in its settings, so that a first load or a reload
shows the question without asking the API again.

Built only from ``piaa.delivery.attempts.status`` and ``candidate_item``, which carry no
key, credit, parameter or unadministered item.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from piaa.delivery import attempts as attempt_service
from piaa.delivery import proctoring
from piaa.delivery.models import Attempt, AttemptItem


def status(session: Session, attempt: Attempt, answered: int | None = None) -> dict[str, Any]:
    """``attempts.status`` with the warnings the candidate has not acknowledged."""
    body = attempt_service.status(session, attempt, answered=answered)
    body["warnings"] = proctoring.pending_warnings(session, attempt)
    return body


def items(session: Session, attempt: Attempt, lang: str | None = None,
          rows: list[AttemptItem] | None = None) -> list[dict[str, Any]]:
    """The candidate's view of ``rows`` (default: ``visible_items``, which marks them shown)
    in ``lang`` if the assessment offers it, else in the attempt's language."""
    lang = lang if lang in attempt.assessment.languages else None
    if rows is None:
        rows = attempt_service.visible_items(session, attempt)
    versions = attempt_service.item_versions(session, attempt, rows) if rows else {}
    return [attempt_service.candidate_item(attempt, row, lang, versions[row.version_id]) for row in rows]
