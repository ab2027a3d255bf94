"""Every page of every role, in Hindi, on a phone. After ``piaa demo``, each demo role signs in
in Debian's Chromium at 360 x 740, switches to Hindi and opens every page its menu and its
landing page link to, and the pages those link to. A page fails when its visible text still
holds English (a text of two or more Latin words that is not a name, a code, an address or
a number) or when the document is wider than the screen."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from piaa.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.test_demo import run_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}
# Pages of one shape (the same path with other ids) are opened once per role.
SAME_SHAPE = re.compile(r"\d+")
# Not pages: files to download, the machine API, signing out, what changes state on a GET.
NOT_PAGES = re.compile(r"(/api/|/static/|/logout|\.(csv|xlsx|pdf|zip|json|xml|png|svg|ico)(\?|$)|"
                       r"/export|/download|/metrics|/lti/|/status-list|format=(csv|xlsx|pdf|json))")

# What may stay in Latin letters in a Hindi page: words a Hindi reader meets as they are.
LATIN_TERMS = {
    "PIAA", "IRT", "DIF", "CSV", "XLSX", "JSON", "QTI", "PDF", "LTI", "API", "URL", "JWKS", "OIDC",
    "LOFT", "CAT", "FRAC", "MDO", "CBP", "ISTM", "IIPA", "LBSNAA", "iGOT", "EAP", "SE", "Angoff",
    "Mantel", "Haenszel", "Rubin", "Hedges", "Bayes", "Open", "Badges",
}

VISIBLE_TEXTS = """() => {
  const out = [];
  let declared = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (!text) continue;
    const el = node.parentElement;
    // Code (a file's column names, a JSON example) is shown as it is written.
    if (!el || el.closest('script, style, noscript, template, code, kbd, samp, [hidden], [aria-hidden=true]')) continue;
    // Content that declares itself to be in another language (an item written only in
    // English, a name as its holder spells it) is shown as it is, and says so.
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    const lang = el.closest('[lang]');
    if (lang && lang.getAttribute('lang') !== 'hi') { declared += 1; continue; }
    out.push(text);
  }
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder], [title], img[alt], [aria-label]')) {
    const lang = el.closest('[lang]');
    if (lang && lang.getAttribute('lang') !== 'hi') continue;
    for (const attr of ['placeholder', 'title', 'alt', 'aria-label']) {
      const value = el.getAttribute(attr);
      if (value) out.push(value);
    }
  }
  return {texts: out, declared: declared};
}"""

EMAIL = re.compile(r"\S+@\S+")
URL = re.compile(r"\b(?:https?://|/)\S*")
# A word of three or more letters, not part of a code: "time_factor", "FN-DATADEC", "attempt.start",
# "en" and "hi" are not words a translator missed.
LATIN_WORD = re.compile(r"(?<![\w.-])[A-Za-z][a-z]{2,}(?:'[a-z]+)?(?![\w-]|\.\w)")


def english_words(text: str, allowed: set[str]) -> list[str]:
    """The ordinary English words of ``text``: lower-case or capitalised Latin words that are
    not a code (capitals, digits, hyphens), an address or a known term or name."""
    text = URL.sub(" ", EMAIL.sub(" ", text))
    return [w for w in LATIN_WORD.findall(text) if w not in LATIN_TERMS and w not in allowed]


def untranslated(texts: list[str], allowed: set[str]) -> list[str]:
    return sorted({t[:120] for t in texts if len(english_words(t, allowed)) >= 2})


def test_english_words_finds_sentences_not_codes():
    assert untranslated(["Assessment FN-DATADEC", "admin@demo.piaa.in", "θ = 0.42 (SE 0.31)",
                         "PIAA · QTI 3.0 · CSV", "स्तर 3", "Asha Verma", "attempt.start attempt.submit",
                         "time_factor: 1.0; max_items: 30", "en, hi", "फ़ाइल (.csv या .json)"], {"Asha", "Verma"}) == []
    assert untranslated(["Time left", "दक्षता: Data-informed decision making", "Saved. Next question."], set()) == [
        "Saved. Next question.", "Time left", "दक्षता: Data-informed decision making"]


WIDEST = """w => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 0.5)
    .slice(-3).map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))"""


def page_problems(page, width: int, allowed: set[str]) -> dict:
    wide = page.evaluate("document.documentElement.scrollWidth")
    visible = page.evaluate(VISIBLE_TEXTS)
    found = {"english": untranslated(visible["texts"], allowed), "width": wide, "declared": visible["declared"]}
    if wide > width:
        found["culprits"] = page.evaluate(WIDEST, width)
    return found


def links_in(page, base: str, *containers: str) -> list[str]:
    hrefs = page.eval_on_selector_all(", ".join(f"{c} a[href]" for c in containers), "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base or NOT_PAGES.search(href):
            continue
        url = href.split("#")[0]
        if url not in found:
            found.append(url)
    return found


def walk_role(page, base: str, email: str, allowed: set[str], results: dict) -> int:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form:not(.lang) button[type=submit]")
    page.wait_for_load_state()
    page.select_option("#lang-select", "hi")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "hi"
    landing = page.url
    seen_shapes: set[str] = set()
    queue = [(landing, 0)]
    opened = 0
    while queue:
        url, depth = queue.pop(0)
        shape = SAME_SHAPE.sub("N", urlsplit(url).path + "?" + urlsplit(url).query)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = page.goto(url)
        page.wait_for_load_state()
        opened += 1
        if response is not None and response.status >= 400:
            results.setdefault(url, {})["status"] = response.status
        found = page_problems(page, PHONE["width"], allowed)
        results.setdefault("declared", []).append(found["declared"])
        if found["english"] or found["width"] > PHONE["width"]:
            results.setdefault(f"{email.split('@')[0]} {urlsplit(url).path}", found)
        if depth < 2:
            containers = ("header nav", "main") if depth == 0 else ("main",)
            queue += [(link, depth + 1) for link in links_in(page, base, *containers)]
    page.goto(landing)
    if page.locator("[id^=window-] button[type=submit]").count():  # a candidate with a window open
        opened += sit_down(page, email, allowed, results)
    return opened


def sit_down(page, email: str, allowed: set[str], results: dict) -> int:
    """A candidate's pages behind buttons: Begin leads to the check-in, Check in to the sitting
    page waiting for Start."""
    opened = 0
    page.locator("[id^=window-] button[type=submit]").first.click()
    page.wait_for_url("**/check-in")
    for step in ("check-in", "sitting"):
        page.wait_for_load_state()
        opened += 1
        found = page_problems(page, PHONE["width"], allowed)
        results.setdefault("declared", []).append(found["declared"])
        if found["english"] or found["width"] > PHONE["width"]:
            results.setdefault(f"{email.split('@')[0]} {step}", found)
        if step == "check-in":
            page.check("#identity")
            page.check("#rules")
            page.locator("#check-in-form button[type=submit]").click()
            page.wait_for_url("**/sit")
    return opened


def test_every_page_of_every_role_is_in_hindi_and_fits_a_phone(app, live_server, browser, session):
    from piaa.accounts.models import User

    started = time.monotonic()
    run_demo(app)
    # People's names as they spell them in Latin letters (the simulated field-trial officials
    # have no Hindi name).
    allowed = set()
    for user in session.scalars(select(User)):
        allowed |= set(user.name.split())

    context = browser.new_context(locale="hi-IN", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20000)
    results: dict = {}
    opened = 0
    walked_roles = set()
    for email, _name, _name_hi, role, _org, _kind in DEMO_ACCOUNTS:
        if role in walked_roles:
            continue
        walked_roles.add(role)
        opened += walk_role(page, live_server, email, allowed, results)
    context.close()

    declared = sum(results.pop("declared", []))
    english = {where: r["english"] for where, r in results.items() if r.get("english")}
    wide = {where: r["width"] for where, r in results.items() if r.get("width", 0) > PHONE["width"]}
    failed = {where: r["status"] for where, r in results.items() if r.get("status")}
    report = [f"{opened} pages of {len(walked_roles)} roles in {time.monotonic() - started:.0f} s; "
              f"{sum(len(v) for v in english.values())} English texts on {len(english)} pages, "
              f"{len(wide)} pages wider than {PHONE['width']} px (widest {max(wide.values(), default=0)} px); "
              f"{declared} texts shown in another language and marked so (content written only in English)"]
    report += [f"{where}: {texts}" for where, texts in sorted(english.items())]
    report += [f"{where}: {width} px wide ({results[where].get('culprits')})" for where, width in sorted(wide.items())]
    report += [f"{where}: HTTP {status}" for where, status in sorted(failed.items())]
    print("\n".join(report))
    assert len(walked_roles) == 11
    assert not english and not wide and not failed, "\n".join(report)
