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


def test_a_hindi_reader_is_refused_in_hindi(app, session, bank, make_user):
    # The four-eyes refusal and a missing item, as a reviewer reading Hindi meets them.
    admin = make_user(role="admin", preferred_language="hi")
    own = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=admin)
    services.submit_item(session, own, actor=admin)
    session.commit()
    client = app.test_client()
    login(client, admin)
    refused = client.post(f"/items/{own.id}/review", data={"decision": "approve"})
    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    assert f"प्रश्न {own.code} का संस्करण 1 आपने लिखा या जमा किया है; इस पर कोई दूसरा समीक्षक निर्णय लेगा" in page
    assert "another reviewer" not in page
    missing = client.get("/items/999999")
    assert missing.status_code == 404 and "प्रश्न 999999 नहीं है" in missing.get_data(as_text=True)
    # The API answers a machine in English, filled in, whatever the account reads.
    assert "another reviewer must decide" in str(services_refusal(session, own, admin))


def services_refusal(session, item, actor):
    from piaa.errors import Forbidden

    with pytest.raises(Forbidden) as refused:
        services.review_item(session, item, reviewer=actor, decision="approve")
    return refused.value


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


# --- problems beside their fields, in plain words -------------------------------------------

def _problem_page(author_client, bank, item_type, data) -> str:
    response = author_client.post(f"/banks/{bank.id}/items/new/{item_type}", data=data)
    assert response.status_code == 422
    return response.get_data(as_text=True)


def beside(html: str, field_id: str) -> str:
    """The error text shown beside one field, which the field points to."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert match, f"no problem shown beside {field_id}"
    assert re.search(rf'id="{re.escape(field_id)}"[^>]*aria-invalid="true"', html) or \
        re.search(rf'aria-invalid="true"[^>]*id="{re.escape(field_id)}"', html), field_id
    return " ".join(match[1].split())


def test_the_correct_option_missing_is_said_in_plain_words_beside_the_options(bank, author_client):
    html = _problem_page(author_client, bank, "single_choice",
                         {**COMMON, "code": "X-1", **_options("Assistant", "Section Officer")})
    assert beside(html, "options") == "Choose the correct option."
    assert '<a href="#options">Choose the correct option.</a>' in html  # the summary links to it
    assert "option ids" not in html and "None" not in html


def test_each_problem_of_a_bare_form_sits_beside_its_own_field(bank, author_client):
    html = _problem_page(author_client, bank, "single_choice",
                         {**COMMON, "code": "X-2", **_options("Only one"), "stem_en": ""})
    assert beside(html, "stem_en") == "Write the question in English."
    assert beside(html, "options") == "Give between 2 and 8 options. Choose the correct option."
    assert 'value="Only one"' in html  # what was typed is kept
    for jargon in ("stem.en", "must be", "got "):
        assert jargon not in html, jargon


def test_option_text_problems_point_at_the_row_typed_in(bank, author_client):
    # Rows 0 and 2 typed, row 1 left blank: the second option is the third row on the page.
    data = {**COMMON, "code": "X-3", "option-0-en": "Assistant", "option-0-hi": "सहायक",
            "option-2-en": "Section Officer", "key": "0"}
    html = _problem_page(author_client, bank, "single_choice", data)
    assert beside(html, "option-2-hi") == "The question has Hindi text, so this option needs it too."


@pytest.mark.parametrize("item_type, data, field_id, words", [
    ("multiple_response", _options("Diary", "File"), "options", "Tick at least one correct option."),
    ("true_false", {"code": "a b"}, "code",
     "Use 1 to 64 letters, digits, dots, hyphens or underscores, without spaces."),
    ("numeric_entry", {"key_number": "thirty", "tolerance": "-1"}, "key_number",
     "Type the correct value as a number, for example 30 or 2.5."),
    ("numeric_entry", {"key_number": "30", "tolerance": "-1"}, "tolerance", "Type the tolerance as a number, 0 or more."),
    ("text_entry", {"accepted-0-value": "SO", "accepted-0-credit": "0.5"}, "accepted",
     "At least one accepted answer must earn full credit (1)."),
    ("situational_judgement", {**_options("Listen", "Refer"), "option-0-credit": "3", "option-1-credit": "0"},
     "options", "Give the options the credits 0, 1, 2 and so on without gaps; the best response gets the highest."),
    ("true_false", {"competency": "NOPE"}, "competency", "Choose a competency from the dictionary."),
])
def test_plain_words_for_each_kind_of_problem(bank, author_client, item_type, data, field_id, words):
    html = _problem_page(author_client, bank, item_type, {**COMMON, "code": "X-4", **data})
    assert beside(html, field_id) == words


def test_the_problems_are_in_hindi_for_a_hindi_reader(bank, author_client):
    author_client.get("/login?lang=hi")
    response = author_client.post(f"/banks/{bank.id}/items/new/single_choice?lang=hi",
                                  data={**COMMON, "code": "X-5", **_options("Assistant", "Section Officer")})
    assert beside(response.get_data(as_text=True), "options") == "सही विकल्प चुनें।"


def test_a_duplicate_id_is_said_beside_the_id(session, bank, author_client):
    author_client.post(f"/banks/{bank.id}/items/new/true_false", data={**COMMON, "code": "DUP", "key_bool": "true"})
    html = _problem_page(author_client, bank, "true_false", {**COMMON, "code": "DUP", "key_bool": "true"})
    assert beside(html, "code") == "This bank already has an item with this id; choose another."


def test_the_competency_picker_starts_at_the_banks_competency(session, bank, author, author_client):
    picked = re.compile(r'<option selected value="([^"]+)"|<option value="([^"]+)" selected')

    def selected(html: str) -> str:
        select = html.split('id="competency"', 1)[1].split("</select>", 1)[0]
        found = picked.search(select)
        return found and (found[1] or found[2])

    # An empty bank has no competency of its own: the first of the dictionary is shown.
    assert selected(author_client.get(f"/banks/{bank.id}/items/new/true_false").get_data(as_text=True)) in (None, "")
    for code in ("X-6", "X-7"):
        author_client.post(f"/banks/{bank.id}/items/new/true_false",
                           data={**COMMON, "code": code, "competency": "BH-EMPATHY", "key_bool": "true"})
    author_client.post(f"/banks/{bank.id}/items/new/true_false", data={**COMMON, "code": "X-8", "key_bool": "true"})
    page = author_client.get(f"/banks/{bank.id}/items/new/single_choice").get_data(as_text=True)
    assert selected(page) == "BH-EMPATHY"  # two of its three items
    page = author_client.get(f"/banks/{bank.id}/items/new/single_choice?competency=FN-NOTING").get_data(as_text=True)
    assert selected(page) == "FN-NOTING"
