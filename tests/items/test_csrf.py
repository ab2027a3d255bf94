"""With CSRF protection on (as in production), item forms need their token."""
import re

import pytest

from piaa.items import services
from tests.items.samples import ITEMS


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_state_changing_forms_need_the_token(app, session, bank, author):
    item = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author)
    session.commit()
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": author.email, "password": "correct horse battery", "csrf_token": token})
    assert client.post(f"/items/{item.id}/submit").status_code == 400
    session.expire_all()
    assert item.state == "draft"
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/items/{item.id}/submit", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert item.state == "in_review"
