"""Certificates revoked with a reason from the browser, the audit chain verified with its result
shown (and a tampered row found), bank export links in every format, and bulk submit and bulk
approve of imported drafts with the four-eyes rule kept."""
from sqlalchemy import select, text

from piaa.audit import AuditEvent
from piaa.certificates import services as certificates
from piaa.items import services as items
from piaa.items.models import APPROVED, DRAFT, IN_REVIEW, Item
from tests.certificates.test_services import facts
from tests.conftest import login
from tests.delivery.conftest import single_choice


def test_revoking_a_certificate_with_a_reason(admin_client, make_user, session):
    holder = make_user(role="candidate", name="Asha Verma")
    issued = certificates.issue_for_attempt(session, **facts(holder), render=False)
    session.commit()
    listing = admin_client.get("/admin/certificates?q=Asha").get_data(as_text=True)
    assert issued.serial in listing
    refused = admin_client.post(f"/admin/certificates/{issued.public_id}", data={"reason": "  "})
    assert refused.status_code == 422 and "Say why the certificate is revoked." in refused.get_data(as_text=True)
    response = admin_client.post(f"/admin/certificates/{issued.public_id}",
                                 data={"reason": "Impersonation found on review of the recording"})
    assert response.status_code == 302
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "Impersonation found" in page and 'id="revoke-form"' not in page
    status = admin_client.get(f"/api/v1/certificates/verify/{issued.public_id}").get_json()
    assert status["status"] == "revoked"


def test_verifying_the_audit_chain_shows_the_result(admin_client, make_user, session):
    make_user(role="author")  # any audited change will do
    from piaa.accounts.services import create_organisation

    create_organisation(session, name="Agency Z", kind="agency")
    session.commit()
    ok = admin_client.post("/admin/audit").get_data(as_text=True)
    assert 'data-ok="true"' in ok and "The chain is unbroken" in ok
    # tamper with a row behind the service's back
    row_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
    session.execute(text("UPDATE audit_event SET action = 'organisation.deleted' WHERE id = :id"), {"id": row_id})
    session.commit()
    broken = admin_client.post("/admin/audit").get_data(as_text=True)
    assert 'data-ok="false"' in broken and f"broken at event {row_id}" in broken
    assert "content does not match its hash" in broken


def test_bank_page_links_every_export_format(admin_client, bank):
    html = admin_client.get("/admin/banks").get_data(as_text=True)
    for fmt in ("qti3", "csv", "xlsx", "json"):
        assert f'href="/items/import/export/{bank.id}/{fmt}"' in html, fmt
    assert admin_client.get(f"/items/import/export/{bank.id}/csv").status_code == 200


def _imported_drafts(session, bank, author, n=3):
    made = [items.create_item_from_bank_json(session, bank, single_choice(f"NEW-{k}", 2, "noting"),
                                             actor=author, state=DRAFT) for k in range(n)]
    session.commit()
    return made


def test_bulk_submit_then_bulk_approve_keeps_four_eyes(app, admin_client, admin, bank, make_user, session):
    author = make_user(role="author", organisation="Test Agency")
    drafts = _imported_drafts(session, bank, author)
    # the administrator sends them all to review
    response = admin_client.post(f"/admin/banks/{bank.id}/submit", data={"item": [str(i.id) for i in drafts]})
    assert response.status_code == 302
    session.expire_all()
    assert {i.state for i in drafts} == {IN_REVIEW}
    # ... and so may not approve them: they wait for another reviewer
    page = admin_client.get(f"/admin/banks/{bank.id}/review").get_data(as_text=True)
    assert page.count("you wrote or submitted it") == 3
    admin_client.post(f"/admin/banks/{bank.id}/approve", data={"item": [str(i.id) for i in drafts]})
    session.expire_all()
    assert {i.state for i in drafts} == {IN_REVIEW}
    # another administrator approves them
    other = make_user(role="admin", organisation="Test Agency")
    client = app.test_client()
    login(client, other)
    client.post(f"/admin/banks/{bank.id}/approve", data={"item": [str(i.id) for i in drafts[:2]]})
    session.expire_all()
    assert [i.state for i in drafts] == [APPROVED, APPROVED, IN_REVIEW]


def test_approving_in_bulk_never_approves_ones_own_item(session, bank, make_user):
    author = make_user(role="admin", organisation="Test Agency")
    reviewer = make_user(role="reviewer", organisation="Test Agency")
    mine = _imported_drafts(session, bank, author, n=2)
    items.submit_items(session, mine, actor=author)
    outcome = items.approve_items(session, mine, reviewer=author)
    assert outcome.moved == [] and len(outcome.skipped) == 2 and "another reviewer" in outcome.skipped[0][1].message
    outcome = items.approve_items(session, mine, reviewer=reviewer)
    assert outcome.moved == ["NEW-0", "NEW-1"]
    assert {session.get(Item, i.id).state for i in mine} == {APPROVED}
