"""Invitations by e-mail: the message goes through a real SMTP server (aiosmtpd, on a local
port) or, with no server set, into the outbox folder; its signed link rates once without an
account, expires, is replaced by a resend, and can make a rater account."""
from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from piaa.accounts.models import User
from piaa.workplace.models import WorkplaceRater
from tests.conftest import TEST_PASSWORD, _free_port, login

LINK = re.compile(r"(http\S+/workplace/rate/\S+)")


def _body(raw: bytes) -> tuple[str, str, str]:
    """(to, subject, text) of a message."""
    message = email.message_from_bytes(raw, policy=policy.default)
    return message["To"], message["Subject"], message.get_body(("plain",)).get_content()


def outbox_links(app) -> dict[str, str]:
    """The rating link (path only) of the newest e-mail to each address in the outbox folder."""
    links = {}
    for path in sorted(Path(app.config["PIAA_MAIL_OUTBOX"]).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        to, _, text = _body(path.read_bytes())
        links[to] = "/workplace/rate/" + LINK.search(text).group(1).split("/workplace/rate/", 1)[1]
    return links


class Sink:
    """An SMTP server's handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
    """A local SMTP server the app sends through (plain SMTP on a free port)."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(PIAA_MAIL_SERVER="127.0.0.1", PIAA_MAIL_PORT=controller.port, PIAA_MAIL_SECURITY="none",
                      PIAA_MAIL_SENDER="PIAA <piaa@example.gov.in>")
    yield sink
    controller.stop()


def _round(client):
    response = client.post("/workplace/open")
    assert response.status_code == 302
    return response.location


def _nominate(client, url, relation, address, name="A Rater"):
    return client.post(url + "/raters", data={"relation": relation, "name": name, "email": address},
                       follow_redirects=True).get_data(as_text=True)


def _link(raw: bytes) -> str:
    return LINK.search(_body(raw)[2]).group(1)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_the_invitation_goes_by_smtp_and_its_link_rates_once(app, session, official, dictionary, smtp):
    client = app.test_client()
    login(client, official)
    url = _round(client)
    page = _nominate(client, url, "peer", "Peer.One@Example.gov.in", "Peer One")
    assert "Invitation sent to peer.one@example.gov.in" in page
    (sender, recipients, raw), = smtp.messages
    assert sender == "piaa@example.gov.in" and recipients == ["peer.one@example.gov.in"]
    to, subject, text = _body(raw)
    assert subject.startswith("Please rate the workplace behaviour of Asha Official")
    assert "कृपया Asha Official के कार्यस्थल व्यवहार की रेटिंग दें" in subject
    assert "Dear Peer One," in text and "प्रिय Peer One," in text and "2026-01-19" in text  # 14 days on
    link = _link(raw)
    assert link.startswith(app.config["PIAA_BASE_URL"] + "/workplace/rate/")
    token = link.rsplit("/", 1)[1]
    assert token not in page  # the manager of the round never sees the link
    rater = session.scalar(select(WorkplaceRater))
    assert (rater.sent_at is not None, rater.send_count, rater.send_error) == (True, 1, None)

    visitor = app.test_client()  # nobody signed in: the link is the key
    form = visitor.get(_path(link)).get_data(as_text=True)
    assert 'id="ratings"' in form and "Noting and drafting: level 3 work" in form
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    done = visitor.post(_path(link), data={f"competency-{noting}": 4, f"competency-{rti}": "not_observed"})
    assert done.status_code == 200 and 'id="recorded"' in done.get_data(as_text=True)
    again = visitor.post(_path(link), data={f"competency-{noting}": 1, f"competency-{rti}": 1})
    assert again.status_code == 409
    reopened = visitor.get(_path(link)).get_data(as_text=True)
    assert 'id="recorded"' in reopened and 'id="ratings"' not in reopened
    session.expire_all()
    assert {(r.competency_id, r.level) for r in rater.ratings} == {(noting, 4), (rti, None)}
    # a rated invitation is not sent again
    assert client.post(f"{url}/raters/{rater.id}/resend").status_code == 409


def test_an_expired_link_is_refused_and_a_resend_replaces_it(app, session, official, dictionary, smtp, clock):
    client = app.test_client()
    login(client, official)
    url = _round(client)
    _nominate(client, url, "supervisor", "boss@example.gov.in")
    first = _path(_link(smtp.messages[0][2]))
    visitor = app.test_client()
    clock.advance(days=13, hours=23)
    assert visitor.get(first).status_code == 200
    clock.advance(hours=2)  # 14 days and an hour after it was sent
    expired = visitor.get(first)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    assert visitor.post(first, data={f"competency-{noting}": 3, f"competency-{rti}": 3}).status_code == 410

    rater = session.scalar(select(WorkplaceRater))
    page = client.post(f"{url}/raters/{rater.id}/resend", follow_redirects=True).get_data(as_text=True)
    assert "Invitation sent to boss@example.gov.in" in page and "(2×)" in page
    second = _path(_link(smtp.messages[1][2]))
    assert second != first
    assert visitor.get(first).status_code == 410  # still refused: replaced, and expired
    assert visitor.post(second, data={f"competency-{noting}": 3, f"competency-{rti}": 2}).status_code == 200


