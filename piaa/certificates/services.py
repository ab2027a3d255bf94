"""Certificate rules: issue once per certifying attempt, render and sign, revoke, look up,
serve the status list, and verify uploaded copies. Services take the session, never commit.

Issuing from scoring
--------------------
The delivery domain calls, after an attempt is scored::

    on_attempt_scored(session, attempt_id=..., user=..., level=..., certifying_level=...,
                      competency_code=..., competency_name=..., level_label=...,
                      level_descriptor=..., agency_name=..., assessed_at=..., window_id=...)

which issues (through :func:`issue_for_attempt`) only when ``level >= certifying_level``;
delivery passes the level its decision confidence certifies, or None.
:func:`issue_for_attempt` is idempotent on ``attempt_id``: scoring the same attempt again,
from a retry or a re-score job, returns the certificate issued the first time. The credential
is signed at once; the PDF is rendered by a job queued for when the scoring commits
(:data:`RENDER_JOB`), so the candidate's request does not wait for it. A rescore that no
longer certifies revokes the attempt's certificate, with the reason in the audit log; one
that certifies a different level revokes the old certificate and issues one stating the new
level; one that certifies again after the service itself revoked issues a new certificate
(a revocation is final in the status list, so the old one stays revoked). A certificate an
administrator revoked is never replaced by a rescore.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from piaa import audit, jobs
from piaa.accounts.models import User
from piaa.clock import as_utc, now
from piaa.errors import Conflict, Invalid, NotFound
from piaa.i18n import N_

from . import credential as credential_doc
from . import status_list
from .keys import KeyPaths, SigningKeys, load_keys
from .models import Certificate

if TYPE_CHECKING:
    from .verification import VerificationReport

# Rendering (WeasyPrint) and PDF signing (pyHanko) cost about 1 s of CPU to import: they are
# imported where a PDF is made or read, not when the web app starts.

DEFAULT_ISSUER_NAME = "PIAA: Proctored, Independent, Authorised Assessment"
RENDER_JOB = "piaa.certificates.jobs.render_unrendered"


def current_issuer() -> credential_doc.IssuerIdentity:
    config = current_app.config
    return credential_doc.IssuerIdentity(
        base_url=config["PIAA_BASE_URL"], name=config.get("PIAA_ISSUER_NAME") or DEFAULT_ISSUER_NAME
    )


def current_keys() -> SigningKeys:
    """The signing keys of this app (``PIAA_SIGNING_*`` files or ``<instance>/keys``).

    :raise SigningKeyError: if they were never created (``piaa keys init``).
    """
    return load_keys(KeyPaths.resolve(current_app.instance_path, current_app.config))


def facts_of(certificate: Certificate) -> credential_doc.CertificateFacts:
    return credential_doc.CertificateFacts(
        public_id=certificate.public_id,
        serial=certificate.serial,
        official_name=certificate.official_name,
        official_name_hi=certificate.official_name_hi,
        email=certificate.user.email,
        identity_salt=certificate.identity_salt,
        competency_code=certificate.competency_code,
        competency_name=certificate.competency_name,
        level=certificate.level,
        level_label=certificate.level_label,
        level_descriptor=certificate.level_descriptor,
        agency_name=certificate.agency_name,
        decision_confidence=certificate.decision_confidence,
        competency_name_hi=certificate.competency_name_hi,
        level_label_hi=certificate.level_label_hi,
        agency_name_hi=certificate.agency_name_hi,
        assessed_at=as_utc(certificate.assessed_at),
        issued_at=as_utc(certificate.issued_at),
        status_list_number=certificate.status_list_number,
        status_list_index=certificate.status_list_index,
    )


def issue_for_attempt(
    session: Session,
    *,
    attempt_id: int,
    user: User,
    competency_code: str,
    competency_name: str,
    level: int,
    level_label: str,
    level_descriptor: str,
    agency_name: str,
    assessed_at: datetime,
    window_id: int | None = None,
    render: bool = True,
    decision_confidence: float | None = None,
    competency_name_hi: str | None = None,
    level_label_hi: str | None = None,
    agency_name_hi: str | None = None,
) -> Certificate:
    """The certificate of ``attempt_id``, issuing it if this is the first call for the attempt
    (or the service revoked the attempt's last certificate: then the next one).

    Signs the credential at once (so the verification page works immediately); renders and
    signs the PDF now when ``render`` is true, else leaves it to a batch job
    (:func:`render_certificates`).

    :raise Invalid: if the level is outside 1..5 or a text field is empty.
    """
    existing = current_certificate(session, attempt_id)
    if existing is not None and not (existing.is_revoked and existing.revoked_by_id is None):
        return existing
    sequence = existing.sequence + 1 if existing is not None else 1
    if decision_confidence is not None and not 0.0 <= decision_confidence <= 1.0:
        raise Invalid(N_("decision confidence must be between 0 and 1, got {decision_confidence}"),
                      field="decision_confidence",
                      values={"decision_confidence": repr(decision_confidence)})
    _check_facts(level=level, competency_code=competency_code, competency_name=competency_name,
                 level_label=level_label, agency_name=agency_name)
    issued_at = now().replace(microsecond=0)
    certificate = Certificate(
        public_id=secrets.token_hex(16),
        attempt_id=attempt_id,
        sequence=sequence,
        decision_confidence=decision_confidence,
        window_id=window_id,
        user_id=user.id,
        user=user,
        official_name=user.name,
        official_name_hi=user.name_hi,
        identity_salt=secrets.token_hex(8),
        competency_code=competency_code,
        competency_name=competency_name,
        level=level,
        level_label=level_label,
        level_descriptor=level_descriptor,
        agency_name=agency_name,
        competency_name_hi=competency_name_hi or None,
        level_label_hi=level_label_hi or None,
        agency_name_hi=agency_name_hi or None,
        assessed_at=assessed_at,
        issued_at=issued_at,
    )
    try:
        # A savepoint, so that losing a race with another scorer of the same attempt leaves
        # the caller's transaction usable.
        with session.begin_nested():
            session.add(certificate)
            session.flush()
    except IntegrityError:
        winner = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id,
                                                          Certificate.sequence == sequence))
        if winner is None:
            raise
        return winner
    # The database id gives every certificate its own serial and status-list slot.
    slot = certificate.id - 1
    certificate.serial = f"PIAA-{issued_at.year}-{certificate.id:07d}"
    certificate.status_list_number = slot // status_list.LIST_SIZE + 1
    certificate.status_list_index = slot % status_list.LIST_SIZE
    keys = current_keys()
    certificate.credential = credential_doc.signed_credential(facts_of(certificate), current_issuer(), keys.credential_key)
    if render:
        render_certificate(certificate, keys=keys)
    audit.record(session, "certificate.issued", subject_type="certificate", subject_id=certificate.public_id,
                 data={"attempt_id": attempt_id, "serial": certificate.serial, "competency": competency_code,
                       "level": level, "decision_confidence": decision_confidence,
                       **({"replaces": existing.serial} if existing is not None else {})})
    return certificate


def current_certificate(session: Session, attempt_id: int) -> Certificate | None:
    """The attempt's newest certificate (valid or revoked), or None."""
    return session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id)
                          .order_by(Certificate.sequence.desc()).limit(1))


