"""Public verification pages and endpoints, upload checks, and revocation by an administrator."""
from __future__ import annotations

import copy
import io
import json

import pytest

from piaa.certificates import services

from .test_services import facts


@pytest.fixture
def issued(session, make_user):
    official = make_user(role="candidate", name="Asha Verma")
    certificate = services.issue_for_attempt(session, **facts(official))
    session.commit()
    return certificate


def test_verification_page_of_a_valid_certificate(client, issued):
    page = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert 'data-status="valid"' in page
    assert "A*** V****" in page and "Asha Verma" not in page
    assert "Data analysis (FN-DA-01)" in page and "3: Proficient" in page and issued.serial in page
    assert "We are 93% confident that the holder&#39;s level is level 3 or higher." in page
    hindi = client.get(f"/verify/{issued.public_id}?lang=hi").get_data(as_text=True)
    assert "हमें 93% विश्वास है कि धारक का स्तर 3 या उससे ऊपर है।" in hindi


def test_unknown_id_is_not_found(client):
    response = client.get(f"/verify/{'ab' * 16}")
    assert response.status_code == 404 and 'data-status="not-found"' in response.get_data(as_text=True)
    assert client.get(f"/api/v1/certificates/verify/{'ab' * 16}").status_code == 404


def test_json_endpoint_and_credential_download(client, issued):
    body = client.get(f"/api/v1/certificates/verify/{issued.public_id}").get_json()
    assert body["status"] == "valid" and body["level"] == 3 and body["name_masked"] == "A*** V****"
    download = client.get(f"/verify/{issued.public_id}/credential.json")
    assert download.mimetype == "application/ld+json" and download.get_json() == issued.credential


def test_issuer_profile_and_status_list_are_served(client, issued):
    profile = client.get("/certificates/issuer").get_json()
    assert profile["verificationMethod"][0]["type"] == "Multikey"
    listed = client.get(f"/certificates/status/{issued.status_list_number}")
    assert listed.headers["Cache-Control"] == "no-cache"
    assert listed.get_json()["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]


def test_upload_of_the_pdf_and_of_the_json(client, issued):
    for name, data in (("c.pdf", issued.pdf), ("c.json", json.dumps(issued.credential).encode())):
        report = client.post("/verify.json", data={"file": (io.BytesIO(data), name)},
                             content_type="multipart/form-data").get_json()
        assert report["status"] == "valid", report


def test_upload_of_a_tampered_copy_names_the_reason(client, issued):
    altered = copy.deepcopy(issued.credential)
    altered["credentialSubject"]["achievement"]["humanCode"] = "FN-XX-99"
    report = client.post("/verify.json",
                         data={"file": (io.BytesIO(json.dumps(altered).encode()), "c.json")},
                         content_type="multipart/form-data").get_json()
    assert report["status"] == "invalid" and any("altered" in reason for reason in report["reasons"])
    page = client.post("/verify", data={"file": (io.BytesIO(b"%PDF-1.7 junk"), "c.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-status="invalid"' in page


def test_only_an_admin_revokes_and_the_page_says_so(client, issued, make_user, login_as):
    login_as(make_user(role="proctor"))
    assert client.post(f"/certificates/{issued.public_id}/revoke", data={"reason": "x"}).status_code == 403
    client.post("/logout")
    login_as(make_user(role="admin"))
    response = client.post(f"/certificates/{issued.public_id}/revoke", data={"reason": "Proxy candidate"})
    assert response.status_code == 302
    assert 'data-status="revoked"' in client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    report = client.post("/verify.json", data={"file": (io.BytesIO(issued.pdf), "c.pdf")},
                         content_type="multipart/form-data").get_json()
    assert report["status"] == "revoked"


def test_holder_downloads_the_pdf_and_others_may_not(client, issued, make_user, login_as):
    login_as(make_user(role="candidate"))
    assert client.get(f"/certificates/{issued.public_id}/certificate.pdf").status_code == 403
    client.post("/logout")
    login_as(issued.user)
    response = client.get(f"/certificates/{issued.public_id}/certificate.pdf")
    assert response.mimetype == "application/pdf" and response.data == issued.pdf
    assert issued.serial in client.get("/certificates/mine").get_data(as_text=True)
