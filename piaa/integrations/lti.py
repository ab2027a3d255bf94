"""PIAA as an LTI 1.3 tool: platform registration, the OIDC login and the resource-link launch
that brings a platform's learner to the assessment the link names.

The handshake is pylti1p3's, with three things of ours under it:

* registrations come from the ``lti_platform`` table (``DatabaseToolConf``);
* nonces and states live in the database (``LaunchValueStorage``), not in the Flask session,
  whose cookie is SameSite=Lax and so never comes back on the platform's cross-site POST.
  A nonce is spent by the first launch that validates, so a replayed id_token is refused on
  every worker;
* the state cookie is set SameSite=None; Secure over HTTPS, as a cross-site form post needs.

A validated launch does not sign anyone in on the spot: the launch response may be inside the
platform's iframe, where the session cookie (SameSite=Lax) would be dropped. It issues a
one-time entry ticket instead; following it as a top-level page signs the learner in and
opens the sitting (``piaa.integrations.views``).

A deep-linking launch (a course author adding PIAA to a course) leads to a picker of
assessments instead; the author's choice goes back to the platform as a signed
``LtiDeepLinkingResponse`` whose resource links carry ``assessment=<code>``, which later
resource-link launches read. The picker is reached by a one-time ticket, like the entry.
The author also chooses how the platform opens the links, among the presentation targets the
platform accepts: in a named window (``window`` with ``targetName``) or framed in the course
page (``iframe`` with its width and height), the content item properties of LTI Deep Linking 2.0.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from flask import current_app
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import CANDIDATE, User
from piaa.clock import as_utc, now
from piaa.delivery import attempts as attempt_service
from piaa.delivery import states
from piaa.delivery.assessments import windows_for
from piaa.delivery.models import Assessment, Attempt, Cohort, Enrolment
from piaa.errors import Conflict, DomainError, Invalid, NotFound
from piaa.integrations.keys import ToolKeyError, tool_key
from piaa.integrations.models import LtiAccount, LtiLaunch, LtiLaunchValue, LtiPlatform
from piaa.i18n import N_

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
# Who may add an assessment to a course: the platform's teaching and content roles.
AUTHOR_ROLES = ("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
                "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator")
LEARNER_ROLES = ("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
                 "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
                 "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Learner")
HANDSHAKE_LIFETIME_S = 600  # from the login redirect to the launch
TICKET_LIFETIME = timedelta(minutes=2)  # from the launch page to the learner following it
DEEP_LINK_LIFETIME = timedelta(minutes=30)  # for a course author to pick an assessment
HTTP_TIMEOUT_S = 10


class LaunchRefused(DomainError):
    """A launch PIAA will not honour; ``code`` says which check failed."""

    status = 401
    code = "launch_refused"


# pylti1p3's messages, and what each means for the person who launched.
_LIBRARY_REFUSALS: list[tuple[str, str, int, str]] = [
    ("State not found", "state_mismatch", 401,
     N_("This launch did not start in this browser: the state cookie set at login is missing. "
        "If your browser blocks cookies inside frames, open PIAA in a new window from the platform.")),
    ("Missing state", "state_mismatch", 401, N_("The launch carries no state; launch again from the platform.")),
    ("Invalid Nonce", "nonce_used", 401,
     N_("This launch was already used or has expired (its nonce is spent). Launch again from the platform.")),
    ("Signature has expired", "token_expired", 401,
     N_("The launch token has expired. Launch again from the platform.")),
    ("not yet valid", "token_expired", 401,
     N_("The launch token is dated in the future; check the platform's clock and launch again.")),
    ('Token is missing the "exp"', "token_expired", 401, N_("The launch token carries no expiry time.")),
    ("Can't decode id_token", "bad_signature", 401,
     N_("The launch token's signature does not match the platform's registered keys.")),
    ("Unable to find public key", "bad_signature", 401,
     N_("The launch token names a signing key the platform has not published.")),
    ("Unable to find deployment", "unknown_deployment", 403,
     N_("This deployment of PIAA on the platform is not registered; ask the administrator to add it.")),
    ("Registration not found", "unknown_platform", 403,
     N_("The platform that sent this launch is not registered in PIAA.")),
    ("Could not find registration", "unknown_platform", 403,
     N_("The platform that sent this login is not registered in PIAA.")),
    ("Client id not registered", "unknown_platform", 403,
     N_("The platform's client id is not the one registered in PIAA.")),
    ("Must have a user", "no_user", 401,
     N_("The launch names no user (anonymous launches cannot sit an assessment).")),
    ("Missing id_token", "bad_request", 400, N_("The launch carries no id_token.")),
    ("JWT must contain 3 parts", "bad_request", 400, N_("The id_token is not a JWT.")),
    ("Invalid JWT format", "bad_request", 400, N_("The id_token is not a JWT.")),
    ('"nonce" is empty', "bad_request", 400, N_("The id_token carries no nonce.")),
    ("Missing Deep Linking", "bad_request", 400,
     N_("The deep-linking launch carries no deep-linking settings (return URL and accepted types).")),
    ("Must support resource link", "unsupported_message", 400,
     N_("The platform does not accept resource links here, which is what PIAA offers.")),
    ("Must support a presentation", "bad_request", 400,
     N_("The deep-linking launch names no presentation target (iframe or window).")),
]


def refusal_from(error: Exception) -> LaunchRefused:
    """Our refusal for a pylti1p3 error, keeping its message for the log."""
    text = str(error)
    for fragment, code, status, message in _LIBRARY_REFUSALS:
        if fragment in text:
            refused = LaunchRefused(message, code=code)
            refused.status = status
            return refused
    return LaunchRefused(N_("The launch is not valid: {text}"), code="invalid_launch", values={"text": text})


# --- registration ---------------------------------------------------------------------------

def _url(value: str | None, field: str, *, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid(N_("{field} is required"), field=field, values={"field": field})
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid(N_("{field} must be an http(s) URL, got {value}"), field=field,
                      values={"field": field, "value": repr(value)})
    return value


def _key_set(value: Any) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list) or not value["keys"]:
        raise Invalid(N_('key set must be a JWKS: {"keys": [...]} with at least one key'), field="key_set")
    for number, key in enumerate(value["keys"], start=1):
        if not isinstance(key, dict) or key.get("kty") != "RSA" or not key.get("kid"):
            raise Invalid(N_("key {number} of the key set must be an RSA JWK with a kid"), field="key_set",
                          values={"number": number})
    return value


def register_platform(session: Session, *, name: str, issuer: str, client_id: str, auth_login_url: str,
                      auth_token_url: str, key_set_url: str | None = None, key_set: dict | None = None,
                      deployment_ids: list[str] | None = None, auth_audience: str | None = None,
                      link_by_email: bool = False, cohort: Cohort | None = None,
                      actor: User | None = None) -> LtiPlatform:
    """Register a platform as the administrator saw it in the platform's tool registration.

    :raise Invalid: naming the field that is missing or malformed.
    :raise Conflict: if the issuer and client id are registered already.
    """
    name, issuer, client_id = (name or "").strip(), (issuer or "").strip(), (client_id or "").strip()
    for field, value in (("name", name), ("issuer", issuer), ("client_id", client_id)):
        if not value:
            raise Invalid(N_("{field} is required"), field=field, values={"field": field})
    key_set_url = _url(key_set_url, "key_set_url", required=False)
    key_set = _key_set(key_set)
    if not key_set_url and not key_set:
        raise Invalid(N_("give the platform's JWKS URL or its key set"), field="key_set_url")
    deployments = [d.strip() for d in deployment_ids or [] if d and d.strip()]
    if not deployments:
        raise Invalid(N_("give at least one deployment id"), field="deployment_ids")
    if session.scalar(select(LtiPlatform.id).where(LtiPlatform.issuer == issuer,
                                                   LtiPlatform.client_id == client_id)):
        raise Conflict(N_("a platform with issuer {issuer} and client id {client_id} is registered already"),
                       field="client_id",
                       values={"issuer": repr(issuer), "client_id": repr(client_id)})
    platform = LtiPlatform(name=name, issuer=issuer, client_id=client_id,
                           auth_login_url=_url(auth_login_url, "auth_login_url"),
                           auth_token_url=_url(auth_token_url, "auth_token_url"),
                           auth_audience=(auth_audience or "").strip() or None,
                           key_set_url=key_set_url, key_set=key_set, deployment_ids=deployments,
                           link_by_email=link_by_email, cohort_id=cohort.id if cohort else None,
                           active=True, created_at=now(), created_by_id=actor.id if actor else None)
    session.add(platform)
    session.flush()
    audit.record(session, "lti.platform_registered", actor=actor, subject_type="lti_platform",
                 subject_id=platform.id,
                 data={"name": name, "issuer": issuer, "client_id": client_id, "deployments": deployments,
                       "link_by_email": link_by_email, "cohort": platform.cohort_id})
    return platform


def platforms(session: Session) -> list[LtiPlatform]:
    return list(session.scalars(select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))


def registration_of(platform: LtiPlatform) -> Registration:
    """The pylti1p3 registration of ``platform``, with the tool's key to sign service requests.

    :raise LaunchRefused: if the tool key is missing (``piaa lti keys init``).
    """
    try:
        key = tool_key(current_app)
    except ToolKeyError as exc:
        raise LaunchRefused(str(exc), code="tool_key_missing") from exc
    registration = (Registration().set_issuer(platform.issuer).set_client_id(platform.client_id)
                    .set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
                    .set_key_set_url(platform.key_set_url).set_key_set(platform.key_set)
                    .set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem))
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration


class DatabaseToolConf(ToolConfAbstract):
    """Registrations and deployments from the ``lti_platform`` table (active platforms only)."""

    def __init__(self, session: Session):
        super().__init__()
        self.issuers_relation_types = {}
        self._session = session

    def _platforms(self, iss: str, client_id: str | None = None) -> list[LtiPlatform]:
        query = select(LtiPlatform).where(LtiPlatform.issuer == iss, LtiPlatform.active.is_(True))
        if client_id is not None:
            query = query.where(LtiPlatform.client_id == client_id)
        return list(self._session.scalars(query))

    def check_iss_has_one_client(self, iss: str) -> bool:
        return len(self._platforms(iss)) == 1

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return len(self._platforms(iss)) > 1

    def platform(self, iss: str, client_id: str | None = None) -> LtiPlatform | None:
        found = self._platforms(iss, client_id)
        return found[0] if len(found) == 1 else None

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration | None:
        platform = self.platform(iss)
        return registration_of(platform) if platform else None

    def find_registration_by_params(self, iss: str, client_id: str, *args, **kwargs) -> Registration | None:
        platform = self.platform(iss, client_id)
        return registration_of(platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self._deployment(self.platform(iss), deployment_id)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str,
                                  *args, **kwargs) -> Deployment | None:
        return self._deployment(self.platform(iss, client_id), deployment_id)

    @staticmethod
    def _deployment(platform: LtiPlatform | None, deployment_id: str) -> Deployment | None:
        if platform is None or deployment_id not in (platform.deployment_ids or []):
            return None
        return Deployment().set_deployment_id(deployment_id)


# --- handshake storage ----------------------------------------------------------------------

class LaunchValueStorage(LaunchDataStorage):
    """pylti1p3's launch storage on the ``lti_launch_value`` table. Keys carry random nonces
    and states, so no per-browser session id is needed (and no extra cookie)."""

    def __init__(self, session: Session):
        super().__init__()
        self._db = session

    def get_session_cookie_name(self) -> None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def _live(self, key: str) -> LtiLaunchValue | None:
        row = self._db.get(LtiLaunchValue, self._prepare_key(key))
        if row is None or as_utc(row.expires_at) <= now():
            return None
        return row

    def get_value(self, key: str) -> Any:
        row = self._live(key)
        return row.value if row else None

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        key = self._prepare_key(key)
        expires = now() + timedelta(seconds=exp or HANDSHAKE_LIFETIME_S)
        row = self._db.get(LtiLaunchValue, key)
        if row is None:
            self._db.add(LtiLaunchValue(key=key, value=value, expires_at=expires))
        else:
            row.value, row.expires_at = value, expires
        self._db.flush()

    def check_value(self, key: str) -> bool:
        return self._live(key) is not None

    def spend(self, key: str) -> bool:
        """Delete a live value; True only for the one caller that deleted it."""
        result = self._db.execute(delete(LtiLaunchValue).where(LtiLaunchValue.key == self._prepare_key(key),
                                                               LtiLaunchValue.expires_at > now()),
                                  execution_options={"synchronize_session": False})
        return result.rowcount == 1


def forget_expired(session: Session) -> int:
    """Delete handshake values and tickets past their time; returns how many."""
    return session.execute(delete(LtiLaunchValue).where(LtiLaunchValue.expires_at <= now()),
                           execution_options={"synchronize_session": False}).rowcount


class HandshakeSession(SessionService):
    """Nonces and states in the database, each for ``HANDSHAKE_LIFETIME_S``."""

    def __init__(self, request, storage: LaunchValueStorage):
        super().__init__(request)
        self.set_data_storage(storage)
        self.set_launch_data_lifetime(HANDSHAKE_LIFETIME_S)

    def spend_nonce(self, nonce: str) -> bool:
        return self.data_storage.spend(self._get_key("nonce", nonce))


class CrossSiteCookies(FlaskCookieService):
    """The state cookie must come back on the platform's cross-site form post: SameSite=None,
    which browsers accept only with Secure, so over HTTPS. Over plain HTTP (a laptop) it is
    Lax, which serves a platform on the same site only."""

    def update_response(self, response):
        secure = bool(self._request.is_secure())
        for key, cookie in self._cookie_data_to_set.items():
            response.set_cookie(key=key, value=cookie["value"], max_age=cookie["exp"], path="/lti/",
                                secure=secure, httponly=True, samesite="None" if secure else "Lax")


def http_session() -> requests.Session:
    """Outbound HTTP for the platform's keys and grade service, with a timeout on every call."""
    session = _TimedSession()
    session.headers["User-Agent"] = "PIAA-LTI-tool"
    return session


