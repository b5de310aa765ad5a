"""The browser UI end to end: the real `shiori serve` (bundled embedder and Qwen GGUF) driven in headless
Debian Chromium through Playwright, which never downloads a browser here.

One page goes through the whole story in order: upload a PDF and a text file (and drop a hostile one),
watch them reach `ready`, ask, see the sources before the first token and the tokens stream, hover and
click a citation chip and see the passage highlighted on its page; stop an answer midway and ask again;
see the hostile document as text with nothing executed; busy (429), abstention and the API-key dialog
(with the network mocked); the phone layout in Japanese. Screenshots land in test-artifacts/ui/.

Without Chromium (or Playwright, or a UI build) the tests skip with the reason; with
SHIORI_REQUIRE_BROWSER=1 (CI) they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, REPO
from tests.support.ci import require
from tests.support.server import ShioriServer as Server

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("SHIORI_CHROMIUM", "/usr/bin/chromium")
UI_INDEX = REPO / "app" / "ui" / "dist" / "index.html"
SHOTS = REPO / "test-artifacts" / "ui"
PDF = CORPUS / "pdf/good/ja_gov_notice_mhlw-tsuchi.pdf"
LOCKED_PDF = CORPUS / "pdf/bad/bad_encrypted_userpw_utf8-aes256-r6.pdf"
SCAN = CORPUS / "pdf/bad/bad_scanned_image-only_en.pdf"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

NOTES = """Harbor Library opening hours

The Harbor Library opens at 9 a.m. and closes at 6 p.m. from Monday to Friday. On Saturdays it is open \
from 10 a.m. to 4 p.m. The library is closed on Sundays and public holidays.

Borrowing rules

Members may borrow up to eight books at a time. The loan period is three weeks, and a loan can be \
renewed twice online. Late returns cost 20 cents per book per day.

History

The library was founded in 1923 by the shipping merchant Eleanor Vance. It moved to its current \
building on Quay Street in 1987.
"""
HOSTILE_NAME = "<img src=x onerror=window.__shioriXss=3>.txt"
HOSTILE = """Staff notes

Markup in this file must show as text: <script>window.__shioriXss = 1</script>
And an image that tries to run code: <img src="x" onerror="window.__shioriXss = 2">
The staff room code is 4711.
"""


def _unavailable(reason: str) -> None:
    if os.environ.get("SHIORI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (SHIORI_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium; `make test` does it)")
    if not UI_INDEX.is_file():
        _unavailable("the UI is not built (make ui)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).is_file() else "chromium")
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, e5_model_dir: Path, qwen_gguf: Path) -> Iterator[Server]:
    require(CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    tmp = tmp_path_factory.mktemp("ui-e2e")
    srv = Server(
        tmp / "data",
        tmp / "server.log",
        {
            "SHIORI_EMBEDDING__MODEL_PATH": str(e5_model_dir),
            "SHIORI_GENERATOR__GGUF_PATH": str(qwen_gguf),
            # Short answers and a small context keep each question to seconds on a 2-core CPU.
            "SHIORI_GENERATOR__MAX_TOKENS": "96",
            "SHIORI_ANSWER__CONTEXT_TOKENS": "500",
            "SHIORI_ANSWER__K": "3",
            # No waiting line: while an answer holds the one slot, another question gets 429 at once,
            # so the question asked after Stop proves the stopped generation gave its slot back.
            "SHIORI_ANSWER__QUEUE": "0",
        },
    )
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ui-files")
    notes = folder / "harbor-notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    # Long enough (a few hundred passages) that its stages stay on screen for seconds on any machine:
    # the small files can go from queued to ready between two polls of the list.
    log = folder / "weather-log.txt"
    log.write_text(
        "\n\n".join(
            f"Day {i}: the station recorded {i % 17 + 3} millimetres of rain, a low of {i % 9} degrees and "
            f"winds from the {('north', 'east', 'south', 'west')[i % 4]} at {i % 23 + 5} kilometres per hour."
            for i in range(1500)
        ),
        encoding="utf-8",
    )
    return {"notes": notes, "log": log}


_MOTIONLESS = """(selector) => {
  let el = document.querySelector(selector);
  if (!el) return false;
  for (; el; el = el.parentElement) {
    if (el.getAnimations().some((a) => a.playState === "running")) return false;
  }
  return true;
}"""


class Page:
    """The page under test plus what the browser reported on the side."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # The 401 and 429 the tests mock on purpose are logged by the browser; anything else counts.
        expected = any(f"status of {code}" in message.text for code in (401, 429))
        if message.type == "error" and not expected:
            self.errors.append(f"console.error: {message.text}")

    def settle(self, selector: str, timeout_s: float = 10) -> None:
        """Wait until the element and everything around it has stopped moving (a sheet sliding in, a
        zoom): geometry read mid-transition is wrong, and a fixed sleep is too short on a busy machine."""
        self.page.wait_for_function(_MOTIONLESS, arg=selector, timeout=timeout_s * 1000)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def last_turn(self) -> Any:
        return self.page.locator("[data-turn]").last

    def ask(self, question: str) -> None:
        self.page.fill("#question", question)
        self.page.press("#question", "Enter")

    def wait_phase(self, phases: str, timeout_s: float = 240) -> str:
        selector = ", ".join(f"[data-turn]:last-of-type[data-phase={p}]" for p in phases.split())
        self.page.wait_for_selector(selector, timeout=timeout_s * 1000)
        return str(self.last_turn().get_attribute("data-phase"))


