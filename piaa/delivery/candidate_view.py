"""What a candidate's client receives of an attempt: its status with the proctor's pending
warnings, and the items the candidate may see now. The candidate API answers with these,
and the sitting page carries the same in its settings, so that a first load or a reload
shows the question without asking the API again.

Built only from ``piaa.delivery.attempts.status`` and ``candidate_item``, which carry no
key, credit, parameter or unadministered item.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from piaa.delivery import attempts as attempt_service
from piaa.delivery import proctoring
from piaa.delivery.models import Attempt, AttemptItem


def status(session: Session, attempt: Attempt, answered: int | None = None) -> dict[str, Any]:
    """``attempts.status`` with the warnings the candidate has not acknowledged, and ``v``:
    its version (``version``)."""
    body = attempt_service.status(session, attempt, answered=answered)
    body["warnings"] = proctoring.pending_warnings(session, attempt)
    body["v"] = version(body)
    return body


def version(body: dict[str, Any]) -> str:
    """A short digest of what in a status the candidate's client acts on: the state, the
    deadline (to the second), whether the clock runs, admission, the position, the end of
    the questions, the pending warnings and the result. Two statuses with the same version
    differ only in what the client counts itself (time left, server time) or sent itself
    (answers), so a heartbeat that knows the version needs no status back (304, 204)."""
    deadline = body["deadline"] and round(datetime.fromisoformat(body["deadline"]).timestamp())
    stable = (body["state"], deadline, body["clock_running"], body["admitted"], body["requires_admission"],
              body["position"], body["complete"], [w["id"] for w in body["warnings"]], body["result"] is not None)
    return hashlib.blake2s(repr(stable).encode(), digest_size=4).hexdigest()


def items(session: Session, attempt: Attempt, lang: str | None = None,
          rows: list[AttemptItem] | None = None) -> list[dict[str, Any]]:
    """The candidate's view of ``rows`` (default: ``visible_items``, which marks them shown)
    in ``lang`` if the assessment offers it, else in the attempt's language."""
    lang = lang if lang in attempt.assessment.languages else None
    if rows is None:
        rows = attempt_service.visible_items(session, attempt)
    versions = attempt_service.item_versions(session, attempt, rows) if rows else {}
    return [attempt_service.candidate_item(attempt, row, lang, versions[row.version_id]) for row in rows]