class _TimedSession(requests.Session):
    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        return super().request(method, url, **kwargs)


def _lti_request(params: dict | None = None) -> FlaskRequest:
    from flask import request

    secure = request.is_secure or bool(current_app.config.get("PIAA_HTTPS"))
    return FlaskRequest(request_data=params, request_is_secure=secure)


# --- OIDC login -----------------------------------------------------------------------------

def login_redirect(session: Session, params: dict[str, str]) -> Any:
    """Answer the platform's login initiation with the redirect to its authorization endpoint
    (nonce and state stored, state cookie set). ``params`` are the request's GET or POST fields.

    :raise LaunchRefused: for an unknown platform or a missing parameter.
    """
    target = params.get("target_link_uri") or ""
    launch_url = _launch_url()
    if target and urlparse(target).netloc and urlparse(target).netloc != urlparse(launch_url).netloc:
        raise LaunchRefused(N_("target_link_uri {target} is not on this service"), code="bad_request",
                            values={"target": repr(target)})
    request = _lti_request(params)
    storage = LaunchValueStorage(session)
    login = FlaskOIDCLogin(request, DatabaseToolConf(session),
                           session_service=HandshakeSession(request, storage),
                           cookie_service=CrossSiteCookies(request), launch_data_storage=storage)
    try:
        return login.redirect(launch_url)
    except (LtiException, OIDCException) as exc:
        raise refusal_from(exc) from exc


