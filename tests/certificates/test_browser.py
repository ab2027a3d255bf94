"""The public verification page in a real browser: valid, revoked and unknown certificates."""
from __future__ import annotations

import pytest

from piaa.certificates import services

from .test_services import facts

pytestmark = pytest.mark.browser


def test_verification_page_in_the_browser(live_server, page, session, make_user):
    official, admin = make_user(name="Asha Verma"), make_user(role="admin")
    valid = services.issue_for_attempt(session, **facts(official, attempt_id=1, render=False))
    revoked = services.issue_for_attempt(session, **facts(official, attempt_id=2, render=False))
    services.revoke(session, public_id=revoked.public_id, reason="Proxy candidate", actor=admin)
    session.commit()

    page.goto(f"{live_server}/verify/{valid.public_id}")
    assert page.locator("h1#verdict").get_attribute("data-status") == "valid"
    assert page.get_by_text("A*** V****").is_visible()
    assert page.get_by_role("link", name="Download the credential (JSON)").is_visible()

    page.goto(f"{live_server}/verify/{revoked.public_id}")
    assert page.locator("h1#verdict").get_attribute("data-status") == "revoked"
    assert "revoked by its issuer" in page.get_by_role("alert").inner_text()

    response = page.goto(f"{live_server}/verify/{'0f' * 16}")
    assert response.status == 404
    assert page.locator("h1#verdict").get_attribute("data-status") == "not-found"
