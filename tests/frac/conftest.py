"""Fixtures for FRAC: a small dictionary, an MDO with staff and leadership, a CoE reviewer."""
import pytest

from piaa.accounts.services import get_or_create_organisation
from tests.items.conftest import dictionary  # noqa: F401  (the same small dictionary)
from tests.items.samples import competency

MINISTRY = "Ministry of Examples"
OTHER_MINISTRY = "Department of Elsewhere"


@pytest.fixture
def mdo(session):
    org = get_or_create_organisation(session, MINISTRY, "mdo")
    session.commit()
    return org


@pytest.fixture
def staff(make_user, mdo):
    return make_user(role="mdo_staff", organisation=MINISTRY, kind="mdo")


@pytest.fixture
def leader(make_user, mdo):
    return make_user(role="mdo_leadership", organisation=MINISTRY, kind="mdo")


@pytest.fixture
def reviewer(make_user):
    return make_user(role="coe_reviewer", organisation="ISTM", kind="provider")


def position_record(code="ASO", title="Assistant Section Officer", competencies=None, **extra):
    return {"code": code, "title": title, "description": "Section work",
            "roles": [{"name": "Noting and drafting", "activities": ["Puts up notes on files", "Drafts replies"]},
                      {"name": "RTI", "activities": ["Drafts replies to RTI applications"]}],
            "competencies": competencies if competencies is not None else
            [{"code": "FN-NOTING", "level": 3}, {"code": "DM-RTI", "level": 2}], **extra}


def new_competency(code="BH-NEGOTIATE", name="Negotiation"):
    return competency(code, name, "behavioural")
