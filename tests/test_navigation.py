"""Every role's menu points at pages that exist and that the role may open."""
import pytest

from piaa.accounts.models import ROLES
from piaa.navigation import MENU
from tests.conftest import login


def test_menu_names_only_existing_endpoints_for_every_role(app):
    assert set(MENU) == set(ROLES)
    for role, links in MENU.items():
        for label, endpoint in links:
            assert endpoint in app.view_functions, f"{role} menu: {label} -> {endpoint}"


@pytest.mark.parametrize("role", ROLES)
def test_each_menu_link_opens_for_its_role(app, make_user, role):
    client = app.test_client()
    login(client, make_user(role=role))
    page = client.get("/login").get_data(as_text=True)  # any page renders the header
    for label, endpoint in MENU[role]:
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint)
        assert f'href="{url}"' in page, f"{role} menu lacks {label}"
        assert client.get(url).status_code == 200, f"{role} cannot open {label} at {url}"