@pytest.fixture(scope="module")
def ui(browser: Any, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = Page(context.new_page())
    page.page.goto(server.url + "/")
    page.page.wait_for_selector("select#collection option", state="attached")
    yield page
    context.close()


def doc_status(ui: Page, name: str) -> str:
    row = ui.page.locator("[data-testid=document]", has_text=name)
    return str(row.get_attribute("data-status")) if row.count() else "absent"


def test_page_is_served_with_policy_and_no_errors(ui: Page, server: Server) -> None:
    import httpx

    r = httpx.get(server.url + "/", timeout=10)
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    assert ui.page.evaluate("document.documentElement.lang") == "en"
    ui.shot("desktop-empty")
    assert ui.errors == []


def test_upload_pdf_and_text_follow_the_real_stages_to_ready(
    ui: Page, files: dict[str, Path], server: Server
) -> None:
    page = ui.page
    uploads = [PDF, files["notes"], LOCKED_PDF, files["log"]]
    page.set_input_files("[data-testid=file-input]", [str(p) for p in uploads])
    items = page.locator("[data-testid=upload-item]")
    seen: set[str] = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        seen.update(page.locator("[data-testid=upload-status]").all_text_contents())
        tones = items.evaluate_all("els => els.map(e => e.dataset.tone)")
        if len(tones) == len(uploads) and "active" not in tones:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"uploads never finished: {seen}")
    seen.update(page.locator("[data-testid=upload-status]").all_text_contents())
    text = " | ".join(sorted(seen))
    assert any(s.startswith(("Uploading", "Queued", "Starting")) for s in seen), text
    assert any(s.startswith(("Reading page", "Embedding passages", "Splitting")) for s in seen), text
    assert "Ready · 2 pages" in text and "Ready · 1 page · 1 passage" in text
    assert doc_status(ui, PDF.name) == "ready" and doc_status(ui, "harbor-notes.txt") == "ready"
    pdf_row = page.locator("[data-testid=document]", has_text=PDF.name)
    assert "2 pages" in pdf_row.inner_text() and "KB" in pdf_row.inner_text()

    # A file the worker cannot read fails with its reason, in the upload row and in the list.
    locked = items.filter(has_text=LOCKED_PDF.name)
    assert locked.get_attribute("data-tone") == "failed"
    reason = page.locator("[data-testid=document]", has_text=LOCKED_PDF.name).locator(
        "[data-testid=document-error]"
    )
    assert "password" in reason.inner_text().lower()
    assert reason.inner_text() in locked.inner_text()

    # The same text again is reported as a duplicate, not ingested twice.
    page.set_input_files("[data-testid=file-input]", [str(files["notes"])])
    items.and_(page.locator("[data-tone=duplicate]")).wait_for()
    assert page.locator("[data-testid=document]", has_text="harbor-notes.txt").count() == 1
    ui.shot("desktop-uploads")

    # The long file was only there to be watched: the questions below are about the harbor notes.
    import httpx

    listed = httpx.get(f"{server.url}/api/v1/collections/default/documents", timeout=10).json()
    log_id = next(d["id"] for d in listed if d["filename"] == files["log"].name)
    assert httpx.delete(f"{server.url}/api/v1/documents/{log_id}", timeout=10).status_code == 204


