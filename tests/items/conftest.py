"""Fixtures for the items domain: a competency dictionary, an agency with a bank, and its staff."""
import pytest

from piaa.accounts.services import get_or_create_organisation
from piaa.items import services
from piaa.items.services import SourcedRecord
from tests.items.samples import COMPETENCIES

AGENCY = "Test Agency"
OTHER_AGENCY = "Other Agency"


@pytest.fixture
def dictionary(session):
    services.import_competencies(session, [SourcedRecord(c, i + 1) for i, c in enumerate(COMPETENCIES)])
    session.commit()
    return {c["code"]: services.get_competency(session, c["code"]) for c in COMPETENCIES}


@pytest.fixture
def agency(session):
    return get_or_create_organisation(session, AGENCY, "agency")


@pytest.fixture
def bank(session, agency, dictionary):
    bank = services.create_bank(session, name="Office Procedure", organisation=agency,
                                description="Noting, drafting and RTI", languages=["en", "hi"])
    session.commit()
    return bank


@pytest.fixture
def author(make_user):
    return make_user(role="author", organisation=AGENCY)


@pytest.fixture
def author2(make_user):
    return make_user(role="author", organisation=AGENCY)


@pytest.fixture
def reviewer(make_user):
    return make_user(role="reviewer", organisation=AGENCY)
