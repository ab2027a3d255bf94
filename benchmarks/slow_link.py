"""The candidate's sitting on a phone over a slow link: Debian's Chromium driven by Playwright,
the link emulated through the DevTools protocol (400 ms latency, 50 KB/s down, 25 KB/s up)
at 360 x 740, against the demo (``piaa demo``) served by gunicorn on SQLite.

    python benchmarks/slow_link.py [--baseline PATH] [--window-s 120]

Measures, and prints against the targets:

* check-in to the first question: from pressing "Check in" (with "Start the assessment"
  pressed as soon as it shows) to the question on screen (target < 2 s);
* answer and move on: from pressing Next to the next question, pressed at once after
  choosing and pressed after a pause (the answer already saved), and the API requests each
  item cost;
* a reload mid-sitting: from the reload to the question on screen (target < 1.5 s);
* queued answers after a dead link: four answers given while every request fails, then the
  link comes back: from its return to all four saved, and how many requests carried them,
  for a link whose loss the browser announces (offline / online events) and for a silent
  one (requests simply fail); the target is one round trip (one answer's save, measured);
* heartbeat and signals: the bytes sent and received by the API (heartbeats and signals are
  all it hears) while the candidate sits on a question and looks away every two minutes (a
  signal), over ``--window-s`` seconds,
  extrapolated to a 20-minute sitting (target < 20 KB).

Times are the page's own (stamped in the page when a button is pressed and when a question
shows), so Playwright's latency stays out of them. ``SLOW_LINK_TRACE=1`` prints each request
of the check-in, each heartbeat and the requests after a dead link.

``--baseline PATH`` serves a second checkout (an older commit, e.g. a ``git worktree`` of
main) the same way and prints its figures beside these, with the ratio old / new. Each
checkout gets its own demo database in a temporary folder; nothing is written elsewhere.
All traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
# "Poor 3G" as the issue measured it.
SLOW_LINK = {"offline": False, "latency": 400, "downloadThroughput": 50 * 1024, "uploadThroughput": 25 * 1024}
DEAD_LINK = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
CANDIDATE = "candidate@demo.piaa.in"
DEMO_PASSWORD = "demo-pass-2026"
SITTING_S = 20 * 60
TRACE = os.environ.get("SLOW_LINK_TRACE") == "1"  # print each request of the check-in
SIGNAL_EVERY_S = 120.0  # the candidate looks away (a window_blur signal) every two minutes
QUEUED = 4  # answers given while the link is dead, twice, in a form of 10
TARGETS = {"check_in_s": 2.0, "reload_s": 1.5, "beat_bytes": 20_000}


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DemoServer:
    """``piaa demo`` in a fresh SQLite database, served by gunicorn from checkout ``root``."""

    def __init__(self, root: Path, folder: Path):
        self.root, self.folder, self.port = root, folder, free_port()
        self.env = {**os.environ, "PYTHONPATH": str(root), "PIAA_SECRET_KEY": secrets.token_hex(16),
                    "PIAA_DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}", "WEB_WORKERS": "2",
                    "PIAA_LOG_FORMAT": "text"}
        for name in ("PIAA_REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"):
            self.env.pop(name, None)
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "DemoServer":
        bin_dir = Path(sys.executable).parent
        for command in (["db", "upgrade"], ["demo"]):  # the instance folder is the working folder
            subprocess.run([str(bin_dir / "piaa"), *command], env=self.env, cwd=self.folder, check=True,
                           stdout=subprocess.DEVNULL)
        log = (self.folder / "gunicorn.log").open("wb")
        self.proc = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "-c", "python:piaa.gunicorn_config", "--bind", f"127.0.0.1:{self.port}",
             "--chdir", str(self.folder), "--log-level", "warning", "piaa:create_app()"],
            # started in the instance folder: gunicorn puts its working folder first on the import
            # path, which must not be a checkout other than ``root``
            env=self.env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.folder / 'gunicorn.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not come up within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --- what goes over the link -----------------------------------------------------------------

@dataclass
class Exchange:
    url: str
    method: str
    started: float
    sent: int = 0  # request line, headers as sent (cookies included) and body
    received: int = 0  # response headers and body as received (encoded)
    finished: float | None = None
    failed: bool = False
    kind: str = ""


class Traffic:
    """Every request of the page, from the DevTools protocol's network events."""

    def __init__(self, cdp):
        self.by_id: dict[str, Exchange] = {}
        self.extra: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestWillBeSentExtraInfo", self._sent_extra)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def _sent(self, event):
        request = event["request"]
        body = len((request.get("postData") or "").encode())
        line = len(f"{request['method']} {request['url'].split('//', 1)[-1].split('/', 1)[-1]} HTTP/1.1\r\n") + 1
        self.by_id[event["requestId"]] = Exchange(request["url"], request["method"], time.perf_counter(),
                                                  sent=line + body + self.extra.pop(event["requestId"], 0),
                                                  kind=event.get("type", ""))

    def _sent_extra(self, event):
        size = sum(len(k) + len(str(v)) + 4 for k, v in event["headers"].items()) + 2
        exchange = self.by_id.get(event["requestId"])
        if exchange is None:
            self.extra[event["requestId"]] = size
        else:
            exchange.sent += size

    def _finished(self, event):
        exchange = self.by_id.get(event["requestId"])
        if exchange:
            exchange.received, exchange.finished = int(event["encodedDataLength"]), time.perf_counter()

    def _failed(self, event):
        exchange = self.by_id.get(event["requestId"])
        if exchange:
            exchange.failed, exchange.finished = True, time.perf_counter()

    def since(self, moment: float, part: str = "/api/") -> list[Exchange]:
        return [x for x in self.by_id.values() if x.started >= moment and part in x.url]


