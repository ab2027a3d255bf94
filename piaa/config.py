"""Settings: defaults, then PIAA_* environment variables, then explicit overrides."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Return PIAA_SECRET_KEY, or a key generated once into the instance folder."""
    if key := os.environ.get("PIAA_SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_settings(instance_path: Path) -> dict:
    """Settings for a service running in ``instance_path``.

    Every setting a deployment may change is read from a ``PIAA_`` variable so that the
    web tier stays stateless and configurable the same way in Docker and on a laptop.
    """
    env = os.environ.get
    database_url = env("PIAA_DATABASE_URL") or f"sqlite:///{instance_path / 'piaa.sqlite3'}"
    https = env("PIAA_HTTPS", "0") == "1"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PIAA_REDIS_URL": env("PIAA_REDIS_URL") or None,
        "PIAA_HTTPS": https,
        "PIAA_BASE_URL": env("PIAA_BASE_URL", "http://127.0.0.1:5000"),
        "PIAA_SIGNING_KEY_FILE": env("PIAA_SIGNING_KEY_FILE") or None,
        "PIAA_SIGNING_CERT_FILE": env("PIAA_SIGNING_CERT_FILE") or None,
        "PIAA_SIGNING_CERT_KEY_FILE": env("PIAA_SIGNING_CERT_KEY_FILE") or None,
        # Uploaded files waiting for an import job; shared storage when workers run elsewhere.
        "PIAA_UPLOAD_DIR": env("PIAA_UPLOAD_DIR") or str(instance_path / "uploads"),
        # Where the processes of one machine announce changes to users and tokens to each
        # other (``piaa.accounts.holder_changes``): a file all of them can write.
        "PIAA_HOLDER_STAMP": env("PIAA_HOLDER_STAMP") or str(instance_path / "holders.stamp"),
        # A classical (uncalibrated) score certifies only on a form whose pilot reliability
        # (KR-20 / alpha) reaches this, and with cuts from a recorded standard setting.
        "PIAA_CLASSICAL_RELIABILITY_FLOOR": float(env("PIAA_CLASSICAL_RELIABILITY_FLOOR", "0.80")),
        # E-mail (piaa.mail): SMTP when PIAA_MAIL_SERVER is set, else .eml files in the outbox.
        "PIAA_MAIL_SERVER": env("PIAA_MAIL_SERVER") or None,
        "PIAA_MAIL_PORT": env("PIAA_MAIL_PORT") or None,
        "PIAA_MAIL_SECURITY": env("PIAA_MAIL_SECURITY", "starttls"),
        "PIAA_MAIL_USERNAME": env("PIAA_MAIL_USERNAME") or None,
        "PIAA_MAIL_PASSWORD": env("PIAA_MAIL_PASSWORD") or None,
        "PIAA_MAIL_SENDER": env("PIAA_MAIL_SENDER", "PIAA <no-reply@localhost>"),
        "PIAA_MAIL_OUTBOX": env("PIAA_MAIL_OUTBOX") or str(instance_path / "outbox"),
        # How long a workplace rater's invitation link stays valid.
        "PIAA_INVITATION_DAYS": int(env("PIAA_INVITATION_DAYS", "14")),
        "RATELIMIT_STORAGE_URI": env("PIAA_REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # A Redis that stops answering (rather than refusing) must not hold a sign-in for the
        # system's connect timeout: after a second the limiter counts in memory instead.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}
        if env("PIAA_REDIS_URL") else {},
        # A sliding window: a fixed one lets twice the limit through across its boundary.
        "RATELIMIT_STRATEGY": "moving-window",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "JSON_SORT_KEYS": False,
    }
