"""What officials hold: their proctored certified level of each competency (newest valid
certificate), with its date and the θ standard error of the attempt behind it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa.certificates.models import Certificate
from piaa.delivery.models import Attempt


@dataclass(frozen=True)
class Held:
    level: int
    assessed_at: datetime
    se: float | None


def held_levels(session: Session, user_ids: list[int], competency_codes: list[str]) -> dict[tuple[int, str], Held]:
    """``{(user_id, competency_code): Held}`` from each official's newest unrevoked certificate."""
    if not user_ids or not competency_codes:
        return {}
    rows = session.execute(
        select(Certificate.user_id, Certificate.competency_code, Certificate.level, Certificate.assessed_at,
               Attempt.se)
        .outerjoin(Attempt, Attempt.id == Certificate.attempt_id)
        .where(Certificate.user_id.in_(user_ids), Certificate.competency_code.in_(competency_codes),
               Certificate.revoked_at.is_(None))
        .order_by(Certificate.assessed_at, Certificate.id))
    held: dict[tuple[int, str], Held] = {}
    for user_id, code, level, assessed_at, se in rows:
        held[(user_id, code)] = Held(level, assessed_at, se)  # ordered by date: the newest stays
    return held