def test_ask_streams_after_sources_and_citation_opens_the_page(ui: Page) -> None:
    page = ui.page
    page.evaluate(
        """() => {
            window.__trace = [];
            new MutationObserver(() => {
                const turn = [...document.querySelectorAll("[data-turn]")].pop();
                if (!turn) return;
                const answer = turn.querySelector(".answer-md");
                window.__trace.push({
                    t: performance.now(),
                    sources: !!document.querySelector("[data-testid=source-list]"),
                    chars: answer ? answer.textContent.length : 0,
                });
            }).observe(document.body, { subtree: true, childList: true, characterData: true });
        }"""
    )
    # Shift+Enter adds a line; Enter sends.
    page.click("#question")
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert page.input_value("#question") == "first line\nsecond line"
    assert page.locator("[data-turn]").count() == 0
    ui.ask("How many books can members borrow at a time?")
    page.wait_for_selector("[data-testid=stop]")
    assert ui.wait_phase("done error") == "done", ui.last_turn().inner_text()
    trace = page.evaluate("window.__trace")
    first_sources = next(i for i, e in enumerate(trace) if e["sources"])
    first_token = next(i for i, e in enumerate(trace) if e["chars"] > 0)
    assert first_sources < first_token, "the sources panel filled only after the answer began"
    lengths = sorted({e["chars"] for e in trace if e["chars"] > 0})
    assert len(lengths) >= 3, f"the answer did not stream: {lengths}"

    ui.shot("desktop-answer")
    answer = ui.last_turn().locator(".answer-md")
    assert answer.count() == 1, ui.last_turn().inner_text()
    assert "eight" in answer.inner_text().lower() or "8" in answer.inner_text()
    chip = answer.locator("button.cite").first
    chip.wait_for()
    sources = page.locator("[data-testid=source-list] .source-card").all_inner_texts()
    number = int(chip.inner_text().strip("≈!?"))
    assert 1 <= number <= len(sources) and "harbor-notes.txt" in sources[number - 1]
    ui.shot("desktop-answer")

    chip.hover()
    preview = page.locator(".chip-preview")
    preview.wait_for()
    assert "harbor-notes.txt" in preview.inner_text()
    ui.shot("desktop-citation-hover")

    chip.click()
    view = page.locator("[data-testid=passage-view]")
    view.wait_for()
    assert "harbor-notes.txt" in view.locator(".passage__title").inner_text()
    assert "p. 1" in view.locator(".passage__eyebrow").inner_text()
    mark = view.locator("[data-testid=page-text] mark.hl-evidence")
    mark.wait_for()
    page_text = view.locator("[data-testid=page-text]").inner_text()
    evidence = mark.inner_text()
    assert evidence.strip() and evidence in page_text and "eight books" in page_text
    assert page.evaluate("document.activeElement.id") == "passage-title"
    open_link = view.locator("a", has_text="Open original")
    assert open_link.get_attribute("href", timeout=2000).endswith("/file")
    ui.settle("[data-testid=passage-view]")
    ui.shot("desktop-citation")


