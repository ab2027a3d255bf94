"""Banks: who may create and see them, and the competency x level x state overview."""
import pytest

from piaa.accounts.services import get_or_create_organisation
from piaa.errors import Conflict, Forbidden, Invalid, NotFound
from piaa.items import services
from tests.items.conftest import AGENCY, OTHER_AGENCY
from tests.items.samples import ITEMS, item


def test_author_creates_bank_for_own_agency_only(session, agency, author):
    bank = services.create_bank(session, name="RTI", organisation=agency, actor=author)
    assert bank.organisation is agency and bank.languages == ["en", "hi"]
    other = get_or_create_organisation(session, OTHER_AGENCY, "agency")
    with pytest.raises(Forbidden, match="own agency"):
        services.create_bank(session, name="RTI 2", organisation=other, actor=author)
    with pytest.raises(Conflict, match="exists"):
        services.create_bank(session, name="RTI", organisation=agency, actor=author)


@pytest.mark.parametrize("kwargs, field", [
    ({"name": " "}, "name"), ({"languages": ["hi"]}, "languages"), ({"languages": ["en", "fr"]}, "languages"),
])
def test_bank_needs_name_and_known_languages(session, agency, kwargs, field):
    with pytest.raises(Invalid) as caught:
        services.create_bank(session, **{"name": "B", "organisation": agency, **kwargs})
    assert caught.value.field == field


def test_bank_is_owned_by_an_agency_not_a_provider(session):
    provider = get_or_create_organisation(session, "ISTM", "provider")
    with pytest.raises(Invalid, match="assessment agency"):
        services.create_bank(session, name="B", organisation=provider)


def test_each_role_sees_the_banks_it_may(session, bank, make_user):
    other = services.create_bank(session, name="Other bank",
                                 organisation=get_or_create_organisation(session, OTHER_AGENCY, "agency"))
    names = lambda user: [b.name for b in services.list_banks(session, user)]  # noqa: E731
    assert names(make_user(role="author", organisation=AGENCY)) == ["Office Procedure"]
    assert names(make_user(role="reviewer", organisation=OTHER_AGENCY)) == ["Other bank"]
    assert names(make_user(role="psychometrician", organisation="Calibration Unit")) == ["Office Procedure", "Other bank"]
    assert names(make_user(role="admin", organisation=None)) == ["Office Procedure", "Other bank"]
    assert names(make_user(role="candidate", organisation="Some MDO", kind="mdo")) == []
    assert names(make_user(role="author", organisation=None)) == []
    with pytest.raises(NotFound):
        services.get_bank(session, other.id, make_user(role="author", organisation=AGENCY))


def test_overview_counts_by_competency_level_and_state(session, bank, author, reviewer):
    for data in (ITEMS["single_choice"], item("single_choice", id="SC-2"), ITEMS["true_false"],
                 ITEMS["likert"]):
        services.create_item_from_bank_json(session, bank, data, actor=author)
    submitted = services.find_item(session, bank, "SC-2")
    services.submit_item(session, submitted, actor=author)
    overview = services.bank_overview(session, bank)
    assert overview.cells[("FN-NOTING", "Noting and drafting", 2)]["draft"] == 1
    assert overview.cells[("FN-NOTING", "Noting and drafting", 2)]["in_review"] == 1
    assert overview.cells[("DM-RTI", "Right to Information Act", 1)]["draft"] == 1
    assert overview.cells[("BH-EMPATHY", "Empathy", 2)]["draft"] == 1
    assert overview.totals == {"draft": 3, "in_review": 1, "approved": 0, "operational": 0, "retired": 0}
    assert overview.total == 4
