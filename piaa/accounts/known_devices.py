"""Browsers known to an account: a signed cookie, given to a browser when someone signs in
to the account from it, that lets that browser past the lockout others can cause.

This is the "device cookie" defence (OWASP, "Slow Down Online Guessing Attacks with Device
Cookies"): failed sign-ins from a known browser are counted for that browser alone, and only
browsers the account does not know share the account-wide limit, so an attacker who fails on
purpose locks out himself and other unknown browsers, never the owner's own. The cookie holds
a random device id and keyed digests of the accounts signed in from it (not the e-mails: a
shared computer must not list who used it); it needs no storage, so it works while Redis is
away too.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "piaa_device"
MAX_AGE_S = 180 * 24 * 3600
MAX_ACCOUNTS = 8  # a shared computer remembers the last few accounts signed in from it


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="piaa.known-device")


def _account_digest(email: str) -> str:
    key = hashlib.sha256(b"piaa.known-device:" + current_app.secret_key.encode()).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _read() -> dict | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        payload = _serializer().loads(value, max_age=MAX_AGE_S)
    except BadSignature:
        return None
    if not (isinstance(payload, dict) and isinstance(payload.get("d"), str)
            and isinstance(payload.get("a"), list)):
        return None
    return payload


def device_for(email: str) -> str | None:
    """The id of this browser if it has signed in to the account ``email`` before, else None."""
    payload = _read()
    if payload is None or _account_digest(email) not in payload["a"]:
        return None
    return payload["d"]


def remember(response, email: str) -> None:
    """Mark this browser as known to the account ``email`` (on a successful sign-in)."""
    payload = _read() or {"d": secrets.token_urlsafe(12), "a": []}
    digest = _account_digest(email)
    accounts = [digest] + [known for known in payload["a"] if known != digest]
    value = _serializer().dumps({"d": payload["d"], "a": accounts[:MAX_ACCOUNTS]})
    response.set_cookie(COOKIE, value, max_age=MAX_AGE_S, path="/login", httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("PIAA_HTTPS")))
