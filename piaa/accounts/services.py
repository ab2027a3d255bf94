"""Account rules: creating users and organisations, passwords, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts import holders
from piaa.accounts.models import ORGANISATION_KINDS, ROLES, ApiToken, Organisation, User
from piaa.accounts.passwords import check_password_policy
from piaa.clock import as_utc, now
from piaa.errors import Conflict, Forbidden, Invalid, NotFound
from piaa.i18n import N_

_hasher = PasswordHasher()
TOKEN_PREFIX = "piaa_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def end_sessions(user: User) -> None:
    """End every session of ``user`` on the server: each cookie names the generation it was
    signed in under, and this raises it (written on the caller's flush, and announced to the
    processes that remember the user on its commit: ``piaa.accounts.holders``)."""
    user.session_generation = User.session_generation + 1


def set_password(session: Session, user: User, password: str, *, actor: User | None = None) -> None:
    """Give ``user`` a new password (checked against the policy) and end their sessions.

    :raise Invalid: if the password breaks the policy.
    """
    check_password_policy(password)
    user.password_hash = hash_password(password)
    end_sessions(user)
    audit.record(session, "user.password_set", actor=actor, subject_type="user", subject_id=user.id)


def deactivate_user(session: Session, user: User, *, actor: User | None = None) -> None:
    """Stop ``user`` signing in or using a token, and end their sessions."""
    user.active = False
    end_sessions(user)
    audit.record(session, "user.deactivated", actor=actor, subject_type="user", subject_id=user.id)


def get_or_create_organisation(session: Session, name: str, kind: str) -> Organisation:
    if kind not in ORGANISATION_KINDS:
        raise Invalid(N_("organisation kind must be one of {organisation_kinds}, got {kind}"),
                      field="kind",
                      values={"organisation_kinds": ', '.join(ORGANISATION_KINDS), "kind": repr(kind)})
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        session.add(org)
        session.flush()
    return org


def create_user(session: Session, *, email: str, name: str, role: str, password: str | None = None,
                organisation: Organisation | None = None, name_hi: str | None = None,
                actor: User | None = None) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise Invalid(N_("role must be one of {roles}, got {role}"), field="role",
                      values={"roles": ', '.join(ROLES), "role": repr(role)})
    if "@" not in email:
        raise Invalid(N_("not an e-mail address: {email}"), field="email", values={"email": repr(email)})
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(N_("a user with e-mail {email} exists"), field="email", values={"email": email})
    if password is not None:
        check_password_policy(password)
    user = User(email=email, name=name, name_hi=name_hi, role=role, organisation=organisation,
                password_hash=hash_password(password) if password else None, created_at=now())
    session.add(user)
    session.flush()
    audit.record(session, "user.created", actor=actor, subject_type="user", subject_id=user.id,
                 data={"email": email, "role": role})
    return user


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(N_("no user with e-mail {email}"), field="email", values={"email": email})
    return user


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None.

    Every refusal costs one Argon2 verification, as a wrong password for a real account does:
    an unknown e-mail is checked against a dummy hash, so the time taken does not tell which
    e-mails have accounts.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.password_hash:
        try:
            _hasher.verify(_dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            pass
        return None
    if not check_password(user, password) or not user.active:
        return None
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str = "", *, actor: User | None = None) -> str:
    """Create a personal API token (for ``user``, by ``actor`` when an administrator issues
    it); the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), prefix=token[:12],
                         label=label, created_at=now()))
    audit.record(session, "token.issued", actor=actor or user, subject_type="user", subject_id=user.id,
                 data={"label": label, "prefix": token[:12]})
    return token


# How stale ``ApiToken.last_used_at`` may grow: it tells an administrator whether a token
# is still in use, which ten minutes' resolution answers as well as a write on every request
# would, and a client answering items must not pay a commit per call for it. Each process
# keeps its own copy of the last use (``holders``), so a token used through every worker is
# written up to once per worker in that time.
TOKEN_USE_RESOLUTION = timedelta(minutes=10)


# Run on every token-authenticated request: built once. The token's own row is not loaded
# as an object: its id and last use are all a request needs of it.
_TOKEN_HOLDER = (select(User, ApiToken.id, ApiToken.last_used_at).join(User, User.id == ApiToken.user_id)
                 .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked.is_(False)))
_TOKEN_USED = (update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("at"))
               .execution_options(**{holders.UNCHANGED: True}))  # the token still opens what it did


def token_holder(session: Session, token: str) -> holders.Held | None:
    """Who holds ``token``: the active user and the token's id and last use, read in one
    query or recalled (see ``piaa.accounts.holders``); None if no active user holds it."""
    digest = _token_digest(token)
    held = holders.recall(digest)
    if held is None:
        found = session.execute(_TOKEN_HOLDER, {"digest": digest}).first()
        if found is None or not found.User.active:
            holders.forget(digest)
            return None
        held = holders.remember(digest, found.User, found.id, found.last_used_at)
    return held