def on_attempt_scored(session: Session, *, attempt_id: int, level: int | None, certifying_level: int,
                      not_certified_reason: str | None = None, **facts) -> Certificate | None:
    """Issue a certificate at ``level`` if it reaches ``certifying_level`` and queue the
    rendering of its PDF for when the caller commits; otherwise revoke the valid certificate
    an earlier scoring issued (if any) with ``not_certified_reason``. A valid certificate of
    another level is revoked and replaced. Returns the attempt's certificate, or None.
    """
    earlier = current_certificate(session, attempt_id)
    valid = earlier if earlier is not None and not earlier.is_revoked else None
    if level is None or level < certifying_level:
        if valid is not None:
            reached = f"level {level}" if level is not None else "no level"
            _revoke(session, valid, actor=None, reason=not_certified_reason or (
                f"The attempt was rescored to {reached}, below the certifying level {certifying_level}."))
        return None
    if valid is not None and valid.level != level:
        _revoke(session, valid, actor=None,
                reason=f"The attempt was rescored to level {level}; a new certificate states it.")
    certificate = issue_for_attempt(session, attempt_id=attempt_id, level=level, **facts)
    if certificate.rendered_at is None:
        jobs.enqueue_after_commit(session, RENDER_JOB, certificate_ids=[certificate.id])
    return certificate