# --- the sitting -------------------------------------------------------------------------------

@dataclass
class Figures:
    check_in_s: float = float("nan")
    answer_next_at_once_s: float = float("nan")
    answer_next_after_pause_s: float = float("nan")
    requests_per_item: float = float("nan")
    reload_s: float = float("nan")
    one_save_s: float = float("nan")
    queued_announced_s: float = float("nan")
    queued_announced_requests: int = 0
    queued_silent_s: float = float("nan")
    queued_silent_after_first_try_s: float = float("nan")
    queued_silent_requests: int = 0
    beat_bytes_20min: float = float("nan")
    beats_20min: float = float("nan")
    page_bytes: int = 0
    notes: list[str] = field(default_factory=list)


def wait_question(page, heading: str | None = None) -> None:
    if heading is None:
        page.wait_for_selector("#sitting[data-state=question]")
    else:
        page.wait_for_function("h => document.getElementById('sitting').dataset.state === 'done' || "
                               "document.getElementById('question-heading').textContent === h", arg=heading)


def give_answer(page, last: bool = False) -> None:
    """Answer the item on screen whatever its kind: an option, a position for each entry, a
    number or a few words (typed, then left, as a candidate does)."""
    box = page.locator("#item")
    options = box.locator("input[type=radio], input[type=checkbox]")
    if options.count():
        (options.last if last else options.first).check()
        return
    selects = box.locator("select")
    if selects.count():
        for i in range(selects.count()):
            selects.nth(i).select_option(index=1 + i % (selects.nth(i).locator("option").count() - 1))
        return
    box.locator("input[type=text]").first.fill("2")
    page.keyboard.press("Tab")


def begin(page, base: str, window_id: int) -> None:
    """From the board to a checked-in, started sitting's first question (not timed)."""
    page.goto(f"{base}/assessments")
    page.locator(f"#window-{window_id} button[type=submit]").click()
    page.wait_for_url("**/check-in")
    page.check("#identity")
    page.check("#rules")
    page.wait_for_selector('#system-check li[data-check="server"].ok')


def windows(page, base: str) -> dict[str, list[int]]:
    found = page.request.get(f"{base}/api/v1/me/windows").json()["windows"]
    out: dict[str, list[int]] = {}
    for w in found:
        mode = w["assessment"]["mode"]
        out.setdefault("adaptive" if mode == "adaptive" else w["assessment"]["navigation"], []).append(w["id"])
    return out


