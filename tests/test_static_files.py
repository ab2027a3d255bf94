"""What a phone on a slow link is sent: every text answer compressed (Brotli, else gzip),
static files under URLs that carry their content's digest and cached for a year, pages with
personal data or items never stored."""
from __future__ import annotations

import gzip
import hashlib
import os
import re

import brotli
import pytest

from piaa.static_files import DIGEST_LENGTH, StaticDigests
from tests.conftest import login

BROWSER_ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium sends
STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
YEAR = "max-age=31536000"


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def static_urls(html: str) -> list[str]:
    return STATIC_URL.findall(html)


@pytest.fixture
def candidate_client(client, make_user):
    login(client, make_user(role="candidate", organisation="Department of Posts", kind="mdo"))
    return client


# --- compression ---------------------------------------------------------------------------

def test_pages_are_sent_with_brotli_to_a_browser_and_gzip_to_a_client_without_it(candidate_client):
    plain = candidate_client.get("/certificates/mine")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers  # asked for none
    for asked, given in ((BROWSER_ENCODINGS, "br"), ("gzip", "gzip")):
        response = candidate_client.get("/certificates/mine", headers={"Accept-Encoding": asked})
        assert response.headers["Content-Encoding"] == given
        assert "Accept-Encoding" in response.headers["Vary"]
        assert int(response.headers["Content-Length"]) == len(response.data) < len(plain.data)
        # Same page but for the per-request CSRF token each render carries.
        assert b"My certificates" in decoded(response)


def test_style_sheets_and_scripts_are_compressed(client):
    page = client.get("/login").get_data(as_text=True)
    for url in static_urls(page) + ["/static/js/sitting.js"]:
        response = client.get(url, headers={"Accept-Encoding": BROWSER_ENCODINGS})
        identity = client.get(url)
        assert response.status_code == 200, url
        if len(identity.data) >= 500:
            assert response.headers["Content-Encoding"] == "br", url
            assert len(response.data) < len(identity.data)
        assert decoded(response) == identity.data


def test_json_answers_are_compressed(candidate_client):
    response = candidate_client.get("/api/v1/openapi.json", headers={"Accept-Encoding": BROWSER_ENCODINGS})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert decoded(response).startswith(b"{")


# --- fingerprints and caching --------------------------------------------------------------

def test_every_static_url_of_a_page_carries_its_files_digest(app, client):
    urls = static_urls(client.get("/login").get_data(as_text=True))
    assert any(url.endswith(".css") for url in urls)
    for url in urls:
        match = re.fullmatch(rf"/static/(.+)\.([0-9a-f]{{{DIGEST_LENGTH}}})(\.\w+)", url)
        assert match, url
        with open(f"{app.static_folder}/{match[1]}{match[3]}", "rb") as file:
            assert hashlib.sha256(file.read()).hexdigest().startswith(match[2])


def test_a_fingerprinted_file_is_cached_for_a_year_and_never_revalidated(client):
    url = next(u for u in static_urls(client.get("/login").get_data(as_text=True)) if u.endswith(".css"))
    response = client.get(url, headers={"Accept-Encoding": BROWSER_ENCODINGS})
    cache = response.headers["Cache-Control"]
    assert "public" in cache and YEAR in cache and "immutable" in cache
    assert b"focus-visible" in decoded(response)


def test_a_static_file_is_the_same_for_every_visitor_and_varies_only_on_its_encoding(candidate_client):
    # A signed-in visitor reading Hindi: the session is read before every request (the
    # language), which alone made Flask answer "Vary: Cookie" and a shared cache keep a copy
    # of each style sheet per visitor.
    page = candidate_client.get("/certificates/mine?lang=hi").get_data(as_text=True)
    for url in static_urls(page) + ["/favicon.ico"]:
        response = candidate_client.get(url, headers={"Accept-Encoding": BROWSER_ENCODINGS})
        assert response.status_code == 200, url
        vary = {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}
        assert "cookie" not in vary, (url, response.headers.get("Vary"))
        assert "Set-Cookie" not in response.headers, url
        if response.headers.get("Content-Encoding"):
            assert vary == {"accept-encoding"}, url
    # Pages still vary on the cookie: they are the signed-in reader's own.
    assert "Cookie" in candidate_client.get("/certificates/mine").headers["Vary"]


def test_an_old_or_plain_name_gets_the_current_file_but_no_years_caching(client):
    current = client.get(next(u for u in static_urls(client.get("/login").get_data(as_text=True))
                              if u.endswith(".css")))
    for url in ("/static/css/site.css", "/static/css/site." + "0" * DIGEST_LENGTH + ".css"):
        response = client.get(url)
        assert response.status_code == 200 and response.data == current.data
        assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/nothing." + "0" * DIGEST_LENGTH + ".css").status_code == 404
    assert client.get("/static/../__init__.py").status_code == 404


def test_pages_with_personal_data_are_never_stored(candidate_client):
    for url in ("/assessments", "/certificates/mine", "/api/v1/me"):
        response = candidate_client.get(url, headers={"Accept-Encoding": BROWSER_ENCODINGS})
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url


def test_the_url_changes_with_the_content(tmp_path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "site.css"
    sheet.write_text("body { color: black; }")
    digests = StaticDigests(tmp_path)
    first = digests.url_name("css/site.css")
    assert first == f"css/site.{hashlib.sha256(b'body { color: black; }').hexdigest()[:DIGEST_LENGTH]}.css"
    assert digests.url_name("css/site.css") == first  # stable while the file is unchanged
    sheet.write_text("body { color: navy;  }")  # same size: the digest, not the size, tells
    stat = sheet.stat()  # an edit within the same clock tick would keep the time: move it on
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = digests.url_name("css/site.css")
    assert second != first and second.startswith("css/site.") and second.endswith(".css")
    assert digests.resolve(second) == ("css/site.css", True)
    assert digests.resolve(first) == ("css/site.css", False)  # a page from before the edit
    assert digests.resolve("css/site.css") == ("css/site.css", False)
    assert digests.url_name("css/missing.css") == "css/missing.css"
    assert digests.url_name("../secret.css") == "../secret.css"
