"""Response headers that tell browsers and caches what they may do with our pages.

Flask-Talisman sets the Content-Security-Policy (scripts and styles from this site only: the
templates hold no inline script, style or event handler), frame, type-sniffing and referrer
rules, and HSTS on HTTPS requests when PIAA_HTTPS=1. HTTPS itself is the proxy's job, so
nothing is redirected here.

Every dynamic response is ``Cache-Control: no-store`` unless its view says otherwise (the
public status list): pages and API answers carry item content or personal data, which no
shared cache or back button should keep. Static files keep Flask's caching.
"""
from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HSTS_MAX_AGE_S = 365 * 24 * 3600



def init_security_headers(app: Flask) -> None:
    https = bool(app.config.get("PIAA_HTTPS"))
    Talisman(  # one per app: Talisman keeps its options on itself
        app, force_https=False, content_security_policy=CONTENT_SECURITY_POLICY,
        strict_transport_security=https, strict_transport_security_max_age=HSTS_MAX_AGE_S,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=https, session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        frame_options="DENY", referrer_policy="same-origin")

    @app.after_request
    def no_store(response):
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