def note_token_use(session: Session, held: holders.Held) -> bool:
    """Move the token's ``last_used_at`` to now if it is older than ``TOKEN_USE_RESOLUTION``;
    whether it was moved (that write is left for the caller to commit)."""
    at = now()
    if held.last_used_at is None or at - as_utc(held.last_used_at) >= TOKEN_USE_RESOLUTION:
        session.execute(_TOKEN_USED, {"token_id": held.token_id, "at": at})
        held.last_used_at = at
        return True
    return False


def user_for_token(session: Session, token: str) -> tuple[User | None, bool]:
    """The active user holding ``token`` (``token_holder``), as an object of ``session``,
    and whether the token's ``last_used_at`` was moved (``note_token_use``)."""
    held = token_holder(session, token)
    if held is None:
        return None, False
    used = note_token_use(session, held)
    return held.user_in(session), used


# --- administration of accounts --------------------------------------------------------------

def list_users(session: Session, *, text: str | None = None, role: str | None = None) -> list[User]:
    """Accounts by e-mail, optionally only those whose name or e-mail holds ``text``."""
    query = select(User).order_by(User.email)
    if role:
        query = query.where(User.role == role)
    if text and text.strip():
        pattern = f"%{text.strip().lower()}%"
        query = query.where(User.email.like(pattern) | User.name.ilike(pattern))
    return list(session.scalars(query))


def get_user(session: Session, user_id: int) -> User:
    """:raise NotFound: if there is no such account."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no account {user_id}"), values={"user_id": user_id})
    return user


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)))


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    """:raise Invalid: if there is no such organisation."""
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise Invalid(N_("no organisation {organisation_id}"), field="organisation",
                      values={"organisation_id": organisation_id})
    return org


def create_organisation(session: Session, *, name: str, kind: str, name_hi: str | None = None,
                        actor: User | None = None) -> Organisation:
    """:raise Invalid: if the name is empty or the kind unknown. :raise Conflict: if it exists."""
    name = (name or "").strip()
    if not name:
        raise Invalid(N_("an organisation needs a name"), field="name")
    if kind not in ORGANISATION_KINDS:
        raise Invalid(N_("organisation kind must be one of {organisation_kinds}, got {kind}"),
                      field="kind",
                      values={"organisation_kinds": ', '.join(ORGANISATION_KINDS), "kind": repr(kind)})
    if session.scalar(select(Organisation.id).where(Organisation.name == name)):
        raise Conflict(N_("an organisation named {name} exists"), field="name", values={"name": repr(name)})
    org = Organisation(name=name, kind=kind, name_hi=(name_hi or "").strip() or None)
    session.add(org)
    session.flush()
    audit.record(session, "organisation.created", actor=actor, subject_type="organisation",
                 subject_id=org.id, data={"name": name, "kind": kind})
    return org


def _not_yourself(user: User, actor: User | None, what: str) -> None:
    if actor is not None and actor.id == user.id:
        raise Forbidden(N_("you cannot {what} your own account; ask another administrator"), field="user",
                        values={"what": what})


def set_active(session: Session, user: User, active: bool, *, actor: User | None = None) -> User:
    """Deactivate (no sign-in, no token) or reactivate an account.

    :raise Forbidden: for one's own account.
    """
    _not_yourself(user, actor, "deactivate" if not active else "reactivate")
    if user.active != active:
        user.active = active
        session.flush()
        audit.record(session, "user.activated" if active else "user.deactivated", actor=actor,
                     subject_type="user", subject_id=user.id, data={"email": user.email})
    return user


def set_role(session: Session, user: User, role: str, *, actor: User | None = None) -> User:
    """:raise Invalid: for an unknown role. :raise Forbidden: for one's own account."""
    if role not in ROLES:
        raise Invalid(N_("role must be one of {roles}, got {role}"), field="role",
                      values={"roles": ', '.join(ROLES), "role": repr(role)})
    _not_yourself(user, actor, "change the role of")
    if user.role != role:
        previous, user.role = user.role, role
        session.flush()
        audit.record(session, "user.role_changed", actor=actor, subject_type="user", subject_id=user.id,
                     data={"email": user.email, "from": previous, "to": role})
    return user


def new_password() -> str:
    """A random password of 16 characters (96 bits) to hand to an account's holder."""
    return secrets.token_urlsafe(12)


def reset_password(session: Session, user: User, *, actor: User | None = None) -> str:
    """Give the account a new random password, returned once to hand to its holder."""
    password = new_password()
    user.password_hash = hash_password(password)
    session.flush()
    audit.record(session, "user.password_reset", actor=actor, subject_type="user", subject_id=user.id,
                 data={"email": user.email})
    return password


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc())))


def revoke_token(session: Session, token_id: int, *, actor: User | None = None) -> ApiToken:
    """:raise NotFound: if there is no such token."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(N_("no API token {token_id}"), values={"token_id": token_id})
    if not token.revoked:
        token.revoked = True
        session.flush()
        audit.record(session, "token.revoked", actor=actor, subject_type="user", subject_id=token.user_id,
                     data={"prefix": token.prefix, "label": token.label})
    return token