def _launch_url() -> str:
    return current_app.config["PIAA_BASE_URL"].rstrip("/") + "/lti/launch"


# --- launch ---------------------------------------------------------------------------------

class _Launch(FlaskMessageLaunch):
    """pylti1p3's launch with the token's time claims required, the nonce spent once the
    launch is valid, and nothing kept in a session."""

    def save_launch_data(self):
        return self

    def spend_nonce(self) -> None:
        if not self._session_service.spend_nonce(self._jwt["body"]["nonce"]):
            raise LaunchRefused(_LIBRARY_REFUSALS[2][3], code="nonce_used")


@dataclass(frozen=True)
class LaunchResult:
    user: User
    assessment: Assessment
    launch: LtiLaunch
    destination: str  # where the ticket leads: check-in, the sitting or the result
    ticket: str


def validate_launch(session: Session, params: dict[str, str]) -> tuple[LtiPlatform, dict]:
    """Check the id_token (state cookie, nonce, platform, signature, time, deployment, message)
    and spend its nonce; returns the platform and the token's claims.

    :raise LaunchRefused: naming the check that failed.
    """
    request = _lti_request(params)
    storage = LaunchValueStorage(session)
    tool_conf = DatabaseToolConf(session)
    launch = _Launch(request, tool_conf, session_service=HandshakeSession(request, storage),
                     cookie_service=CrossSiteCookies(request), launch_data_storage=storage,
                     requests_session=http_session())
    launch.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})
    try:
        claims = dict(launch.get_launch_data())
    except (LtiException, OIDCException) as exc:
        raise refusal_from(exc) from exc
    except Exception as exc:  # the platform's JWKS URL unreachable or not a key set
        raise LaunchRefused(N_("The platform's keys could not be read: {exc}"), code="platform_keys",
                            values={"exc": exc}) from exc
    launch.spend_nonce()
    platform = tool_conf.platform(claims["iss"], launch.get_client_id())
    return platform, claims