def _wait_generation_idle(server: Server, timeout_s: float = 30) -> None:
    """Until the server holds no question (running or waiting), read off its /metrics gauge."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        body = httpx.get(f"{server.url}/metrics", timeout=5).text
        if re.search(r"^shiori_generation_queue_depth 0(\.0)?$", body, re.MULTILINE):
            return
        assert time.monotonic() < deadline, "the stopped answer still holds a generation slot"
        time.sleep(0.05)


def test_stop_ends_generation_and_the_server_takes_the_next_question(ui: Page, server: Server) -> None:
    page = ui.page
    # A question whose answer runs to the token limit, whatever the prompt: every section of the notes,
    # each in a paragraph of its own. (An answer finished before Stop is clicked would test nothing.)
    ui.ask(
        "What are the opening hours, the borrowing rules and the history of the Harbor Library? "
        "Answer each in its own paragraph."
    )
    page.wait_for_selector("[data-turn]:last-of-type[data-phase=streaming]", timeout=240_000)
    page.click("[data-testid=stop]")
    assert ui.wait_phase("stopped done error", timeout_s=5) == "stopped"
    assert ui.last_turn().locator("[data-testid=stopped]").is_visible()
    page.wait_for_selector("[data-testid=send]")

    # The server cancelled the generation when the browser went away. Had it gone on decoding (up to
    # 96 tokens, several seconds here), the slot would still be held and, with no queue, this next
    # question would get 429. The slot frees within the decoder's cancel check, not after 96 tokens.
    _wait_generation_idle(server, timeout_s=2)
    with page.expect_request("**/api/v1/ask") as request:
        ui.ask("When was the Harbor Library founded?")
    history = request.value.post_data_json["history"]  # a follow-up carries the conversation
    assert history[0] == {"role": "user", "content": "How many books can members borrow at a time?"}
    assert ui.wait_phase("done error") == "done", ui.last_turn().inner_text()
    assert "1923" in ui.last_turn().inner_text()
    ui.shot("desktop-conversation")


def test_hostile_document_shows_as_text(ui: Page) -> None:
    page = ui.page
    # A hostile file, dropped onto the drop zone: its name and text are data, never markup.
    page.evaluate(
        """([name, text]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, { type: "text/plain" }));
            const drop = new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true });
            document.querySelector("[data-testid=dropzone]").dispatchEvent(drop);
        }""",
        [HOSTILE_NAME, HOSTILE],
    )
    page.wait_for_selector("[data-testid=document][data-status=ready] >> text=window.__shioriXss=3")
    assert page.evaluate("window.__shioriXss") is None
    row = page.locator("[data-testid=document]", has_text="window.__shioriXss=3")
    assert HOSTILE_NAME.removesuffix(".txt") in row.inner_text()
    row.get_by_role("button", name="View text").click()
    view = page.locator("[data-testid=document-view]")
    text = view.locator("[data-testid=page-text]")
    text.wait_for()
    assert "<script>window.__shioriXss = 1</script>" in text.inner_text()
    assert '<img src="x" onerror="window.__shioriXss = 2">' in text.inner_text()
    assert view.locator("script, img").count() == 0
    assert page.locator("main img, aside img").count() == 0
    page.wait_for_timeout(500)
    assert page.evaluate("window.__shioriXss") is None
    ui.shot("desktop-document-text")

    # Delete asks first; cancelling keeps the document, confirming removes it.
    row.get_by_role("button", name="Delete").click()
    dialog = page.locator("[data-testid=confirm-dialog]")
    assert "cannot be undone" in dialog.inner_text() and "window.__shioriXss=3" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert row.count() == 1
    row.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    row.wait_for(state="detached")
    assert page.evaluate("window.__shioriXss") is None


def test_busy_retry_abstention_and_key_dialog(ui: Page) -> None:
    page = ui.page
    busy = {"status": 429, "headers": {"Retry-After": "1", "Content-Type": "application/json"}}
    page.route(
        "**/api/v1/ask",
        lambda route: route.fulfill(
            **busy, body=json.dumps({"detail": "Too many questions waiting.", "code": "queue_full"})
        ),
    )
    ui.ask("What is the capital of Peru?")
    assert ui.wait_phase("error", timeout_s=10) == "error"
    callout = ui.last_turn().locator("[role=alert]")
    assert "busy" in callout.inner_text().lower()

    abstain = "".join(
        f"event: {name}\ndata: {json.dumps(data)}\n\n"
        for name, data in [
            ("sources", {"sources": [], "dropped": [], "query": "q"}),
            ("token", {"text": "The documents do not contain this."}),
            ("citations", {"answer": "The documents do not contain this.", "citations": [], "sentences": []}),
            ("done", {"abstained": True, "abstain_reason": "weak_evidence", "ttft_ms": None, "tokens": 0}),
        ]
    )
    page.unroute("**/api/v1/ask")
    page.route(
        "**/api/v1/ask",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=abstain),
    )
    callout.get_by_role("button", name="Retry").click()
    assert ui.wait_phase("done", timeout_s=10) == "done"
    assert ui.last_turn().locator("[data-testid=abstained]").is_visible()
    assert ui.last_turn().locator("[role=alert]").count() == 0
    page.unroute("**/api/v1/ask")

    seen_keys: list[str | None] = []

    def collections(route: Any) -> None:
        seen_keys.append(route.request.headers.get("authorization"))
        if len(seen_keys) == 1:
            route.fulfill(
                status=401,
                headers={"Content-Type": "application/json"},
                body=json.dumps({"detail": "An API key is required.", "code": "unauthorized"}),
            )
        else:
            route.continue_()

    page.route("**/api/v1/collections", collections)
    page.reload()
    dialog = page.locator("[data-testid=key-dialog]")
    dialog.get_by_label("API key").fill("shiori-test-key")
    ui.shot("desktop-key-dialog")
    dialog.get_by_role("button", name="Save").click()
    page.wait_for_selector("select#collection option", state="attached")
    assert seen_keys[0] is None and seen_keys[-1] == "Bearer shiori-test-key"
    assert not dialog.is_visible()
    page.unroute("**/api/v1/collections")
    page.evaluate("localStorage.removeItem('shiori.apiKey')")


def test_phone_layout_in_japanese(browser: Any, server: Server, ui: Page) -> None:
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, is_mobile=True)
    phone = Page(context.new_page())
    try:
        page = phone.page
        page.goto(server.url + "/")
        page.wait_for_selector("select#collection option", state="attached")
        assert page.evaluate("document.documentElement.lang") == "ja"
        assert page.get_by_role("button", name="送信").is_visible()
        assert not page.locator("#sidebar").is_visible()  # a drawer on phones
        phone.ask("産前産後休業は労働基準法の第何条に規定されていますか")
        assert phone.wait_phase("done error") == "done", phone.last_turn().inner_text()
        phone.shot("phone-answer")
        # A chip that names a source (a sentence nothing supports gets a "?" chip, which names none).
        chip = phone.last_turn().locator("button.cite:not(.cite--nosource)").first
        if chip.count():
            chip.tap()
            # A PDF's citation opens on its page image (#13); the text, highlighted too, is a tab away.
            page.locator("[data-testid=passage-view] [data-testid=box-evidence]").first.wait_for()
            page.get_by_role("tab", name="テキスト").click()
            page.locator("[data-testid=passage-view] mark.hl-evidence").wait_for()
            phone.settle("[data-testid=passage-view] mark.hl-evidence")
            phone.shot("phone-citation")
            page.locator("#panel").get_by_role("button", name="閉じる").click()
        page.get_by_role("button", name="文書", exact=True).click()
        page.locator("#sidebar [data-testid=document-list]").wait_for()
        phone.settle("#sidebar [data-testid=document-list]")
        phone.shot("phone-documents")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"], "the page scrolls sideways on a phone"
        # Switching language changes the UI at once.
        page.keyboard.press("Escape")
        page.get_by_role("button", name="English").click()
        assert page.get_by_role("button", name="Send").is_visible()
        assert phone.errors == [] and ui.errors == []
    finally:
        context.close()


def test_api_docs_render_from_local_files_under_the_policy(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport=DESKTOP)
    docs = Page(context.new_page())
    requested: list[str] = []
    missing: list[str] = []
    docs.page.on("request", lambda r: requested.append(r.url))
    docs.page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    try:
        docs.page.goto(server.url + "/docs")
        docs.page.locator(".opblock").first.wait_for(timeout=30_000)  # Swagger UI drew the operations
        assert docs.page.locator(".opblock").count() >= 15
        assert all(url.startswith(server.url) for url in requested), requested  # nothing from elsewhere
        assert missing == [] and docs.errors == []  # no CSP violation, no script error
        docs.shot("api-docs")
    finally:
        context.close()


class _AttackerSite:
    """Another origin on this machine (a different port is a different origin) serving a form that
    posts a file into Shiori, as a page on any website could."""

    def __init__(self, target: str) -> None:
        import http.server
        import threading

        html = (
            f'<form id="f" method="post" enctype="multipart/form-data" '
            f'action="{target}/api/v1/collections/default/documents">'
            '<input type="file" name="files" id="file"><button id="go">go</button></form>'
        ).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def test_other_sites_cannot_use_the_local_api(browser: Any, server: Server, tmp_path: Path) -> None:
    """#16: a cross-site form can't upload, and a DNS-rebound name gets nothing (Chromium's
    --host-resolver-rules maps attacker.example to 127.0.0.1, as a rebinding attack would)."""
    import httpx

    def documents() -> list[str]:
        return [d["filename"] for d in httpx.get(f"{server.url}/api/v1/collections/default/documents").json()]

    poison = tmp_path / "poison.txt"
    poison.write_text("The staff room code is 0000.", encoding="utf-8")
    site = _AttackerSite(server.url)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site.url)
        page.set_input_files("#file", str(poison))
        with page.expect_navigation():
            page.click("#go")
        assert "cross_site_request" in page.content()
        assert "poison.txt" not in documents()
    finally:
        context.close()
        site.close()

    rebinding = browser.browser_type.launch(
        executable_path=CHROMIUM if Path(CHROMIUM).is_file() else "chromium",
        args=["--host-resolver-rules=MAP attacker.example 127.0.0.1"],
    )
    try:
        page = rebinding.new_page()
        port = server.url.rsplit(":", 1)[1]
        response = page.goto(f"http://attacker.example:{port}/api/v1/auth/me")
        assert response is not None and response.status == 400
        assert "host_not_allowed" in page.content() and '"role"' not in page.content()
    finally:
        rebinding.close()


def _multi_page_scan(path: Path, pages: int) -> Path:
    """A scanned letter of `pages` different pages (typeset at 200 dpi, no text layer) in one TIFF:
    long enough in OCR (a second or more a page) that the upload row's 0.8 s poll cannot miss the
    stage, as it could with a one-page scan on an idle machine."""
    from tests.support.page_images import typeset

    topics = ("opening hours", "borrowing rules", "the reading room", "the history of the library")
    images = [
        typeset(
            f"Harbor Library letter, page {n + 1}. This page describes {topics[n % len(topics)]}. "
            f"Members asked about {topics[n % len(topics)]} {n + 2} times this year, and the staff "
            f"answered each request within {n + 3} days. " * 3,
            dpi=200,
        )[0]
        for n in range(pages)
    ]
    images[0].save(path, save_all=True, append_images=images[1:], dpi=(200, 200), compression="tiff_lzw")
    return path


def test_a_scan_shows_ocr_progress_and_its_text_is_marked_ocr(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    """#12: a scan's upload row says "OCR page x of n" while Tesseract reads it; its page text carries
    the OCR badge, with the explanation for screen readers."""
    scan = _multi_page_scan(tmp_path / "scanned-letter-4-pages.tiff", pages=4)
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("select#collection option", state="attached")
        page.set_input_files("[data-testid=file-input]", [str(scan)])
        item = page.locator("[data-testid=upload-item]", has_text=scan.name)
        seen: set[str] = set()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            seen.update(page.locator("[data-testid=upload-status]").all_text_contents())
            if item.count() and item.get_attribute("data-tone") not in (None, "active"):
                break
            time.sleep(0.05)
        assert item.get_attribute("data-tone") == "done", " | ".join(sorted(seen))
        assert any(s.startswith("OCR page") and s.endswith(" of 4") for s in seen), " | ".join(sorted(seen))
        page.get_by_role("button", name=f"View text: {scan.name}").click()
        view = page.locator("[data-testid=document-view]")
        view.wait_for()
        badge = view.locator("[data-testid=ocr-badge]")
        badge.wait_for()
        assert "OCR" in badge.inner_text() and "Read from an image of the page by OCR" in badge.text_content()
    finally:
        context.close()


def _pdf_citation_stream(
    doc_id: int, page_no: int, text: str
) -> tuple[str, tuple[int, int], tuple[int, int]]:
    """A scripted answer citing a sentence of the corpus PDF's page: the model's part is mocked, the page
    image and the boxes come from the real server (asking the small model a Japanese question would
    make the citation depend on its wording)."""
    stops = [i + 1 for i, ch in enumerate(text) if ch == "。"]
    assert len(stops) >= 2, text[:200]
    start = stops[0]
    while start < len(text) and text[start].isspace():
        start += 1
    evidence = (start, stops[1])
    passage = (0, min(len(text), max(stops[1] + 120, 300)))
    # Built with the payload models the server sends, so the script cannot drift from them.
    from app.services.answer_events import CitationOut, DoneEvent, SourceOut

    source = SourceOut(
        number=1,
        chunk_id=990001,
        document_id=doc_id,
        title=PDF.name,
        filename=PDF.name,
        page=page_no,
        page_label=None,
        char_start=passage[0],
        char_end=passage[1],
        text=text[passage[0] : passage[1]],
        shown=text[passage[0] : passage[1]],
        spans=[list(passage)],
        score=0.9,
        ocr=False,
    ).model_dump()
    answer = "通知の内容は次のとおりです[1]。"
    citation = CitationOut(
        number=1,
        sentence_index=0,
        status="verified",
        support=0.9,
        chunk_id=990001,
        document_id=doc_id,
        title=PDF.name,
        page=page_no,
        page_label=None,
        char_start=evidence[0],
        char_end=evidence[1],
        ocr=False,
    ).model_dump()
    done = DoneEvent(
        abstained=False,
        best_score=0.9,
        retrieval_ms=1,
        ttft_ms=1,
        tokens=8,
        generation_ms=1,
        prompt_tokens=10,
    ).model_dump()
    events = [
        ("sources", {"sources": [source], "dropped": [], "query": "q"}),
        ("token", {"text": answer}),
        (
            "citations",
            {
                "answer": answer,
                "citations": [citation],
                "sentences": [
                    {"start": 0, "end": len(answer), "text": answer, "numbers": [1], "supported": True}
                ],
                "invalid_numbers": [],
            },
        ),
        ("done", done),
    ]
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    return body, evidence, passage


_HIGHLIGHT_GEOMETRY = """() => {
    const img = document.querySelector("[data-testid=page-image]");
    const r = img.getBoundingClientRect();
    const boxes = [...document.querySelectorAll("[data-testid=box-evidence]")].map((b) => {
        const q = b.getBoundingClientRect();
        return { x0: q.left - r.left, y0: q.top - r.top, x1: q.right - r.left, y1: q.bottom - r.top };
    });
    const label = document.querySelector("[data-testid=page-highlight]").getAttribute("aria-label");
    return { width: r.width, natural: img.naturalWidth, boxes, label, alt: img.alt };
}"""


def _assert_highlight_matches_api(page: Any, api_boxes: dict[str, Any], evidence_text: str) -> None:
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=page-image]');"
        " return i && i.complete && i.naturalWidth > 0"
        " && document.querySelector('[data-testid=box-evidence]'); }",
        timeout=60_000,
    )
    got = page.evaluate(_HIGHLIGHT_GEOMETRY)
    k = got["width"] / api_boxes["width"]
    expected = [{c: r[c] * k for c in ("x0", "y0", "x1", "y1")} for r in api_boxes["rects"]]
    assert len(got["boxes"]) == len(expected), got
    for drawn, want in zip(got["boxes"], expected, strict=True):
        for c in ("x0", "y0", "x1", "y1"):
            assert abs(drawn[c] - want[c]) <= 2, (c, drawn, want, k)
    assert evidence_text.strip() and evidence_text in got["label"]
    assert PDF.name in got["alt"]


def test_pdf_citation_opens_the_page_image_with_the_evidence_highlighted(
    browser: Any, server: Server, ui: Page
) -> None:
    import httpx

    page = ui.page
    listed = httpx.get(f"{server.url}/api/v1/collections/default/documents", timeout=10).json()
    if not any(d["filename"] == PDF.name for d in listed):
        page.set_input_files("[data-testid=file-input]", [str(PDF)])
        deadline = time.monotonic() + 180
        while doc_status(ui, PDF.name) != "ready" and time.monotonic() < deadline:
            time.sleep(0.3)
        listed = httpx.get(f"{server.url}/api/v1/collections/default/documents", timeout=10).json()
    doc = next(d for d in listed if d["filename"] == PDF.name)
    assert doc["status"] == "ready", doc
    text = httpx.get(f"{server.url}/api/v1/documents/{doc['id']}/pages/1", timeout=10).json()["text"]
    body, evidence, _ = _pdf_citation_stream(doc["id"], 1, text)
    api_boxes = httpx.get(
        f"{server.url}/api/v1/documents/{doc['id']}/pages/1/boxes",
        params={"start": evidence[0], "end": evidence[1]},
        timeout=10,
    ).json()
    assert api_boxes["rects"], api_boxes
    evidence_text = text[evidence[0] : evidence[1]]

    def scripted(route: Any) -> None:
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body)

    page.route("**/api/v1/ask", scripted)
    try:
        ui.ask("この通知は何についてですか？")
        assert ui.wait_phase("done error", timeout_s=20) == "done", ui.last_turn().inner_text()
        ui.last_turn().locator(".answer-md button.cite").first.click()
        view = page.locator("[data-testid=passage-view]")
        view.wait_for()
        assert view.locator("[role=tab][aria-selected=true]").inner_text() == "Page"
        ui.settle("[data-testid=page-image]")
        _assert_highlight_matches_api(page, api_boxes, evidence_text)
        ui.shot("desktop-citation-page")

        # Zoomed in, the boxes still sit on the same words; the text stays one tab away.
        view.get_by_role("button", name="Zoom in").click()
        ui.settle("[data-testid=page-image]")
        _assert_highlight_matches_api(page, api_boxes, evidence_text)
        view.get_by_role("tab", name="Text").click()
        assert evidence_text.strip() in view.locator("[data-testid=page-text] mark.hl-evidence").inner_text()
        view.get_by_role("tab", name="Page").click()
        view.locator("[data-testid=page-image]").wait_for()

        # A search result (the answer's sources) opens the same view: the page with the passage marked.
        ui.last_turn().get_by_role("button", name="1 source").click()
        page.locator("[data-testid=source-list] .source-card").first.click()
        view.locator("[data-testid=page-image]").wait_for()
        view.locator(".box--passage").first.wait_for()
        assert view.locator("[data-testid=box-evidence]").count() == 0  # no citation: no evidence
    finally:
        page.unroute("**/api/v1/ask")

    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, is_mobile=True)
    phone = Page(context.new_page())
    try:
        phone.page.route("**/api/v1/ask", scripted)
        phone.page.goto(server.url + "/")
        phone.page.wait_for_selector("select#collection option", state="attached")
        phone.ask("この通知は何についてですか？")
        assert phone.wait_phase("done error", timeout_s=20) == "done"
        phone.last_turn().locator(".answer-md button.cite").first.click()
        pview = phone.page.locator("[data-testid=passage-view]")
        pview.wait_for()
        assert pview.locator("[role=tab][aria-selected=true]").inner_text() == "ページ"
        phone.settle("[data-testid=page-image-view] [role=region]")
        _assert_highlight_matches_api(phone.page, api_boxes, evidence_text)
        sheet = phone.page.locator("[data-testid=page-image-view] [role=region]").bounding_box()
        assert sheet is not None and sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= PHONE["width"] + 1
        phone.shot("phone-citation-page")
        assert phone.errors == [], phone.errors
    finally:
        context.close()
    assert ui.errors == [], ui.errors