# Stamps the page writes itself (epoch milliseconds, in sessionStorage, so they survive a
# navigation): each button pressed, the moment the Start button shows, each question heading
# on screen, and the moment every answer is saved; a page stops stamping once it is being left. Playwright's own latency stays out of the
# figures. Injected through the DevTools protocol, which the page's script policy allows.
STAMPS = """(() => {
  // A page being left stamps nothing more: its question is still on screen while the next
  // document loads, and a stamp from it would stand for the new page's.
  let leaving = false;
  addEventListener("beforeunload", () => { leaving = true; }, true);
  const put = (key, only_first) => {
    if (leaving) return;
    try { if (!only_first || !sessionStorage.getItem("bench." + key)) sessionStorage.setItem("bench." + key, Date.now()); }
    catch (e) { /* no storage */ }
  };
  addEventListener("click", (e) => {
    const b = e.target.closest && e.target.closest("button");
    if (b && b.id) put("click." + b.id, false);
  }, true);
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("sitting");
    if (!root) return;
    const look = () => {
      const heading = document.getElementById("question-heading"), start = document.getElementById("start-button");
      if (root.dataset.state === "question") put("shown." + heading.textContent, true);
      if (root.dataset.state === "waiting" && !start.hidden) put("start-shown", true);
      if (document.getElementById("save-state").dataset.state === "saved") put("saved", true);
    };
    new MutationObserver(look).observe(document.body, {subtree: true, attributes: true, childList: true, characterData: true});
    look();
  });
})();"""


def stamps(page) -> dict[str, float]:
    """The page's stamps, in seconds since the epoch."""
    raw = page.evaluate("Object.fromEntries(Object.keys(sessionStorage).filter(k => k.startsWith('bench.'))"
                        ".map(k => [k.slice(6), Number(sessionStorage.getItem(k))]))")
    return {k: v / 1000 for k, v in raw.items()}


def clear_stamps(page) -> None:
    page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('bench.'))"
                  ".forEach(k => sessionStorage.removeItem(k))")


def heading_of(page) -> str:
    return page.locator("#question-heading").inner_text()


