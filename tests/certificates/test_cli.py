"""`piaa keys init`, `piaa certificates verify` (offline) and `piaa certificates issue` (batch)."""
from __future__ import annotations

import copy
import json

import pytest

from piaa.certificates.cli import certificates_group, keys_group


@pytest.fixture
def files(tmp_path, signed_credential, signed_pdf, issuer_profile, open_status_list, revoking_status_list, cert_pem):
    paths = {name: tmp_path / name for name in
             ("cred.json", "cert.pdf", "profile.json", "open.json", "revoking.json", "cert.pem", "bad.json")}
    paths["cred.json"].write_text(json.dumps(signed_credential))
    paths["cert.pdf"].write_bytes(signed_pdf)
    paths["profile.json"].write_text(json.dumps(issuer_profile))
    paths["open.json"].write_text(json.dumps(open_status_list))
    paths["revoking.json"].write_text(json.dumps(revoking_status_list))
    paths["cert.pem"].write_bytes(cert_pem)
    altered = copy.deepcopy(signed_credential)
    altered["credentialSubject"]["achievement"]["name"] = "Data analysis: proficiency level 5 (Expert)"
    paths["bad.json"].write_text(json.dumps(altered))
    return paths


def _verify(app, files, target, status_list):
    runner = app.test_cli_runner()
    return runner.invoke(certificates_group, ["verify", str(files[target]), "--status-list", str(files[status_list]),
                                              "--profile", str(files["profile.json"]), "--cert", str(files["cert.pem"])])


@pytest.mark.parametrize("target", ["cred.json", "cert.pdf"])
def test_verify_accepts_a_good_copy(app, files, target):
    result = _verify(app, files, target, "open.json")
    assert result.exit_code == 0, result.output
    assert "result: valid" in result.output


def test_verify_fails_on_a_tampered_copy_with_the_reason(app, files):
    result = _verify(app, files, "bad.json", "open.json")
    assert result.exit_code == 1 and "altered" in result.output


def test_verify_fails_on_a_revoked_certificate(app, files):
    result = _verify(app, files, "cert.pdf", "revoking.json")
    assert result.exit_code == 1 and "revoked" in result.output


def test_verify_fails_on_a_tampered_pdf(app, files):
    data = bytearray(files["cert.pdf"].read_bytes())
    data[len(data) // 3] ^= 1
    files["cert.pdf"].write_bytes(bytes(data))
    result = _verify(app, files, "cert.pdf", "open.json")
    assert result.exit_code == 1 and "digest mismatch" in result.output


def test_keys_init_refuses_to_overwrite(app, tmp_path):
    app.config.update(PIAA_SIGNING_KEY_FILE=str(tmp_path / "k.pem"), PIAA_SIGNING_CERT_FILE=str(tmp_path / "c.pem"),
                      PIAA_SIGNING_CERT_KEY_FILE=str(tmp_path / "ck.pem"))
    runner = app.test_cli_runner()
    first = runner.invoke(keys_group, ["init"])
    assert first.exit_code == 0 and "z6Mk" in first.output
    second = runner.invoke(keys_group, ["init"])
    assert second.exit_code != 0 and "exist already" in second.output


def test_issue_renders_pending_certificates_in_parallel_jobs(app, session, make_user):
    from piaa.certificates import services

    from .test_services import facts

    official = make_user()
    for attempt in range(3):
        services.issue_for_attempt(session, **facts(official, attempt_id=attempt, render=False))
    session.commit()
    result = app.test_cli_runner().invoke(certificates_group, ["issue", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "rendered 3 certificate(s) in 2 job(s)" in result.output
    session.expire_all()
    assert services.pending_certificate_ids(session) == []
