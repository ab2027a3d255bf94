"""A rater's invitation: a signed link that expires, and the e-mail that carries it.

The link's token is signed with the service's secret key (itsdangerous) and dated by the
service's own clock, so it cannot be forged or guessed and stops working after
``PIAA_INVITATION_DAYS``. The database keeps only the SHA-256 of the newest token of each rater:
resending makes a new link and the old one stops working. A link rates once; afterwards it
only says that the ratings are recorded.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context, render_template
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from piaa.clock import now

SALT = "workplace-invitation"


class ClockSigner(TimestampSigner):
    """Dates and checks tokens by the service's injectable clock, not the machine's."""

    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=ClockSigner)


def validity() -> timedelta:
    return timedelta(days=int(current_app.config.get("PIAA_INVITATION_DAYS") or 14))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(rater_id: int) -> tuple[str, datetime]:
    """A new signed token for ``rater_id`` and when it expires."""
    token = _serializer().dumps({"r": rater_id, "n": secrets.token_urlsafe(8)})
    return token, now() + validity()


class LinkExpired(Exception):
    """The token is genuine but older than the validity period."""


def read_token(token: str) -> int | None:
    """The rater id a token was signed for; None if it is not one of ours.

    :raise LinkExpired: if it is ours but has expired.
    """
    try:
        payload = _serializer().loads(token or "", max_age=int(validity().total_seconds()))
    except SignatureExpired as exc:
        raise LinkExpired(str(exc)) from exc
    except BadSignature:
        return None
    rater_id = payload.get("r") if isinstance(payload, dict) else None
    return rater_id if isinstance(rater_id, int) else None


def invitation_email(invitation, link: str):
    """The invitation as an e-mail, English first and then Hindi in the same body."""
    from piaa import mail
    from piaa.i18n import gettext as _

    rater = invitation.rater
    official = rater.assessment.official
    subjects, bodies = [], []
    saved = getattr(g, "lang", None) if has_request_context() else None
    try:
        for lang in ("en", "hi"):
            if has_request_context():
                g.lang = lang
            subjects.append(_("Please rate the workplace behaviour of {name}", name=official.name))
            bodies.append(render_template("workplace/invitation_email.txt", rater=rater, official=official,
                                          link=link, expires_at=invitation.expires_at).strip())
    finally:
        if has_request_context():
            g.lang = saved
    return mail.message(rater.email, " / ".join(dict.fromkeys(subjects)), "\n\n----\n\n".join(bodies) + "\n")