def measure(browser, base: str, window_s: float, items: int) -> Figures:
    figures = Figures()
    context = browser.new_context(viewport=PHONE, locale="en-IN")
    context.add_init_script(STAMPS)
    page = context.new_page()
    page.set_default_timeout(60_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    traffic = Traffic(cdp)
    try:
        page.goto(f"{base}/login")
        page.fill("#email", CANDIDATE)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit] >> text=Sign in")
        page.wait_for_load_state()
        found = windows(page, base)
        adaptive, free = found["adaptive"][0], found["free"][0]
        cdp.send("Network.emulateNetworkConditions", SLOW_LINK)

        # 1. Check-in to the first question; the candidate's own time before pressing Start
        #    (a person reads the screen first) is left out.
        begin(page, base, adaptive)
        clear_stamps(page)
        started = time.perf_counter()
        page.get_by_role("button", name="Check in").click()
        page.get_by_role("button", name="Start the assessment").click()
        wait_question(page)
        at = stamps(page)
        shown = min(v for k, v in at.items() if k.startswith("shown."))
        figures.check_in_s = (at["start-shown"] - at["click.check-in-button"]) + (shown - at["click.start-button"])
        if TRACE:
            for x in traffic.since(started, ""):
                print(f"  {x.started - started:6.2f} -> {(x.finished or 0) - started:6.2f}  {x.method} "
                      f"{x.url.split('/', 3)[-1][:60]}  up {x.sent} down {x.received}")
        sitting_page = [x for x in traffic.since(started, "/sit") if x.kind == "Document"]
        figures.page_bytes = sitting_page[-1].received if sitting_page else 0

        # 2. Answer and move on: Next at once after choosing, then after a pause.
        at_once, after_pause, moments = [], [], []
        for n in range(items):
            if page.locator("#sitting").get_attribute("data-state") != "question":
                break
            heading = heading_of(page)
            number = int(heading.split()[1])
            following = heading.replace(str(number), str(number + 1), 1)
            moments.append(time.perf_counter())
            give_answer(page)
            if n % 2:
                page.wait_for_selector("#save-state[data-state=saved]")
                page.wait_for_timeout(2000)  # past the hold: the answer went alone
            clear_stamps(page)
            page.get_by_role("button", name="Next").click()
            wait_question(page, following)
            at = stamps(page)
            if "shown." + following not in at:
                break  # the end of the questions
            (after_pause if n % 2 else at_once).append(at["shown." + following] - at["click.next-button"])
        calls = [x for x in traffic.since(moments[0]) if "/events" not in x.url and x.method != "GET"]
        figures.requests_per_item = len(calls) / len(moments)
        figures.answer_next_at_once_s = statistics.median(at_once)
        figures.answer_next_after_pause_s = statistics.median(after_pause)

        # 3. A reload mid-sitting: from the navigation's start to the question on screen.
        clear_stamps(page)
        page.reload()
        wait_question(page)
        at, origin = stamps(page), page.evaluate("performance.timeOrigin") / 1000
        # (a stamp the page being left wrote while it went is older than the reload: not this one)
        figures.reload_s = min(v for k, v in at.items() if k.startswith("shown.") and v >= origin) - origin

        # 4. Heartbeat and signals while the candidate reads (a signal every two minutes).
        page.wait_for_timeout(2000)
        started = time.perf_counter()
        while time.perf_counter() - started < window_s:
            page.evaluate("window.dispatchEvent(new Event('blur'))")
            page.wait_for_timeout(min(SIGNAL_EVERY_S, window_s - (time.perf_counter() - started)) * 1000)
        spent = time.perf_counter() - started
        # Nothing else calls the API while the candidate reads: every call is a heartbeat or signals.
        beats = [x for x in traffic.since(started) if x.started - started < spent]
        figures.beat_bytes_20min = sum(x.sent + x.received for x in beats) * SITTING_S / spent
        if TRACE:
            for x in beats:
                print(f"  beat at {x.started - started:6.1f} s: {x.method} up {x.sent} down {x.received}")
        figures.beats_20min = len(beats) * SITTING_S / spent

        # 5. Queued answers after a dead link, in a form with free navigation.
        begin(page, base, free)

        page.get_by_role("button", name="Check in").click()
        page.get_by_role("button", name="Start the assessment").click()
        wait_question(page)
        page.wait_for_timeout(1000)
        clear_stamps(page)
        began = time.time()
        give_answer(page)
        page.wait_for_selector("#save-state[data-state=saved]")
        figures.one_save_s = stamps(page)["saved"] - began

        def dead_link_then_back(announced: bool, first: int) -> tuple[float, float, int]:
            if announced:
                cdp.send("Network.emulateNetworkConditions", DEAD_LINK)
            else:
                page.route("**/api/**", lambda route: route.abort("connectionreset"))
            for k in range(first, first + QUEUED):
                page.get_by_role("button", name=f"Question {k}:").click()
                give_answer(page, last=True)
            page.wait_for_function("n => document.getElementById('save-state').dataset.pending === String(n)",
                                   arg=QUEUED)
            page.wait_for_timeout(3000)  # the link stays dead a while
            clear_stamps(page)
            back, moment = time.time(), time.perf_counter()
            if announced:
                cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
            else:
                page.unroute("**/api/**")
            page.wait_for_selector("#save-state[data-state=saved]", timeout=120_000)
            done = stamps(page)["saved"]
            carried = [x for x in traffic.since(moment, "/responses") if not x.failed]
            if TRACE:
                for x in traffic.since(moment - 10, "/api/"):
                    print(f"  queued: {x.started - moment:6.2f} -> {(x.finished or 0) - moment:6.2f} {x.method} "
                          f"{x.url.split('/api/v1/', 1)[-1][:50]} failed={x.failed}")
            first_try = min((x.started for x in carried), default=moment) - moment + back
            return done - back, done - first_try, len(carried)

        figures.queued_announced_s, _, figures.queued_announced_requests = dead_link_then_back(True, 2)
        (figures.queued_silent_s, figures.queued_silent_after_first_try_s,
         figures.queued_silent_requests) = dead_link_then_back(False, 2 + QUEUED)
    finally:
        context.close()
    return figures


