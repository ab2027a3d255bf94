"""What the sitting page costs a phone on the wire: bytes as sent, and revalidations on a reload.

    piaa demo && piaa run --port 5000          # in one shell, or any running service
    python benchmarks/sitting_transfer.py --url http://127.0.0.1:5000

Debian's Chromium (Playwright) signs in as the demo candidate at 360 x 740, begins the first
open window (or goes to ``--sitting PATH``), starts the sitting, and then reports three loads
of the sitting page, each request with its status, encoding and bytes on the wire (headers
included, as the browser counts them):

* a first visit with nothing cached (the browser's cache switched off);
* a later visit, the style sheets and scripts cached from the first;
* a reload mid-sitting, with the number of 304 answers (files the browser asked about again).

Serve another checkout (``PYTHONPATH=/path/to/old piaa run``) to compare. Measured here on
the demo data, one sitting served before compression and fingerprinted static files and
after: the sitting page's HTML 9,553 -> 3,158 bytes; its HTML, CSS and JS on a first visit
55,646 -> 19,753 bytes (Brotli; a 1,875-byte script was added); a reload mid-sitting
revalidated 3 files (3 x 304, 22,217 bytes on the wire) before and none after (7,860 bytes:
the page and its live API answers only).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}


def start_sitting(page, base: str) -> str:
    """Begin the first open window on the candidate's board, check in and start; the sitting's URL."""
    page.goto(f"{base}/assessments")
    page.locator("[id^=window-] button[type=submit]").first.click()
    if page.url.endswith("/check-in"):
        page.check("#identity")
        page.check("#rules")
        page.wait_for_selector('#system-check li[data-check="server"].ok')
        page.get_by_role("button", name="Check in").click()
    page.wait_for_url("**/sit")
    start = page.get_by_role("button", name="Start the assessment")
    page.wait_for_selector("#sitting[data-state=question], #sitting[data-state=waiting]")
    if start.is_visible():
        start.click()
    page.wait_for_selector("#sitting[data-state=question]")
    return page.url


def load(page, cdp, base: str, what: str, go) -> dict:
    """Load the page with ``go()`` and report every response the network carried."""
    seen: dict[str, dict] = {}
    cdp.on("Network.responseReceived", lambda e: seen.setdefault(e["requestId"], {}).update(response=e["response"],
                                                                                            kind=e["type"]))
    cdp.on("Network.loadingFinished", lambda e: seen.setdefault(e["requestId"], {}).update(wire=e["encodedDataLength"]))
    go()
    page.wait_for_selector("#sitting[data-state=question]")
    page.wait_for_load_state("networkidle")
    totals = {"all": 0, "markup": 0, "revalidated": 0}
    print(f"\n{what}")
    for entry in seen.values():
        response = entry.get("response")
        if response is None:
            continue
        headers = {k.lower(): v for k, v in response["headers"].items()}
        wire = int(entry.get("wire", 0))
        cached = response.get("fromDiskCache") or response.get("fromMemoryCache")
        print(f"  {response['status']} {response['url'].replace(base, '')[:72]:72s} {wire:7d} B "
              f"{headers.get('content-encoding', 'identity'):8s}{' (from cache)' if cached else ''}")
        totals["all"] += wire
        totals["revalidated"] += response["status"] == 304
        if entry.get("kind") in ("Document", "Stylesheet", "Script"):
            totals["markup"] += wire
    print(f"  on the wire: {totals['all']} B in all, {totals['markup']} B of HTML, CSS and JS; "
          f"{totals['revalidated']} x 304")
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--email", default="candidate@demo.piaa.in")
    parser.add_argument("--password", default="demo-pass-2026")
    parser.add_argument("--sitting", help="the path of a sitting already under way, e.g. /attempts/12/sit")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    base = args.url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport=PHONE, locale="en-IN")
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto(f"{base}/login")
        page.fill("#email", args.email)
        page.fill("#password", args.password)
        page.click("button[type=submit] >> text=Sign in")
        page.wait_for_load_state()
        sitting = base + args.sitting if args.sitting else start_sitting(page, base)

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        load(page, cdp, base, "first visit, nothing cached", lambda: page.goto(sitting))
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        page.goto(sitting)  # fills the cache
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        load(page, cdp, base, "later visit", lambda: page.goto(sitting))
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        load(page, cdp, base, "reload mid-sitting", page.reload)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