def process_launch(session: Session, platform: LtiPlatform, claims: dict) -> LaunchResult:
    """Map the launch's learner to an account, find the window of the assessment the link
    names, open (or resume) their attempt, and issue the entry ticket.

    :raise LaunchRefused: for a message other than a resource link, a launch without a
        learner role or user id, or an account that may not be linked.
    :raise NotFound: if the link names no assessment PIAA holds, or none of its windows is
        open to the learner.
    """
    if claims.get(CLAIM + "message_type") != RESOURCE_LINK_REQUEST:  # deep linking is answered apart
        raise LaunchRefused(N_("PIAA answers resource-link launches; this is {value}"),
                            code="unsupported_message",
                            values={"value": repr(claims.get(CLAIM + 'message_type'))})
    subject = str(claims.get("sub") or "").strip()
    if not subject:
        raise LaunchRefused(N_("The launch names no user (anonymous launches cannot sit an assessment)."),
                            code="no_user")
    roles = claims.get(CLAIM + "roles") or []
    if roles and not any(role in LEARNER_ROLES for role in roles):
        raise LaunchRefused(N_("PIAA assessments are sat by learners; this launch carries no learner role. "
                            "Staff manage assessments in PIAA itself."), code="not_a_learner")
    assessment = _assessment_named(session, claims)
    user = _account_for(session, platform, subject, claims)
    if platform.cohort_id is not None and session.scalar(
            select(Enrolment.id).where(Enrolment.cohort_id == platform.cohort_id,
                                       Enrolment.user_id == user.id)) is None:
        session.add(Enrolment(cohort_id=platform.cohort_id, user_id=user.id, time_factor=1.0, created_at=now()))
        session.flush()
        audit.record(session, "lti.learner_enrolled", subject_type="user", subject_id=user.id,
                     data={"platform": platform.id, "cohort": platform.cohort_id})
    attempt = _attempt_for(session, user, assessment)
    ags = claims.get(AGS_CLAIM) or {}
    resource_link = claims.get(CLAIM + "resource_link") or {}
    launch = LtiLaunch(platform_id=platform.id, deployment_id=str(claims.get(CLAIM + "deployment_id")),
                       subject=subject, user_id=user.id, assessment_id=assessment.id,
                       attempt_id=attempt.id, resource_link_id=str(resource_link.get("id") or ""),
                       context_id=(claims.get(CLAIM + "context") or {}).get("id"),
                       lineitem_url=ags.get("lineitem"), ags_scopes=list(ags.get("scope") or []),
                       launched_at=now())
    session.add(launch)
    session.flush()
    audit.record(session, "lti.launched", actor=user, subject_type="attempt", subject_id=attempt.id,
                 data={"platform": platform.id, "deployment": launch.deployment_id,
                       "resource_link": launch.resource_link_id, "assessment": assessment.code,
                       "gradebook": bool(launch.lineitem_url)})
    from piaa.delivery.pages import page_for

    destination = page_for(attempt)
    return LaunchResult(user, assessment, launch, destination, issue_ticket(session, user, destination))