# --- report ------------------------------------------------------------------------------------

ROWS = [  # figure, label, target (None: no target), format
    ("check_in_s", "check-in to first question (Start pressed at once), s", TARGETS["check_in_s"], "{:.2f}"),
    ("answer_next_at_once_s", "Next at once after choosing -> next question, s", None, "{:.2f}"),
    ("answer_next_after_pause_s", "Next after a pause -> next question, s", None, "{:.2f}"),
    ("requests_per_item", "API requests per item (answers and moves; no heartbeat)", None, "{:.2f}"),
    ("reload_s", "reload mid-sitting -> question, s", TARGETS["reload_s"], "{:.2f}"),
    ("one_save_s", "one answer saved (one round trip), s", None, "{:.2f}"),
    ("queued_announced_s", "4 queued answers saved after the link's return (announced), s", "round trip",
     "{:.2f}"),
    ("queued_announced_requests", "  requests carrying them", None, "{:d}"),
    ("queued_silent_s", "4 queued answers saved after the link's return (silent), s", None, "{:.2f}"),
    ("queued_silent_after_first_try_s", "  from the first try after the return, s", "round trip", "{:.2f}"),
    ("queued_silent_requests", "  requests carrying them", None, "{:d}"),
    ("beat_bytes_20min", "heartbeat + signals per 20-minute sitting, bytes", TARGETS["beat_bytes"], "{:,.0f}"),
    ("beats_20min", "  signal calls per 20-minute sitting", None, "{:.0f}"),
    ("page_bytes", "sitting page as sent, bytes", None, "{:,d}"),
]


def verdict(name: str, target, value: float, figures: Figures) -> str:
    if target is None:
        return ""
    if target == "round trip":  # within one round trip: at most one answer's save, and a little
        return "PASS" if value <= 1.25 * figures.one_save_s else "MISS"
    return "PASS" if value < target else "MISS"


def report(new: Figures, old: Figures | None) -> None:
    print()
    head = f"{'figure':<64} {'target':>10} {'this':>10}"
    if old:
        head += f" {'baseline':>10} {'old/new':>8}"
    print(head + "  result")
    for name, label, target, fmt in ROWS:
        value = getattr(new, name)
        line = f"{label:<64} {('< ' + str(target)) if isinstance(target, (int, float)) else (target or ''):>10} " \
               f"{fmt.format(value):>10}"
        if old:
            was = getattr(old, name)
            ratio = was / value if value else float("nan")
            line += f" {fmt.format(was):>10} {ratio:>8.2f}"
        print(line + "  " + verdict(name, target, value, new))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to measure the same way (the old path)")
    parser.add_argument("--window-s", type=float, default=270.0, help="seconds of heartbeat measured")
    parser.add_argument("--items", type=int, default=6, help="items answered (alternately at once and after a pause)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: install Debian's chromium")
    from playwright.sync_api import sync_playwright

    results: dict[str, Figures] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for label, root in (("baseline", args.baseline), ("this", ROOT)):
                if root is None:
                    continue
                with tempfile.TemporaryDirectory() as folder, DemoServer(root.resolve(), Path(folder)) as server:
                    print(f"measuring {label}: {root} at {server.base}", flush=True)
                    results[label] = measure(browser, server.base, args.window_s, args.items)
        finally:
            browser.close()
    print(f"\nlink: {SLOW_LINK['latency']} ms latency, {SLOW_LINK['downloadThroughput'] // 1024} KB/s down, "
          f"{SLOW_LINK['uploadThroughput'] // 1024} KB/s up; {PHONE['width']} x {PHONE['height']}; "
          f"heartbeat window {args.window_s:.0f} s extrapolated to {SITTING_S // 60} minutes")
    report(results["this"], results.get("baseline"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
