"""The certificate PDF: PDF/A-3 with the credential attached, PAdES signature, QR code, fonts."""
from __future__ import annotations

import subprocess

import pytest

from piaa.certificates import pdf_signing, rendering

from .tools import require


def _tamper(pdf: bytes) -> bytes:
    """Change one byte inside the signed range (in the page content, far from the signature)."""
    data = bytearray(pdf)
    data[len(data) // 3] ^= 0x01
    return bytes(data)


def test_pdf_is_pdf_a_3_with_the_credential_attached(signed_pdf, signed_credential):
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    root = PdfFileReader(io.BytesIO(signed_pdf)).root
    xmp = root["/Metadata"].get_object().data
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert {str(spec.get_object()["/AFRelationship"]) for spec in root["/AF"]} == {"/Data"}
    assert pdf_signing.attached_credential(signed_pdf) == signed_credential


def test_pyhanko_accepts_the_signature(signed_pdf, cert_pem):
    report = pdf_signing.validate_pdf(signed_pdf, cert_pem)
    assert report.intact and report.valid and report.trusted and report.coverage == "ENTIRE_FILE"


def test_pyhanko_reports_a_one_byte_tamper(signed_pdf, cert_pem):
    with pytest.raises(pdf_signing.PdfSignatureError, match="altered"):
        pdf_signing.validate_pdf(_tamper(signed_pdf), cert_pem)


def test_a_pdf_signed_by_another_certificate_is_refused(facts, issuer, signed_credential, cert_pem, tmp_path):
    from datetime import datetime, timezone

    from piaa.certificates import keys

    forger = keys.init_keys(keys.KeyPaths.resolve(tmp_path), organisation="Forger",
                            now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    unsigned = rendering.render_pdf(rendering.certificate_html(facts, issuer), signed_credential)
    with pytest.raises(pdf_signing.PdfSignatureError, match="Forger"):
        pdf_signing.validate_pdf(pdf_signing.sign_pdf(unsigned, forger), cert_pem)


def test_signed_attributes_are_those_pyhanko_gives_a_pades_signature(signing_keys):
    """The signer keeps its signing-certificate-v2 attribute prebuilt: what it signs must be
    byte for byte what pyHanko's own PAdES signer would sign."""
    import hashlib
    from datetime import datetime, timezone

    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    ours = pdf_signing._document_signer(signing_keys).signer
    stock = signers.SimpleSigner(signing_cert=ours.signing_cert, signing_key=ours.signing_key, cert_registry=None)
    settings = PdfCMSSignedAttributes(signing_time=datetime.now(timezone.utc))
    for content in (b"first", b"second"):
        digest = hashlib.sha256(content).digest()
        mine, theirs = (pdf_signing._run(lambda: signer.signed_attrs(digest, "sha256", attr_settings=settings,
                                                                     use_pades=True))
                        for signer in (ours, stock))
        assert mine.dump() == theirs.dump()
        assert [a["type"].native for a in mine] == ["content_type", "message_digest", "signing_certificate_v2"]


def test_every_signature_fits_the_room_reserved_once(facts, issuer, signed_credential, signing_keys, cert_pem):
    from piaa.certificates import rendering

    unsigned = rendering.render_pdf(rendering.certificate_html(facts, issuer), signed_credential)
    for _ in range(5):  # ECDSA signatures vary in length by a byte or two
        signed = pdf_signing.sign_pdf(unsigned, signing_keys)
        assert pdf_signing.validate_pdf(signed, cert_pem).coverage == "ENTIRE_FILE"
        assert signed.count(b"/SubFilter /ETSI.CAdES.detached") == 1


def test_pdfsig_accepts_the_signature_and_reports_a_tamper(signed_pdf, tmp_path):
    require("pdfsig")
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(signed_pdf)
    bad.write_bytes(_tamper(signed_pdf))
    out = subprocess.run(["pdfsig", str(good)], capture_output=True, text=True).stdout
    assert "Signature Validation: Signature is Valid." in out
    assert "Total document signed" in out
    out = subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True).stdout
    assert "Digest Mismatch" in out


def test_qr_code_decodes_to_the_verification_url(signed_pdf, tmp_path, issuer, facts):
    require("pdftoppm", "zbarimg")
    (tmp_path / "c.pdf").write_bytes(signed_pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(tmp_path / "c.pdf"), str(tmp_path / "page")], check=True)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page-1.png")],
                            capture_output=True, text=True)
    assert result.stdout.strip() == issuer.verify_url(facts.public_id)


def test_only_the_shipped_fonts_are_embedded(signed_pdf, tmp_path):
    require("pdffonts")
    (tmp_path / "c.pdf").write_bytes(signed_pdf)
    out = subprocess.run(["pdffonts", str(tmp_path / "c.pdf")], capture_output=True, text=True, check=True).stdout
    families = {line.split()[0].split("+")[-1] for line in out.splitlines()[2:]}
    # Only the @font-face families of the template (all Noto files from fonts/): a system
    # fallback font would appear under its own name here.
    assert families and all(name.startswith("PIAA-") for name in families), families
    assert "PIAA-Deva" in families


def test_a_process_renders_one_pdf_at_a_time_with_the_collector_paused(monkeypatch):
    # WeasyPrint and Pango are not thread-safe: a job thread's render beside another must wait.
    import gc
    import threading
    import time

    running, most, collecting = [0], [0], []

    def fake_render(html, credential):
        running[0] += 1
        most[0] = max(most[0], running[0])
        collecting.append(gc.isenabled())
        time.sleep(0.05)
        running[0] -= 1
        return b"%PDF-"

    monkeypatch.setattr(rendering, "_render_pdf", fake_render)
    threads = [threading.Thread(target=rendering.render_pdf, args=("<p>x</p>", {})) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1 and collecting == [False] * 4
    assert gc.isenabled()


def test_the_pdf_states_level_date_and_decision_confidence(signed_pdf, tmp_path):
    (tmp_path / "c.pdf").write_bytes(signed_pdf)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Proficiency level" in text and "3: Proficient" in text and "5 January 2026" in text
    assert "We are 93% confident that the holder's level is level 3 or higher." in text