def _check_facts(**values) -> None:
    level = values.pop("level")
    if not isinstance(level, int) or not 1 <= level <= 5:
        raise Invalid(N_("proficiency level must be an integer 1..5, got {level}"), field="level",
                      values={"level": repr(level)})
    for name, value in values.items():
        if not value or not str(value).strip():
            raise Invalid(N_("{name} must not be empty"), field=name, values={"name": name})


def render_certificate(certificate: Certificate, *, keys: SigningKeys | None = None) -> Certificate:
    """Render, attach the credential, and sign the PDF of ``certificate`` (again, if it had one)."""
    from . import rendering
    from .pdf_signing import sign_pdf

    keys = keys or current_keys()
    html = rendering.certificate_html(facts_of(certificate), current_issuer())
    certificate.pdf = sign_pdf(rendering.render_pdf(html, certificate.credential), keys)
    certificate.rendered_at = now()
    return certificate


def pending_certificate_ids(session: Session, *, window_id: int | None = None, rerender: bool = False,
                            among: list[int] | None = None) -> list[int]:
    """Ids of certificates without a PDF (or all, for ``rerender``), optionally of one window
    or ``among`` the given ids (ids of no certificate are left out)."""
    query = select(Certificate.id).order_by(Certificate.id)
    if not rerender:
        query = query.where(Certificate.rendered_at.is_(None))
    if window_id is not None:
        query = query.where(Certificate.window_id == window_id)
    if among is not None:
        query = query.where(Certificate.id.in_(among))
    return list(session.scalars(query))


def render_certificates(session: Session, certificate_ids: list[int], *, progress=None) -> int:
    """Render the PDFs of ``certificate_ids``; ``progress(done, total)`` after each. Returns the count."""
    keys = current_keys()
    total = len(certificate_ids)
    for done, certificate_id in enumerate(certificate_ids, start=1):
        certificate = session.get(Certificate, certificate_id)
        if certificate is None:
            raise NotFound(N_("certificate id {certificate_id} does not exist"),
                           values={"certificate_id": certificate_id})
        render_certificate(certificate, keys=keys)
        session.flush()
        if progress is not None:
            progress(done, total)
    return total


def get_by_public_id(session: Session, public_id: str) -> Certificate:
    """:raise NotFound: if no certificate has this public id."""
    certificate = session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if certificate is None:
        raise NotFound(N_("no certificate with this identifier"))
    return certificate


def list_certificates(session: Session, *, text: str | None = None, limit: int = 200) -> list[Certificate]:
    """The newest certificates, optionally those whose serial, holder or competency holds ``text``."""
    query = select(Certificate).order_by(Certificate.id.desc()).limit(limit)
    if text and text.strip():
        pattern = f"%{text.strip()}%"
        query = query.where(Certificate.serial.ilike(pattern) | Certificate.official_name.ilike(pattern)
                            | Certificate.competency_code.ilike(pattern) | Certificate.public_id.ilike(pattern))
    return list(session.scalars(query))


def certificates_of(session: Session, user: User) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc())))


def revoke(session: Session, *, public_id: str, reason: str, actor: User) -> Certificate:
    """Revoke a certificate; the status list shows it from the next request on.

    :raise NotFound: for an unknown id. :raise Invalid: without a reason.
    :raise Conflict: if it is revoked already.
    """
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("a reason for the revocation is required"), field="reason")
    certificate = get_by_public_id(session, public_id)
    if certificate.is_revoked:
        raise Conflict(N_("certificate {serial} was revoked already on {as_utc:%Y-%m-%d}"),
                       values={"serial": certificate.serial, "as_utc": as_utc(certificate.revoked_at)})
    return _revoke(session, certificate, actor=actor, reason=reason)


