"""The certificate PDF: HTML from a template, QR code, WeasyPrint, PDF/A-3 with the credential attached.

WeasyPrint is given only the project's own fonts (``fonts/``) through ``@font-face``, so the
page looks the same wherever it is rendered. One :class:`weasyprint.text.fonts.FontConfiguration`
is shared per process: building it per document costs more than the render itself.

WeasyPrint, Pango and fontconfig are not thread-safe, and a process may render in a job
thread beside a request (no Redis) or beside a test. So a process renders one PDF at a time,
and pauses the garbage collector meanwhile: a collection on another thread could otherwise
free Pango objects during a render. Without this, the test suite once died in a collection
("Fatal Python error: Aborted") and once at exit in Pango's font shutdown
("free(): invalid next size").
"""

from __future__ import annotations

import gc
import json
import threading
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Sequence

import jinja2
import segno
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from .credential import CertificateFacts, IssuerIdentity, achievement_name, confidence_percent

FONTS_DIR = Path(__file__).parent / "fonts"
TEMPLATES_DIR = Path(__file__).parent.parent / "templates" / "certificates"
TEMPLATE_NAME = "certificate_pdf.html"
CREDENTIAL_ATTACHMENT = "credential.json"
PDF_VARIANT = "pdf/a-3b"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@cache
def font_configuration() -> FontConfiguration:
    return FontConfiguration()


def qr_data_uri(url: str) -> str:
    """SVG data URI of a QR code for ``url``; error level M survives a crease or a stamp."""
    return segno.make_qr(url, error="m").svg_data_uri(border=2, dark="#000000")


def long_date(moment: datetime) -> str:
    """'1 March 2026': unambiguous in India and abroad, unlike 01/03/2026."""
    return f"{moment.day} {moment:%B %Y}"


def certificate_html(facts: CertificateFacts, issuer: IssuerIdentity) -> str:
    """The certificate page as HTML (fonts are resolved relative to :data:`FONTS_DIR`)."""
    verify_url = issuer.verify_url(facts.public_id)
    return _environment().get_template(TEMPLATE_NAME).render(
        facts=facts,
        issuer=issuer,
        achievement_name=achievement_name(facts),
        assessed_on=long_date(facts.assessed_at),
        issued_on=long_date(facts.issued_at),
        verify_url=verify_url,
        qr_data_uri=qr_data_uri(verify_url),
        confidence_percent=(confidence_percent(facts.decision_confidence)
                            if facts.decision_confidence is not None else None),
    )


def render_plain(html: str) -> bytes:
    """Plain WeasyPrint rendering of ``html`` (no PDF/A, no attachment): the benchmark's peer."""
    return weasyprint.HTML(string=html, base_url=str(FONTS_DIR)).write_pdf(font_config=font_configuration())


_RENDER_LOCK = threading.Lock()


@contextmanager
def _one_render_at_a_time():
    with _RENDER_LOCK:
        collecting = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if collecting:
                gc.enable()


def render_pdf(html: str, credential: dict) -> bytes:
    """PDF/A-3b of ``html`` with ``credential`` attached as ``credential.json`` (relationship Data)."""
    with _one_render_at_a_time():
        return _render_pdf(html, credential)


def _render_pdf(html: str, credential: dict) -> bytes:
    attachment = weasyprint.Attachment(
        string=json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8"),
        name=CREDENTIAL_ATTACHMENT,
        description="Open Badges 3.0 credential (W3C Verifiable Credential) of this certificate",
        relationship="Data",
    )
    return weasyprint.HTML(string=html, base_url=str(FONTS_DIR)).write_pdf(
        font_config=font_configuration(),
        pdf_variant=PDF_VARIANT,
        attachments=[attachment],
        uncompressed_pdf=False,
    )


def render_document(html: str, base_url: str | None = None, stylesheets: Sequence[str] = ()) -> bytes:
    """Plain PDF of another document (a report), rendered one at a time like a certificate;
    relative URLs (the fonts) resolve against ``base_url``, by default :data:`FONTS_DIR`.
    ``stylesheets`` are CSS texts applied besides the document's own (for a template that, like
    the served pages, carries no ``<style>``)."""
    base = base_url or str(FONTS_DIR)
    with _one_render_at_a_time():
        sheets = [weasyprint.CSS(string=css, base_url=base, font_config=font_configuration()) for css in stylesheets]
        return weasyprint.HTML(string=html, base_url=base).write_pdf(
            stylesheets=sheets, font_config=font_configuration())
