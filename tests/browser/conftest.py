"""Fixtures for the browser tests: the built wiki on a local HTTP server and Debian's Chromium driven by Playwright.

Every page a test opens goes through a `Reader`, which records each request, console error, uncaught
exception and dialog. When the test ends, the reader fails it if any request went to a host other than
127.0.0.1 or if a page logged an error, so every browser test also checks that the site works offline.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from ..conftest import REPO_ROOT, run_mkdocs_build

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is in the 'test' extra")

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium contacts Google's hosts for updates, sync and field trials.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
LOCAL_HOST = "127.0.0.1"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Playwright waits this long for a page or an element before it fails the test.
TIMEOUT_MS = 15_000


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files without one log line per request in the test output."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on a free port of 127.0.0.1 and yield the base URL, ending with a slash."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"serve {root.name}", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def build_and_serve(config: Path) -> Iterator[str]:
    """Build the site of `config` with `--strict` into `site/` next to it, serve it on 127.0.0.1 and yield its URL."""
    site = config.parent / "site"
    result = run_mkdocs_build(config, site)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    with serve_directory(site) as url:
        yield url


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """Base URL of the repository's wiki, built once with `--strict` and served on 127.0.0.1."""
    with serve_directory(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[sync_api.Browser]:
    """Debian's Chromium, headless, shared by every browser test of the session.

    Playwright's `launch` gives each browser a fresh temporary profile (user-data dir), and each test
    opens its own context, so no cookie, storage entry or permission leaks from one test to the next.
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}. Install Debian's package: apt-get install -y chromium")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Reader:
    """One browser context, as one reader sees the site, with a log of everything that should not happen."""

    def __init__(self, context: sync_api.BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.visited: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda request: self.requests.append(request.url))
        # Abort, rather than wait on, a request that leaves the machine. The teardown check still fails the test.
        context.route(lambda url: not _is_local(url), lambda route: route.abort())
        self.page = self.new_page()

    def new_page(self) -> sync_api.Page:
        """Open a tab in this context whose console errors, uncaught exceptions and dialogs are recorded."""
        page = self.context.new_page()
        page.on("console", lambda message: self._record_console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))
        page.on("dialog", lambda dialog: self._record_dialog(page, dialog))
        return page

    def url(self, path: str) -> str:
        """Absolute URL of a site path such as `tuning/lora/`."""
        return urljoin(self.base_url, path)

    def visit(self, path: str) -> sync_api.Page:
        """Load a page of the site in the reader's tab and wait until its scripts have run."""
        self.page.goto(self.url(path), wait_until="load")
        # Material wires up its components on `document$` after `load`, and its search worker then fetches
        # the index, so wait until the network has been quiet for a moment.
        self.page.wait_for_load_state("networkidle")
        self.visited.append(path)
        return self.page

    def foreign_requests(self) -> list[str]:
        """Every requested URL whose host is not 127.0.0.1, except data:, blob: and about: URLs."""
        return [url for url in self.requests if not _is_local(url)]

    def _record_console(self, page: sync_api.Page, message: sync_api.ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{page.url}: console error {message.text!r} at {message.location}")

    def _record_dialog(self, page: sync_api.Page, dialog: sync_api.Dialog) -> None:
        self.dialogs.append(f"{page.url}: {dialog.type} {dialog.message!r}")
        dialog.dismiss()


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname == LOCAL_HOST


@contextmanager
def open_reader(
    browser: sync_api.Browser, base_url: str, *, color_scheme: str = "light", viewport: dict | None = None
) -> Iterator[Reader]:
    """Open a fresh context on the served site and check, when the block ends, that nothing went wrong in it.

    Inside a `with` block the checks run only when the block finishes without an exception. A fixture
    built on this one runs them at teardown even after a failed test, so pytest may report both.
    """
    context = browser.new_context(
        base_url=base_url, color_scheme=color_scheme, viewport=viewport or DESKTOP, locale="en-GB"
    )
    try:
        reader = Reader(context, base_url)
        yield reader
        assert reader.foreign_requests() == [], f"requests left 127.0.0.1 on {reader.visited}"
        assert reader.errors == [], f"errors logged on {reader.visited}"
        assert reader.dialogs == [], f"dialogs opened on {reader.visited}"
    finally:
        context.close()


@pytest.fixture
def reader(browser: sync_api.Browser, site_url: str) -> Iterator[Reader]:
    """A reader on a desktop screen in light mode, on the repository's wiki."""
    with open_reader(browser, site_url) as reader:
        yield reader


def run_axe(page: sync_api.Page) -> list[dict]:
    """Run axe-core on the loaded page and return its violations, each with `id`, `impact`, `help` and `nodes`."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core not found at {AXE_SCRIPT}. Run 'npm ci' to install the version in package-lock.json.")

    # `path=` inlines the file's text into the page, so injecting axe makes no request.
    page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return results["violations"]


def save_screenshot(page: sync_api.Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