def _revoke(session: Session, certificate: Certificate, *, actor: User | None, reason: str) -> Certificate:
    """Revoke by ``actor`` (None: the service itself, as when a rescore lowers the level)."""
    certificate.revoked_at = now()
    certificate.revoked_by_id = actor.id if actor is not None else None
    certificate.revocation_reason = reason
    audit.record(session, "certificate.revoked", actor=actor, subject_type="certificate",
                 subject_id=certificate.public_id,
                 data={"serial": certificate.serial, "reason": reason, "attempt_id": certificate.attempt_id})
    return certificate


def status_list_document(session: Session, list_number: int) -> dict:
    """The signed BitstringStatusListCredential of list ``list_number``, as of now.

    :raise NotFound: for a list no certificate uses.
    """
    used = session.scalar(select(func.count()).select_from(Certificate).where(Certificate.status_list_number == list_number))
    if not used:
        raise NotFound(N_("status list {list_number} does not exist"), values={"list_number": list_number})
    revoked = session.scalars(
        select(Certificate.status_list_index).where(
            Certificate.status_list_number == list_number, Certificate.revoked_at.is_not(None)
        )
    )
    keys = current_keys()
    issuer = current_issuer()
    return status_list.status_list_credential(
        list_url=issuer.status_list_url(list_number),
        issuer_id=issuer.profile_url,
        verification_method=issuer.verification_method(keys.credential_key.public_key()),
        revoked_indices=list(revoked),
        valid_from=now().replace(microsecond=0),
        key=keys.credential_key,
    )


def issuer_profile_document() -> dict:
    return credential_doc.issuer_profile(current_issuer(), current_keys().credential_key.public_key())


@dataclass(frozen=True)
class PublicView:
    """What the public verification page may show about a certificate."""

    status: str
    serial: str
    issuer: str
    competency: str
    level: int
    level_label: str
    assessed_on: str
    issued_on: str
    name_masked: str
    agency: str
    revoked_on: str | None
    # Whole per cent: the probability that the true level is this level or higher.
    confidence: int | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def mask_name(name: str) -> str:
    """'Asha Verma' -> 'A*** V****': enough to match a person in front of you, not to look one up."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def public_view(certificate: Certificate) -> PublicView:
    from . import rendering

    return PublicView(
        status="revoked" if certificate.is_revoked else "valid",
        serial=certificate.serial,
        issuer=current_issuer().name,
        competency=f"{certificate.competency_name} ({certificate.competency_code})",
        level=certificate.level,
        level_label=certificate.level_label,
        assessed_on=rendering.long_date(as_utc(certificate.assessed_at)),
        issued_on=rendering.long_date(as_utc(certificate.issued_at)),
        name_masked=mask_name(certificate.official_name),
        agency=certificate.agency_name,
        revoked_on=rendering.long_date(as_utc(certificate.revoked_at)) if certificate.revoked_at else None,
        confidence=(credential_doc.confidence_percent(certificate.decision_confidence)
                    if certificate.decision_confidence is not None else None),
    )


def verify_uploaded(session: Session, data: bytes) -> VerificationReport:
    """Check an uploaded PDF or credential JSON against this service's keys and status lists."""
    from .verification import verify_copy

    keys = current_keys()
    try:
        number = _list_number(_credential_of(data))
        status = status_list_document(session, number) if number is not None else None
    except (NotFound, ValueError, KeyError, TypeError):
        # verify_copy reports the unreadable file or the missing list with its own reason.
        status = None
    return verify_copy(
        data,
        profile=issuer_profile_document(),
        status_list_credential=status,
        document_cert_pem=keys.document_cert.public_bytes(serialization.Encoding.PEM),
        now=now(),
    )


def _credential_of(data: bytes) -> dict:
    if data.lstrip()[:5] == b"%PDF-":
        from .pdf_signing import PdfSignatureError, attached_credential

        try:
            return attached_credential(data)
        except PdfSignatureError as exc:
            raise ValueError(str(exc)) from exc
    return json.loads(data.decode("utf-8"))


def _list_number(credential: dict) -> int | None:
    """The number of this service's status list a credential points to, if it is one of ours."""
    url = credential["credentialStatus"]["statusListCredential"]
    prefix = current_issuer().status_list_url(0)[:-1]
    if not url.startswith(prefix) or not url[len(prefix):].isdigit():
        return None
    return int(url[len(prefix):])
