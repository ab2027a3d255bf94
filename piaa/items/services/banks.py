"""Item banks: creating them, finding the ones a user may see, and their overview counts."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import ADMIN, AGENCY, AUTHOR, Organisation, User
from piaa.clock import now
from piaa.errors import Conflict, Forbidden, Invalid, NotFound
from piaa.items.models import ITEM_STATES, Competency, Item, ItemBank
from piaa.items.services.access import can_read_bank, visible_banks
from piaa.items.types import LANGUAGES
from piaa.i18n import N_


def create_bank(session: Session, *, name: str, organisation: Organisation, description: str = "",
                languages: list[str] | tuple[str, ...] = ("en", "hi"),
                actor: User | None = None) -> ItemBank:
    """A new, empty bank owned by an assessment agency.

    Authors create banks for their own agency only; administrators (and the command line)
    for any agency.

    :raise Invalid: if the name is empty, the owner is not an agency or a language unknown.
    :raise Conflict: if a bank of that name exists.
    :raise Forbidden: if the actor may not create banks for that agency.
    """
    name = (name or "").strip()
    if not name:
        raise Invalid(N_("a bank needs a name"), field="name")
    if organisation is None or organisation.kind != AGENCY:
        raise Invalid(N_("a bank is owned by an assessment agency, not {organisation}"),
                      field="organisation",
                      values={"organisation": repr(organisation)})
    languages = list(dict.fromkeys(languages))
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or "en" not in languages:
        raise Invalid(N_("languages must include en and be among {languages}, got {languages2}"),
                      field="languages",
                      values={"languages": ', '.join(LANGUAGES), "languages2": str(languages)})
    if actor is not None and actor.role != ADMIN:
        if actor.role != AUTHOR or actor.organisation_id != organisation.id:
            raise Forbidden(N_("authors create banks for their own agency only"))
    if session.scalar(select(ItemBank.id).where(ItemBank.name == name)):
        raise Conflict(N_("a bank named {name} exists"), field="name", values={"name": repr(name)})
    bank = ItemBank(name=name, organisation=organisation, description=(description or "").strip(),
                    languages=languages, created_at=now())
    session.add(bank)
    session.flush()
    audit.record(session, "bank.created", actor=actor, subject_type="item_bank", subject_id=bank.id,
                 data={"name": name, "organisation": organisation.name, "languages": languages})
    return bank


def list_banks(session: Session, user: User | None) -> list[ItemBank]:
    """The banks ``user`` may read, by name."""
    return list(session.scalars(select(ItemBank).where(visible_banks(user)).order_by(ItemBank.name)))


def get_bank(session: Session, bank_id: int, user: User | None) -> ItemBank:
    """:raise NotFound: if there is no such bank, or ``user`` may not see it (no hint which)."""
    bank = session.get(ItemBank, bank_id)
    if bank is None or not can_read_bank(user, bank):
        raise NotFound(N_("no item bank {bank_id}"), values={"bank_id": bank_id})
    return bank


def find_bank(session: Session, name: str) -> ItemBank | None:
    """The bank of that name, if any (for importers that match on the manifest's name)."""
    return session.scalar(select(ItemBank).where(ItemBank.name == name))


@dataclass
class BankOverview:
    """Item counts by competency x level x state."""

    states: tuple[str, ...] = ITEM_STATES
    # rows: (competency code, competency name, level) -> {state: count}
    cells: dict[tuple[str, str, int], dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    names_hi: dict[str, str] = field(default_factory=dict)  # competency code -> its Hindi name

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def bank_overview(session: Session, bank: ItemBank) -> BankOverview:
    rows = session.execute(
        select(Competency.code, Competency.name, Item.level, Item.state, func.count(Item.id), Competency.name_hi)
        .join(Competency, Item.competency_id == Competency.id)
        .where(Item.bank_id == bank.id)
        .group_by(Competency.code, Competency.name, Item.level, Item.state, Competency.name_hi)
        .order_by(Competency.code, Item.level))
    cells: dict[tuple[str, str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(ITEM_STATES, 0))
    totals = dict.fromkeys(ITEM_STATES, 0)
    names_hi = {}
    for code, name, level, state, count, name_hi in rows:
        cells[(code, name, level)][state] = count
        totals[state] += count
        if name_hi:
            names_hi[code] = name_hi
    return BankOverview(cells=dict(cells), totals=totals, names_hi=names_hi)


def list_agencies(session: Session) -> list[Organisation]:
    """Organisations that may own banks, by name."""
    return list(session.scalars(select(Organisation).where(Organisation.kind == AGENCY)
                                .order_by(Organisation.name)))


def get_agency(session: Session, organisation_id: int) -> Organisation:
    """:raise Invalid: if there is no agency with that id."""
    org = session.get(Organisation, organisation_id)
    if org is None or org.kind != AGENCY:
        raise Invalid(N_("no assessment agency {organisation_id}"), field="organisation",
                      values={"organisation_id": organisation_id})
    return org


def bank_competency(session: Session, bank: ItemBank) -> str | None:
    """The competency most of the bank's items assess (its code), or None for an empty bank:
    what a new item in the bank most likely assesses too."""
    return session.scalar(
        select(Competency.code).join(Item, Item.competency_id == Competency.id)
        .where(Item.bank_id == bank.id).group_by(Competency.code)
        .order_by(func.count(Item.id).desc(), Competency.code).limit(1))
