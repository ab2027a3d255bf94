"""Who may see and change which bank.

Authors and reviewers work inside their own agency's banks; administrators see and change
all banks; psychometricians read all banks. ``None`` as the user means the system itself
(command line, background job), which is trusted.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from piaa.accounts.models import ADMIN, AUTHOR, PSYCHOMETRICIAN, REVIEWER, User
from piaa.errors import Forbidden
from piaa.i18n import N_
from piaa.items.models import ItemBank

READ_ALL_BANKS = (ADMIN, PSYCHOMETRICIAN)
AGENCY_BANK_ROLES = (AUTHOR, REVIEWER)
SYSTEM = "system"


def role_of(user: User | None) -> str:
    return user.role if user is not None else SYSTEM


def same_agency(user: User, bank: ItemBank) -> bool:
    return user.organisation_id is not None and user.organisation_id == bank.organisation_id


def can_read_bank(user: User | None, bank: ItemBank) -> bool:
    if user is None or user.role in READ_ALL_BANKS:
        return True
    return user.role in AGENCY_BANK_ROLES and same_agency(user, bank)


def visible_banks(user: User | None) -> ColumnElement[bool]:
    """A WHERE condition on ItemBank selecting the banks ``user`` may read."""
    if user is None or user.role in READ_ALL_BANKS:
        return true()
    if user.role in AGENCY_BANK_ROLES and user.organisation_id is not None:
        return ItemBank.organisation_id == user.organisation_id
    return false()


def require_bank_role(user: User | None, bank: ItemBank, *roles: str) -> None:
    """The user holds one of ``roles`` and works for the bank's agency (admins: any bank).

    :raise Forbidden: otherwise.
    """
    if user is None or user.role == ADMIN:
        return
    if user.role not in roles:
        raise Forbidden(N_("this needs the role {roles}; you are {role}"),
                        values={"roles": list(roles), "role": user.role})
    if not same_agency(user, bank):
        raise Forbidden(N_("bank {bank_name} belongs to another agency"), values={"bank_name": repr(bank.name)})