def test_a_resend_retires_the_previous_link_before_it_expires(app, session, official, dictionary, smtp):
    client = app.test_client()
    login(client, official)
    url = _round(client)
    _nominate(client, url, "peer", "p@example.gov.in")
    rater = session.scalar(select(WorkplaceRater))
    client.post(f"{url}/raters/{rater.id}/resend")
    old, new = (_path(_link(m[2])) for m in smtp.messages)
    refused = app.test_client().get(old)
    assert refused.status_code == 410 and "newer link" in refused.get_data(as_text=True)
    assert app.test_client().get(new).status_code == 200
    # a forged token (the right shape, another signature) is not one of ours
    assert app.test_client().get(new[:-3] + ("AAA" if not new.endswith("AAA") else "BBB")).status_code == 404


def test_with_no_server_the_message_goes_to_the_outbox(app, session, official, dictionary):
    assert not app.config.get("PIAA_MAIL_SERVER")
    client = app.test_client()
    login(client, official)
    _nominate(client, _round(client), "report", "r@example.gov.in")
    (path,) = Path(app.config["PIAA_MAIL_OUTBOX"]).glob("*.eml")
    to, subject, text = _body(path.read_bytes())
    assert to == "r@example.gov.in" and "at least three raters" in text
    assert app.test_client().get(outbox_links(app)["r@example.gov.in"]).status_code == 200


def test_a_failed_sending_is_reported_and_can_be_resent(app, session, official, dictionary, smtp):
    port = app.config["PIAA_MAIL_PORT"]
    app.config["PIAA_MAIL_PORT"] = _free_port()  # nothing listens there
    client = app.test_client()
    login(client, official)
    url = _round(client)
    page = _nominate(client, url, "peer", "p@example.gov.in")
    assert "The invitation to p@example.gov.in could not be sent" in page and "not sent" in page
    rater = session.scalar(select(WorkplaceRater))
    assert rater.sent_at is None and rater.send_error and rater.send_count == 0
    app.config["PIAA_MAIL_PORT"] = port
    page = client.post(f"{url}/raters/{rater.id}/resend", follow_redirects=True).get_data(as_text=True)
    assert "Invitation sent to p@example.gov.in" in page and len(smtp.messages) == 1
    session.expire_all()
    assert rater.send_error is None and rater.send_count == 1


def test_a_rater_makes_an_account_from_the_invitation_and_rates_signed_in(app, session, official, dictionary, smtp):
    client = app.test_client()
    login(client, official)
    _nominate(client, _round(client), "peer", "peer@example.gov.in", "Peer Person")
    link = _path(_link(smtp.messages[0][2]))
    visitor = app.test_client()
    assert 'id="account"' in visitor.get(link).get_data(as_text=True)
    differ = visitor.post(link + "/account", data={"password": TEST_PASSWORD, "password2": "other"})
    assert differ.status_code == 422
    made = visitor.post(link + "/account", data={"password": TEST_PASSWORD, "password2": TEST_PASSWORD})
    assert made.status_code == 302 and made.location.endswith("/workplace/requests")
    user = session.scalar(select(User).where(User.email == "peer@example.gov.in"))
    assert user.role == "workplace_rater" and user.name == "Peer Person"
    requests = visitor.get("/workplace/requests").get_data(as_text=True)
    rater = session.scalar(select(WorkplaceRater))
    assert f"/workplace/requests/{rater.id}" in requests and "Asha Official" in requests
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    done = visitor.post(f"/workplace/requests/{rater.id}", data={f"competency-{noting}": 2, f"competency-{rti}": 2})
    assert 'id="recorded"' in done.get_data(as_text=True)
    assert visitor.post(link + "/account", data={"password": TEST_PASSWORD, "password2": TEST_PASSWORD}).status_code == 409
    # another signed-in rater cannot rate a request made to this address
    stranger = app.test_client()
    from tests.conftest import login as sign_in
    from piaa.accounts.services import create_user

    other = create_user(session, email="x@example.gov.in", name="X", role="workplace_rater", password=TEST_PASSWORD)
    session.commit()
    sign_in(stranger, other)
    assert stranger.get(f"/workplace/requests/{rater.id}").status_code == 403
