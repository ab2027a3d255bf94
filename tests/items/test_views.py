"""The authoring pages: each type through the form, preview without keys, review, scoping."""
import re

import pytest
from sqlalchemy import select

from piaa.items import services
from piaa.items.models import Item
from tests.conftest import login
from tests.items.conftest import AGENCY
from tests.items.samples import ITEMS

# Form posts for one item of every type, as the authoring page sends them.
COMMON = {"competency": "FN-NOTING", "level": "2", "sub_area": "", "stem_en": "Who signs?\n\nPick one.",
          "stem_hi": "कौन हस्ताक्षर करता है?", "rationale_en": "Because the manual says so.",
          "rationale_hi": "", "reference": "MOP 4.3", "collapse_spaces": "y", "tolerance": "0"}


def _options(*texts, hindi=True):
    form = {}
    for i, text in enumerate(texts):
        form[f"option-{i}-en"] = text
        if hindi:
            form[f"option-{i}-hi"] = f"{text} (हि)"
    return form


FORMS = {
    "single_choice": {**_options("Assistant", "Section Officer", "Clerk"), "key": "1"},
    "multiple_response": {**_options("Diary", "File", "Colour"), "option-0-key": "on", "option-1-key": "on",
                          "partial_credit": "y"},
    "true_false": {"key_bool": "false"},
    "text_entry": {"accepted-0-value": "Section Officer", "accepted-0-credit": "1",
                   "accepted-1-value": "SO", "accepted-1-credit": "0.5"},
    "numeric_entry": {"key_number": "30", "tolerance": "0.5", "unit": "days"},
    "ordering": _options("Receive", "Diarise", "Note"),
    "situational_judgement": {**_options("Listen", "Refer", "Leave", hindi=False), "competency": "BH-EMPATHY",
                              "stem_hi": "", "option-0-credit": "2", "option-1-credit": "1", "option-2-credit": "0"},
    "likert": {**_options("Never", "Often", hindi=False), "competency": "BH-EMPATHY", "stem_hi": "",
               "option-0-credit": "0", "option-1-credit": "1"},
}


@pytest.fixture
def author_client(app, author):
    client = app.test_client()
    login(client, author)
    return client


@pytest.mark.parametrize("item_type", sorted(FORMS))
def test_author_creates_each_type_through_the_form(session, bank, author_client, item_type):
    page = author_client.get(f"/banks/{bank.id}/items/new/{item_type}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for input_id in re.findall(r'<input[^>]*\bid="([^"]+)"', html):
        if "hidden" not in input_id:
            assert f'for="{input_id}"' in html, f"input {input_id} has no label"
    response = author_client.post(f"/banks/{bank.id}/items/new/{item_type}",
                                  data={**COMMON, "code": f"W-{item_type}", **FORMS[item_type]})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    created = session.scalar(select(Item).where(Item.code == f"W-{item_type}"))
    assert created.type == item_type and created.state == "draft"
    data = services.item_to_bank_json(created)
    expected_key = {"single_choice": "B", "multiple_response": ["A", "B"], "true_false": False,
                    "ordering": ["A", "B", "C"], "numeric_entry": 30}
    if item_type in expected_key:
        assert data["key"] == expected_key[item_type]
    assert data["stem"]["en"] == "Who signs?\n\nPick one."
    # and the edit form shows it back
    assert author_client.get(f"/items/{created.id}/edit").status_code == 200


def test_form_problems_are_shown_with_fields(bank, author_client):
    response = author_client.post(f"/banks/{bank.id}/items/new/single_choice",
                                  data={**COMMON, "code": "X-1", **_options("Only one"), "stem_en": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "stem.en" in html and "options" in html and "key" in html and 'role="alert"' in html
    assert 'value="Only one"' in html  # what was typed is kept


def test_edit_draft_in_place_then_submit_then_edit_is_new_version(session, bank, author, author_client):
    item = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)
    session.commit()
    edit = author_client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert 'value="Section Officer"' in edit
    form = {**COMMON, **_options("Assistant", "Section Officer", "Clerk"), "key": "2"}
    assert author_client.post(f"/items/{item.id}/edit", data=form).status_code == 302
    session.expire_all()
    assert (item.current_version, item.current.content["key"]) == (1, "C")
    assert author_client.post(f"/items/{item.id}/submit").status_code == 302
    session.expire_all()
    assert item.state == "in_review"
    assert author_client.post(f"/items/{item.id}/edit", data=form).status_code == 409


def test_preview_is_the_candidate_view_in_both_languages(session, bank, author, author_client):
    item = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)
    session.commit()
    html = author_client.get(f"/items/{item.id}/preview?lang=hi").get_data(as_text=True)
    assert ITEMS["single_choice"]["stem"]["hi"] in html and 'lang="hi"' in html
    assert "The Section Officer signs" not in html  # no rationale
    assert "checked" not in html
    english = author_client.get(f"/items/{item.id}/preview?lang=en").get_data(as_text=True)
    assert "Which officer signs the note?" in english
    assert author_client.get(f"/items/{item.id}/preview?lang=ta").status_code == 422


def test_reviewer_approves_and_returns_through_the_page(app, session, bank, author, reviewer):
    first = services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)
    second = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author)
    for it in (first, second):
        services.submit_item(session, it, actor=author)
    session.commit()
    client = app.test_client()
    login(client, reviewer)
    queue = client.get("/review").get_data(as_text=True)
    assert "SC-1" in queue and "TF-1" in queue
    assert client.post(f"/items/{first.id}/review", data={"decision": "approve"}).status_code == 302
    returned = client.post(f"/items/{second.id}/review", data={"decision": "return", "comments": ""})
    assert returned.status_code == 422
    client.post(f"/items/{second.id}/review", data={"decision": "return", "comments": "Cite the Act"})
    session.expire_all()
    assert (first.state, second.state) == ("approved", "draft")
    page = client.get(f"/items/{second.id}").get_data(as_text=True)
    assert "Cite the Act" in page and reviewer.name in page


def test_admin_cannot_approve_own_item_on_the_page(app, session, bank, make_user):
    admin = make_user(role="admin")
    own = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=admin)
    services.submit_item(session, own, actor=admin)
    session.commit()
    client = app.test_client()
    login(client, admin)
    assert "another reviewer must decide" in client.get(f"/items/{own.id}").get_data(as_text=True)
    assert client.post(f"/items/{own.id}/review", data={"decision": "approve"}).status_code == 403
    session.expire_all()
    assert own.state == "in_review"


