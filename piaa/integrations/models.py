"""Tables of the integrations: registered LTI platforms, the accounts their learners map to,
one-time launch values (nonces, states, entry tickets), launches that carry a gradebook
column, result webhooks, and the log of every result sent out."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.accounts.models import User
from piaa.extensions import db

# What an outbound delivery is: a score to a platform's gradebook, or a webhook POST.
AGS, WEBHOOK = "ags", "webhook"
PENDING, DELIVERED, GAVE_UP = "pending", "delivered", "gave_up"


class LtiPlatform(db.Model):
    """A learning platform registered by an administrator: what it told us when registering
    PIAA as a tool (issuer, client id, its endpoints and keys) and what we allow it."""

    __tablename__ = "lti_platform"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    auth_audience: Mapped[str | None] = mapped_column(String(500))
    # Either the platform's JWKS URL or its key set given at registration.
    key_set_url: Mapped[str | None] = mapped_column(String(500))
    key_set: Mapped[dict | None] = mapped_column(JSON)
    deployment_ids: Mapped[list] = mapped_column(JSON, default=list)
    # A launch whose e-mail claim names an existing PIAA account may link to it only if the
    # administrator trusts this platform's e-mail addresses.
    link_by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    # Learners launched from this platform are enrolled in this cohort, so its windows open
    # to them; None: they must be enrolled by the administrator beforehand.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    def __repr__(self) -> str:
        return f"<LtiPlatform {self.name} {self.issuer}>"


class LtiAccount(db.Model):
    """A platform's learner (its stable ``sub``) and the PIAA account they sit as."""

    __tablename__ = "lti_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    linked_by: Mapped[str] = mapped_column(String(16))  # created | email

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("platform_id", "subject"),)


class LtiLaunchValue(db.Model):
    """Short-lived values of the OIDC handshake (nonce, state) and entry tickets, kept in the
    database so every web worker sees them and a nonce can be used once only."""

    __tablename__ = "lti_launch_value"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict | list | str | int | bool | None] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LtiLaunch(db.Model):
    """A resource-link launch that led to an attempt, with where its score goes."""

    __tablename__ = "lti_launch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255))
    # Assignment and Grade Services: the column's URL and the scopes the platform granted.
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    ags_scopes: Mapped[list] = mapped_column(JSON, default=list)
    launched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    platform: Mapped[LtiPlatform] = relationship()


class Webhook(db.Model):
    """A URL that receives every scored result as a JSON POST signed with HMAC-SHA256."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(1000))
    # The shared secret must be readable to sign with; it is shown once when created.
    secret: Mapped[str] = mapped_column(String(128))
    # None: every assessment; else only results of this one.
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class OutboundDelivery(db.Model):
    """One result to send (a score to a gradebook, a webhook POST): its body, every try and
    how it ended. Failed tries wait with a growing delay before the next."""

    __tablename__ = "outbound_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("attempt_score.id"))
    launch_id: Mapped[int | None] = mapped_column(ForeignKey("lti_launch.id"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook.id"))
    url: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("kind", "score_id", "launch_id", "webhook_id"),)
