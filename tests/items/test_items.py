"""Items: checks with item and field, versions (in place, new, frozen), search, bank JSON."""
import pytest
from sqlalchemy import select

from piaa.errors import Conflict, Forbidden, Invalid
from piaa.items import services
from piaa.items.models import FrozenVersionError, ItemVersion
from tests.items.samples import ITEMS, item


@pytest.mark.parametrize("item_type", sorted(ITEMS))
def test_each_type_is_created_and_written_back_unchanged(session, bank, author, item_type):
    created = services.create_item_from_bank_json(session, bank, ITEMS[item_type], actor=author)
    assert (created.state, created.current_version, created.type) == ("draft", 1, item_type)
    assert created.current.created_by_id == author.id
    written = services.item_to_bank_json(created)
    expected = dict(ITEMS[item_type])
    for key, value in {"partial_credit": False, "case_sensitive": False, "collapse_spaces": True,
                       "tolerance": 0}.items():
        if key in written and key not in expected:
            expected[key] = value
    assert written == expected


def test_problems_name_item_and_field(session, bank, author):
    data = item("single_choice", id="bad id!", competency="FN-NOPE", level=7, key="Z")
    with pytest.raises(Invalid) as caught:
        services.create_item_from_bank_json(session, bank, data, actor=author)
    assert {p["field"] for p in caught.value.problems} == {"id", "competency", "level", "key"}
    assert all(p["item"] == "bad id!" for p in caught.value.problems)
    assert services.check_bank_item(session, bank, ITEMS["single_choice"]) == []


def test_code_is_unique_within_a_bank_only(session, bank, agency, author):
    services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author)
    with pytest.raises(Invalid, match="already has an item TF-1"):
        services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author)
    second = services.create_bank(session, name="Second", organisation=agency)
    assert services.create_item_from_bank_json(session, second, ITEMS["true_false"], actor=author).code == "TF-1"


def test_polytomous_items_are_for_behavioural_competencies(session, bank, author):
    with pytest.raises(Invalid, match="behavioural competencies; FN-NOTING is functional"):
        services.create_item_from_bank_json(session, bank, item("likert", competency="FN-NOTING"), actor=author)


def test_hindi_text_needs_a_bank_with_hindi(session, agency, dictionary, author):
    english_bank = services.create_bank(session, name="English only", organisation=agency, languages=["en"])
    with pytest.raises(Invalid) as caught:
        services.create_item_from_bank_json(session, english_bank, ITEMS["single_choice"], actor=author)
    assert "stem.hi" in {p["field"] for p in caught.value.problems}


def test_authors_of_other_agencies_and_other_roles_cannot_author(session, bank, make_user):
    outsider = make_user(role="author", organisation="Other Agency")
    with pytest.raises(Forbidden, match="another agency"):
        services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=outsider)
    with pytest.raises(Forbidden, match="role author"):
        services.create_item_from_bank_json(session, bank, ITEMS["true_false"],
                                            actor=make_user(role="reviewer"))


def test_loading_reviewed_items_is_for_trusted_callers(session, bank, author, make_user):
    loaded = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], state="operational")
    assert loaded.state == "operational" and loaded.current.frozen
    with pytest.raises(Forbidden):
        services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author, state="approved")
    psychometrician = make_user(role="psychometrician", organisation="Calibration Unit")
    assert services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=psychometrician,
                                               state="approved").state == "approved"
    with pytest.raises(Invalid, match="loaded as"):
        services.create_item_from_bank_json(session, bank, ITEMS["likert"], state="in_review")


def test_author_edits_own_unsubmitted_draft_in_place(session, bank, author):
    created = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)
    version = services.update_item(session, created, actor=author, content=item("single_choice", key="A"))
    assert (version.number, created.current_version, len(created.versions)) == (1, 1, 1)
    assert created.current.content["key"] == "A"
    same = services.update_item(session, created, actor=author, content=item("single_choice", key="A"))
    assert same is version  # nothing changed, nothing made


def test_another_authors_edit_of_a_draft_is_a_new_version(session, bank, author, author2):
    created = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)
    version = services.update_item(session, created, actor=author2, content=item("single_choice", key="C"),
                                   level=3)
    assert (version.number, version.created_by_id, created.current_version) == (2, author2.id, 2)
    assert created.level == 3 and created.versions[0].content["key"] == "B"
    assert created.current.content["key"] == "C"


def test_submitted_version_is_frozen_and_edits_make_new_versions(session, bank, author, reviewer):
    created = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)
    services.submit_item(session, created, actor=author)
    first = created.current
    assert first.frozen and first.submitted_by_id == author.id
    with pytest.raises(Conflict, match="in_review"):
        services.update_item(session, created, actor=author, content=item("single_choice", key="A"))
    services.review_item(session, created, reviewer=reviewer, decision="approve")
    version = services.update_item(session, created, actor=author, content=item("single_choice", key="A"))
    assert (version.number, created.state) == (2, "draft")
    assert first.content["key"] == "B"
    session.commit()
    first.content = dict(first.content, key="C")  # behind the services' back
    with pytest.raises(FrozenVersionError, match="frozen"):
        session.flush()
    session.rollback()
    assert session.scalar(select(ItemVersion.content).where(ItemVersion.id == first.id))["key"] == "B"


def test_frozen_version_cannot_be_deleted(session, bank, author):
    created = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author)
    services.submit_item(session, created, actor=author)
    session.commit()
    session.delete(created.current)
    with pytest.raises(FrozenVersionError):
        session.flush()
    session.rollback()


def test_search_filters_combine(session, bank, author):
    for data in ITEMS.values():
        services.create_item_from_bank_json(session, bank, data, actor=author)
    services.submit_item(session, services.find_item(session, bank, "MR-1"), actor=author)
    codes = lambda **kw: [i.code for i in services.search_items(session, bank, **kw).items]  # noqa: E731
    assert codes(competency="FN-NOTING") == ["MR-1", "OR-1", "SC-1", "TE-1"]
    assert codes(competency="FN-NOTING", level=3) == ["MR-1"]
    assert codes(state="in_review") == ["MR-1"]
    assert codes(item_type="likert") == ["LK-1"]
    assert codes(text="section OFFICER") == ["SC-1", "TE-1"]  # an option, an accepted answer
    assert codes(text="क्रम") == ["OR-1"]
    assert codes(text="TF-") == ["TF-1"]
    assert codes(text="50%") == []
    page = services.search_items(session, bank, per_page=3, page=2)
    assert (page.total, page.pages, [i.code for i in page.items]) == (8, 3, ["OR-1", "SC-1", "SJ-1"])
    for bad in ({"state": "published"}, {"level": 9}, {"item_type": "essay"}):
        with pytest.raises(Invalid):
            services.search_items(session, bank, **bad)


def test_candidate_view_of_a_version(session, bank, author):
    created = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)
    view = services.candidate_view(created.current, "hi")
    assert view["stem"] == ITEMS["single_choice"]["stem"]["hi"] and "key" not in view
