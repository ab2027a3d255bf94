"""Workplace pages: the official opens a round and nominates, a rater rates by the e-mailed link
without signing in, the summary hides two peers, and the profile page shows the figures side by
side."""
from tests.conftest import login
from tests.workplace.test_invitations import outbox_links


def test_open_nominate_rate_by_link_and_read_the_summary(app, session, official, dictionary):
    client = app.test_client()
    login(client, official)
    response = client.post("/workplace/open")
    assert response.status_code == 302
    url = response.location
    emails = ["sup@example.gov.in", "p1@example.gov.in", "p2@example.gov.in"]
    for relation, email in zip(["supervisor", "peer", "peer"], emails):
        page = client.post(url + "/raters", data={"relation": relation, "name": email, "email": email},
                           follow_redirects=True).get_data(as_text=True)
        assert f"Invitation sent to {email}" in page and "/workplace/rate/" not in page
    found = outbox_links(app)
    links = [found[email] for email in emails]
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    rater_client = app.test_client()  # nobody signed in: the link is the key
    for link, (a, b) in zip(links, [(3, 2), (5, 5), (1, 1)]):
        path = link.split("127.0.0.1:5000", 1)[-1]
        form = rater_client.get(path).get_data(as_text=True)
        assert "Noting and drafting: level 3 work" in form and "Not observed" in form
        done = rater_client.post(path, data={f"competency-{noting}": a, f"competency-{rti}": b})
        assert "your ratings are recorded" in done.get_data(as_text=True)
    summary = client.get(url).get_data(as_text=True)
    assert "shown for at least three raters" in summary
    assert "3.0 (n=1)" in summary and "(n=2)" not in summary and "(n=3)" not in summary
    profile = client.get("/workplace/me").get_data(as_text=True)
    assert 'id="profile"' in profile and "FN-NOTING" in profile


def test_an_unknown_link_is_a_404(client):
    assert client.get("/workplace/rate/nope").status_code == 404