def test_other_agency_sees_neither_bank_nor_item(app, session, bank, author, make_user):
    item = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author)
    session.commit()
    client = app.test_client()
    login(client, make_user(role="author", organisation="Other Agency"))
    assert "Office Procedure" not in client.get("/banks").get_data(as_text=True)
    for url in (f"/banks/{bank.id}", f"/banks/{bank.id}/items", f"/items/{item.id}", f"/items/{item.id}/preview"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/items/{item.id}/submit").status_code == 404


def test_bank_overview_list_filters_and_search(app, session, bank, author, author_client):
    for data in ITEMS.values():
        services.create_item_from_bank_json(session, bank, data, actor=author)
    session.commit()
    overview = author_client.get(f"/banks/{bank.id}").get_data(as_text=True)
    assert "FN-NOTING" in overview and "BH-EMPATHY" in overview
    listed = author_client.get(f"/banks/{bank.id}/items?competency=BH-EMPATHY&type=likert").get_data(as_text=True)
    assert "LK-1" in listed and "SJ-1" not in listed
    assert "OR-1" in author_client.get(f"/banks/{bank.id}/items?q=क्रम").get_data(as_text=True)
    assert author_client.get(f"/banks/{bank.id}/items?level=x").status_code == 422


def test_author_creates_bank_for_own_agency(session, agency, author_client):
    response = author_client.post("/banks", data={"name": "New bank", "description": "d", "languages": ["en"]})
    assert response.status_code == 302
    created = services.find_bank(session, "New bank")
    assert created.organisation.name == AGENCY and created.languages == ["en"]


def test_competency_pages_and_admin_import(app, session, dictionary, make_user, tmp_path):
    client = app.test_client()
    login(client, make_user(role="analyst", organisation="CBC", kind="mdo"))
    html = client.get("/competencies?q=empathy").get_data(as_text=True)
    assert "BH-EMPATHY" in html and "FN-NOTING" not in html
    assert "Empathy: level 5 work" in client.get("/competencies/BH-EMPATHY").get_data(as_text=True)
    assert client.post("/competencies/import").status_code == 403
    admin = app.test_client()
    login(admin, make_user(role="admin"))
    import io
    csv = ("code,name,type,description,level1,level2,level3,level4,level5\n"
           "BH-EMPATHY,Empathy,behavioural,Cares,a,b,c,d,e\n")
    response = admin.post("/competencies/import", data={"file": (io.BytesIO(csv.encode()), "dict.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    assert services.get_competency(session, "BH-EMPATHY").version == 2
    bad = admin.post("/competencies/import", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(csv.replace("behavioural", "x").encode()), "dict.csv")})
    assert bad.status_code == 422 and "row 2" in bad.get_data(as_text=True)