def _assessment_named(session: Session, claims: dict) -> Assessment:
    """The assessment a link names: its custom parameter ``assessment`` (set when the course
    author adds the link), else ``assessment=`` in the target link URI."""
    custom = claims.get(CLAIM + "custom") or {}
    code = str(custom.get("assessment") or "").strip()
    if not code:
        query = parse_qs(urlparse(claims.get(CLAIM + "target_link_uri") or "").query)
        code = (query.get("assessment") or [""])[0].strip()
    if not code:
        raise NotFound(N_("The link names no assessment: give it the custom parameter assessment=<code>."),
                       code="no_assessment")
    assessment = session.scalar(select(Assessment).where(Assessment.code == code))
    if assessment is None:
        raise NotFound(N_("The link names assessment {code}, which PIAA does not hold."), code="no_assessment",
                       values={"code": repr(code)})
    return assessment


def _account_for(session: Session, platform: LtiPlatform, subject: str, claims: dict) -> User:
    """The account of the platform's learner ``subject``: the one linked before; else, when
    the platform is trusted for e-mail and sends one, the candidate account with that e-mail;
    else a new candidate account."""
    linked = session.scalar(select(LtiAccount).where(LtiAccount.platform_id == platform.id,
                                                     LtiAccount.subject == subject))
    if linked is not None:
        user = linked.user
        if not user.active:
            raise LaunchRefused(N_("Your PIAA account is deactivated; ask the administrator."), code="account_inactive")
        return user
    email = str(claims.get("email") or "").strip().lower()
    existing = session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
    if existing is not None and platform.link_by_email:
        if existing.role != CANDIDATE or not existing.active:
            raise LaunchRefused(N_("The account {email} cannot be used from a learning platform (only "
                                   "active candidate accounts can)."), code="account_not_linkable",
                                values={"email": email})
        user, how = existing, "email"
    else:
        if existing is not None:  # the platform is not trusted for e-mail: a separate account
            email = ""
        name = str(claims.get("name") or " ".join(
            str(claims.get(part) or "") for part in ("given_name", "family_name")).strip() or "Learner")
        placeholder = f"lti-{platform.id}-{hashlib.sha256(subject.encode()).hexdigest()[:20]}@lti.invalid"
        user = User(email=email or placeholder, name=name[:200], role=CANDIDATE, password_hash=None,
                    organisation_id=None, active=True, created_at=now())
        session.add(user)
        session.flush()
        how = "created"
    session.add(LtiAccount(platform_id=platform.id, subject=subject, user_id=user.id, created_at=now(),
                           linked_by=how))
    session.flush()
    audit.record(session, f"lti.account_{'linked' if how == 'email' else 'created'}", subject_type="user",
                 subject_id=user.id, data={"platform": platform.id, "subject": subject})
    return user


