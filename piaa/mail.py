"""Sending e-mail: through an SMTP server when ``PIAA_MAIL_SERVER`` is set, otherwise into an
outbox folder (``PIAA_MAIL_OUTBOX``, by default ``instance/outbox``), one ``.eml`` file per
message, so a single-machine service and its developers can read what would have gone out.

Sending is a side effect kept out of services: a view (or job) sends after its unit of work
has committed, and a failure is reported to the caller (:class:`MailError`), never swallowed.
"""
from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import Flask, current_app

from piaa.errors import DomainError
from piaa.i18n import N_


class MailError(DomainError):
    """The message could not be handed to the mail server."""

    status = 502
    code = "mail_failed"


@dataclass(frozen=True)
class MailSettings:
    server: str | None
    port: int
    username: str | None
    password: str | None
    security: str  # "starttls", "ssl" or "none"
    sender: str
    outbox: Path
    timeout: float = 10.0

    @classmethod
    def from_app(cls, app: Flask) -> MailSettings:
        c = app.config
        security = (c.get("PIAA_MAIL_SECURITY") or "starttls").lower()
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"PIAA_MAIL_SECURITY must be starttls, ssl or none, got {security!r}")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        return cls(server=c.get("PIAA_MAIL_SERVER") or None, port=int(c.get("PIAA_MAIL_PORT") or default_port),
                   username=c.get("PIAA_MAIL_USERNAME") or None, password=c.get("PIAA_MAIL_PASSWORD") or None,
                   security=security, sender=c.get("PIAA_MAIL_SENDER") or "PIAA <no-reply@localhost>",
                   outbox=Path(c.get("PIAA_MAIL_OUTBOX") or Path(app.instance_path) / "outbox"))


def message(to: str, subject: str, text: str, *, sender: str | None = None) -> EmailMessage:
    """A plain-text UTF-8 message (English and Hindi in one body read everywhere)."""
    mail = EmailMessage()
    mail["From"] = sender or MailSettings.from_app(current_app).sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="piaa")
    mail.set_content(text, charset="utf-8")
    return mail


def send(mail: EmailMessage, settings: MailSettings | None = None) -> str:
    """Hand ``mail`` to the SMTP server, or write it to the outbox; returns where it went.

    :raise MailError: if the server refuses it or cannot be reached.
    """
    settings = settings or MailSettings.from_app(current_app)
    if settings.server is None:
        settings.outbox.mkdir(parents=True, exist_ok=True)
        path = settings.outbox / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(mail))
        return str(path)
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password or "")
            client.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(N_("the e-mail to {to} could not be sent: {exc}"),
                        values={"to": mail['To'], "exc": exc}) from exc
    return f"smtp://{settings.server}:{settings.port}"