def _attempt_for(session: Session, user: User, assessment: Assessment) -> Attempt:
    windows = [w for w in windows_for(session, user) if w.assessment_id == assessment.id]
    if not windows:
        raise NotFound(N_("No window of {assessment_title} is open to you now; ask the administrator."),
                       code="no_window",
                       values={"assessment_title": repr(assessment.title)})
    try:
        return attempt_service.create_attempt(session, user, windows[0].id)
    except Conflict as exc:
        if exc.code != "attempts_used":
            raise
        # Every attempt allowed is used: the launch shows the newest result.
        done = session.scalar(select(Attempt).where(Attempt.window_id == windows[0].id,
                                                    Attempt.user_id == user.id,
                                                    Attempt.state != states.VOIDED)
                              .order_by(Attempt.id.desc()).limit(1))
        if done is None:
            raise
        return done


# --- entry tickets --------------------------------------------------------------------------

def _ticket_key(ticket: str) -> str:
    return "ticket-" + hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(session: Session, user: User, destination: str) -> str:
    ticket = secrets.token_urlsafe(32)
    session.add(LtiLaunchValue(key=_ticket_key(ticket), expires_at=now() + TICKET_LIFETIME,
                               value={"user": user.id, "next": destination}))
    session.flush()
    return ticket


def redeem_ticket(session: Session, ticket: str) -> tuple[User, str]:
    """Spend an entry ticket; returns the learner and where they go.

    :raise LaunchRefused: if the ticket is unknown, used or older than two minutes.
    """
    row = session.get(LtiLaunchValue, _ticket_key(ticket or ""))
    spent = row is not None and session.execute(
        delete(LtiLaunchValue).where(LtiLaunchValue.key == row.key, LtiLaunchValue.expires_at > now()),
        execution_options={"synchronize_session": False}).rowcount == 1
    if not spent:
        raise LaunchRefused(N_("This entry link was already used or has expired; launch again from the platform."),
                            code="ticket_used")
    user = session.get(User, row.value["user"])
    if user is None or not user.active:
        raise LaunchRefused(N_("Your PIAA account is deactivated; ask the administrator."), code="account_inactive")
    return user, row.value["next"]



# --- deep linking ---------------------------------------------------------------------------

# How a platform may open a resource link (Deep Linking 2.0, the ltiResourceLink content item);
# PIAA offers the two that can hold a sitting. A window comes first: a proctored sitting wants
# the whole screen, and some platforms' frames withhold the camera.
PRESENTATIONS = ("window", "iframe")
WINDOW_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_WINDOW_NAME = "piaa-assessment"
FRAME_PIXELS = (200, 4000)


@dataclass(frozen=True)
class Presentation:
    """How the platform opens the links: in the window named ``target_name``, or in an iframe
    of ``width`` x ``height`` pixels (either left to the platform when None)."""

    target: str
    target_name: str | None = None
    width: int | None = None
    height: int | None = None

    def content_item_fields(self) -> dict[str, dict]:
        """The content item's ``window`` or ``iframe`` property."""
        if self.target == "window":
            return {"window": {"targetName": self.target_name or DEFAULT_WINDOW_NAME}}
        size = {k: v for k, v in (("width", self.width), ("height", self.height)) if v is not None}
        return {"iframe": size}


def accepted_presentations(request: dict) -> list[str]:
    """The targets of ours the platform accepts, ours first (tickets from before presentations
    were kept accept both)."""
    wanted = request.get("targets", list(PRESENTATIONS))
    return [t for t in PRESENTATIONS if t in wanted]


PIXEL_WORDS = {"frame_width": N_("Give the frame's width in whole pixels from 200 to 4000, or leave it empty."),
               "frame_height": N_("Give the frame's height in whole pixels from 200 to 4000, or leave it empty.")}


def _pixels(raw: str | None, field: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    low, high = FRAME_PIXELS
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Invalid(PIXEL_WORDS[field], field=field)
    return int(raw)


def parse_presentation(request: dict, form: Any) -> Presentation | None:
    """The author's choice of presentation from the picker's fields (``presentation``,
    ``window_name``, ``frame_width``, ``frame_height``); None when the platform accepts
    neither of PIAA's targets (the response then names none).

    :raise Invalid: naming the field, if the target is not one the platform accepts, the window
        name is not 1-64 letters, digits, - or _, or a frame size is not whole pixels in range.
    """
    accepted = accepted_presentations(request)
    if not accepted:
        return None
    # none chosen (the picker always checks one): the first the platform accepts
    target = (form.get("presentation") or "").strip() or (accepted[0] if accepted else "")
    if target not in accepted:
        raise Invalid(N_("Choose how learners open the assessment."), field="presentation")
    if target == "window":
        name = (form.get("window_name") or "").strip() or None
        if name is not None and not WINDOW_NAME.match(name):
            raise Invalid(N_("Name the window with 1 to 64 letters, digits, hyphens or underscores, "
                             "or leave it empty."), field="window_name")
        return Presentation("window", target_name=name or DEFAULT_WINDOW_NAME)
    return Presentation("iframe", width=_pixels(form.get("frame_width"), "frame_width"),
                        height=_pixels(form.get("frame_height"), "frame_height"))


def is_deep_linking(claims: dict) -> bool:
    return claims.get(CLAIM + "message_type") == DEEP_LINKING_REQUEST


def _deep_link_key(ticket: str) -> str:
    return "deep-link-" + hashlib.sha256(ticket.encode()).hexdigest()


def begin_deep_link(session: Session, platform: LtiPlatform, claims: dict) -> str:
    """Keep a course author's deep-linking request for the picker; returns its ticket.

    :raise LaunchRefused: if the launch carries no author role, or its return URL is not http(s).
    """
    roles = claims.get(CLAIM + "roles") or []
    if not any(role in AUTHOR_ROLES for role in roles):
        raise LaunchRefused(N_("Only a course's instructors and content developers may add a PIAA "
                            "assessment to it."), code="not_a_course_author")
    settings = claims.get(DEEP_LINKING_SETTINGS) or {}
    try:
        return_url = _url(settings.get("deep_link_return_url"), "deep_link_return_url")
    except Invalid as exc:
        raise LaunchRefused(exc.template, values=exc.values, code="bad_request") from exc  # still translatable
    ticket = secrets.token_urlsafe(32)
    value = {"platform": platform.id, "deployment": str(claims.get(CLAIM + "deployment_id")),
             "subject": str(claims.get("sub") or ""), "return_url": return_url,
             "data": settings.get("data"), "accept_multiple": str(settings.get("accept_multiple")).lower() == "true",
             "context": (claims.get(CLAIM + "context") or {}).get("title"),
             "gradebook": bool(claims.get(AGS_CLAIM)),
             "targets": [t for t in PRESENTATIONS
                         if t in (settings.get("accept_presentation_document_targets") or [])]}
    session.add(LtiLaunchValue(key=_deep_link_key(ticket), expires_at=now() + DEEP_LINK_LIFETIME, value=value))
    session.flush()
    audit.record(session, "lti.deep_link_requested", subject_type="lti_platform", subject_id=platform.id,
                 data={"deployment": value["deployment"], "subject": value["subject"], "context": value["context"]})
    return ticket


def deep_link_request(session: Session, ticket: str) -> dict:
    """The request a live picker ticket holds (not spent).

    :raise LaunchRefused: if the ticket is unknown, used or expired.
    """
    row = session.get(LtiLaunchValue, _deep_link_key(ticket or ""))
    if row is None or as_utc(row.expires_at) <= now():
        raise LaunchRefused(N_("This page was already used or has expired; add the assessment again "
                            "from the platform."), code="ticket_used")
    return row.value


def assessments_to_link(session: Session) -> list[Assessment]:
    """What a course author may pick: every assessment, by title."""
    return list(session.scalars(select(Assessment).order_by(Assessment.title, Assessment.code)))


def answer_deep_link(session: Session, ticket: str, codes: list[str],
                     presentation: Presentation | None = None) -> tuple[str, str]:
    """Spend the picker ticket and sign the deep-linking response for the chosen assessments,
    one resource link each, all opened as ``presentation`` says (the first target the platform
    accepts when None); returns the platform's return URL and the response JWT.

    :raise LaunchRefused: if the ticket is unknown, used or expired.
    :raise Invalid: if no assessment (or more than one, where the platform takes one) is chosen,
        a code names none, or the presentation is one the platform does not accept.
    """
    request = deep_link_request(session, ticket)
    accepted = accepted_presentations(request)
    if presentation is None:
        presentation = Presentation(accepted[0]) if accepted else None
    elif presentation.target not in accepted:
        raise Invalid(N_("Choose how learners open the assessment."), field="presentation")
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not codes:
        raise Invalid(N_("Choose an assessment to add."), field="assessment")
    if len(codes) > 1 and not request["accept_multiple"]:
        raise Invalid(N_("The platform takes one assessment here; choose one."), field="assessment")
    chosen = {a.code: a for a in session.scalars(select(Assessment).where(Assessment.code.in_(codes)))}
    unknown = [c for c in codes if c not in chosen]
    if unknown:
        raise Invalid(N_("No assessment has the code {unknown}."), field="assessment",
                      values={"unknown": repr(unknown[0])})
    if session.execute(delete(LtiLaunchValue).where(LtiLaunchValue.key == _deep_link_key(ticket),
                                                    LtiLaunchValue.expires_at > now()),
                       execution_options={"synchronize_session": False}).rowcount != 1:
        raise LaunchRefused(N_("This page was already used; add the assessment again from the platform."),
                            code="ticket_used")
    platform = session.get(LtiPlatform, request["platform"])
    token = _deep_link_response(platform, request, [chosen[c] for c in codes], presentation)
    audit.record(session, "lti.deep_linked", subject_type="lti_platform", subject_id=platform.id,
                 data={"deployment": request["deployment"], "subject": request["subject"], "assessments": codes,
                       "presentation": presentation.content_item_fields() if presentation else None})
    return request["return_url"], token


def _deep_link_response(platform: LtiPlatform, request: dict, assessments: list[Assessment],
                        presentation: Presentation | None) -> str:
    """The signed LtiDeepLinkingResponse: one resource link per assessment, launching PIAA
    with ``assessment=<code>``, opened as ``presentation`` says, with a gradebook column where
    the platform offers one."""
    import jwt
    from pylti1p3.deep_link import DeepLink
    from pylti1p3.deep_link_resource import DeepLinkResource
    from pylti1p3.lineitem import LineItem

    from piaa.integrations.outcomes import SCORE_MAXIMUM

    resources = []
    for assessment in assessments:
        resource = (DeepLinkResource().set_url(_launch_url()).set_title(assessment.title)
                    .set_custom_params({"assessment": assessment.code}))
        if request["gradebook"]:
            resource.set_lineitem(LineItem().set_score_maximum(SCORE_MAXIMUM).set_label(assessment.title)
                                  .set_resource_id(assessment.code))
        resources.append(resource)
    link = DeepLink(registration_of(platform), request["deployment"], {
        "deep_link_return_url": request["return_url"], "data": request["data"]})
    message = link.get_message_jwt(resources)
    if presentation is not None:  # pylti1p3 writes no presentation of its own
        for item in message["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]:
            item.update(presentation.content_item_fields())
    if request["data"] is None:  # the claim is echoed only when the platform sent data
        message.pop("https://purl.imsglobal.org/spec/lti-dl/claim/data")
    key = tool_key(current_app)
    return jwt.encode(message, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
