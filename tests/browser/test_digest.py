"""A digest page in the browser: its items are listed, and script smuggled in through a feed never runs.

The wiki here is a tiny one, built with `--strict` from an archive that the real fetcher filled from
`tests/fixtures/browser/hostile-feed.xml`, served on 127.0.0.1. The feed's payloads open dialogs or set
`window.__feedPayloadRan`, and the `Reader` fails a test on any dialog, console error or foreign request.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..conftest import FIXTURES, REPO_ROOT
from .conftest import PHONE, build_and_serve, open_reader, run_axe, save_screenshot, serve_directory

pytestmark = pytest.mark.browser

HOSTILE_FEED = FIXTURES / "browser" / "hostile-feed.xml"
FEED_ITEMS = 6
# The feed's items are dated 1 to 3 December 2026, ISO week 49.
FETCH_TIME = datetime(2026, 12, 4, 12, tzinfo=UTC)
WEEK_PAGE = "digest/2026-W49/"
SCHEMES = {"light": "default", "dark": "slate"}

TINY_WIKI = """\
site_name: Digest test wiki
site_url: https://wiki.example/
theme:
  name: material
  font: false
  features: [navigation.instant, search.suggest]
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
      primary: indigo
      accent: indigo
      toggle: {icon: material/weather-night, name: Switch to dark mode}
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      primary: indigo
      accent: indigo
      toggle: {icon: material/weather-sunny, name: Switch to light mode}
nav:
  - Home: index.md
  - Newsletters:
      - newsletters.md
plugins:
  - search
  - wiki/bibliography:
      bib_file: papers.bib
  - wiki/digest:
      archive_dir: archive
      feeds:
        - name: Hostile Weekly
          url: http://127.0.0.1:9/hostile-feed.xml
extra_css: [stylesheets/accessibility.css]
extra_javascript: [javascripts/accessibility.js]
"""

TINY_BIB = """\
@article{dettmers2023qlora,
  title = {QLoRA: Efficient Finetuning of Quantized LLMs},
  author = {Dettmers, Tim},
  year = {2023},
  keywords = {fine-tuning},
  eprint = {2305.14314},
  archivePrefix = {arXiv},
}
"""


def write_tiny_wiki(root: Path) -> Path:
    """Write the tiny wiki's pages, bibliography and configuration, with the repository's accessibility fixes."""
    docs = root / "docs"
    (docs / "stylesheets").mkdir(parents=True)
    (docs / "javascripts").mkdir()
    (docs / "index.md").write_text("# Digest test wiki\n\nA home page.\n", encoding="utf-8")
    (docs / "newsletters.md").write_text("# Newsletters\n\nThe digests follow.\n", encoding="utf-8")
    shutil.copy(REPO_ROOT / "docs" / "stylesheets" / "accessibility.css", docs / "stylesheets")
    shutil.copy(REPO_ROOT / "docs" / "javascripts" / "accessibility.js", docs / "javascripts")
    (root / "papers.bib").write_text(TINY_BIB, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(TINY_WIKI, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def digest_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the tiny wiki, its digest fetched from the hostile feed and built with `--strict`."""
    update = pytest.importorskip("wiki_tools.digest.update", reason="the digest feature has not landed yet")
    fetch = pytest.importorskip("wiki_tools.digest.fetch")

    root = tmp_path_factory.mktemp("digest-wiki")
    config = write_tiny_wiki(root)
    with serve_directory(HOSTILE_FEED.parent) as feed_url:
        source = update.FeedSource("Hostile Weekly", f"{feed_url}{HOSTILE_FEED.name}")
        report = update.fetch_all(
            [source], root / "archive", fetch.FetchSettings(retries=0, timeout_seconds=10), now=FETCH_TIME
        )
    assert not any(outcome.failed for outcome in report.outcomes), report

    with build_and_serve(config) as url:
        yield url


def test_digest_week_lists_items(browser, digest_site_url: str) -> None:
    with open_reader(browser, digest_site_url) as reader:
        page = reader.visit(WEEK_PAGE)
        items = page.locator("article .wiki-digest__item")

        assert items.count() == FEED_ITEMS
        assert items.first.is_visible()
        text = page.locator("article").inner_text()
        assert "Quantised LoRA fine-tuning on one GPU" in text
        # Markup in a title is text to show, not HTML to parse.
        assert "Markup in the title" in text
        assert page.locator("article img").count() == 0

        page.get_by_role("link", name="Quantised LoRA fine-tuning on one GPU").first.wait_for()


def test_digest_feed_script_never_runs(browser, digest_site_url: str) -> None:
    with open_reader(browser, digest_site_url) as reader:
        page = reader.visit(WEEK_PAGE)

        # Hover over every element of the items, so that handlers waiting for the mouse get their chance to run.
        for element in page.locator("article .wiki-digest__item *").all()[:200]:
            element.hover(force=True, timeout=2_000)
        page.wait_for_timeout(300)

        assert page.evaluate("() => window.__feedPayloadRan") is None
        assert page.locator("article script, article iframe, article object, article style, article form").count() == 0
        handlers = page.evaluate(
            """() => [...document.querySelectorAll('article *')]
                .flatMap(element => [...element.attributes].map(attribute => attribute.name))
                .filter(name => name.startsWith('on'))"""
        )
        assert handlers == []
        hrefs = page.locator("article a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))")
        assert not [href for href in hrefs if href.strip().lower().startswith(("javascript:", "data:"))]
        # The sanitiser keeps the text of a link whose address it dropped. It must read as text, not as a link.
        dead_link = page.locator("article a:not([href])", has_text="a javascript: link")
        assert dead_link.count() == 1
        colours = dead_link.evaluate("a => [getComputedStyle(a).color, getComputedStyle(a.parentElement).color]")
        assert colours[0] == colours[1]
        assert page.locator("body").is_visible(), "a feed's style hid the page"
        assert reader.dialogs == []


def test_digest_index_links_week(browser, digest_site_url: str) -> None:
    with open_reader(browser, digest_site_url) as reader:
        page = reader.visit("digest/")

        page.locator("article").get_by_role("link", name="2026-W49").click()

        page.wait_for_url(f"**/{WEEK_PAGE}")
        assert page.locator("article .wiki-digest__item").count() == FEED_ITEMS


@pytest.mark.parametrize("scheme", SCHEMES)
def test_digest_axe_and_screenshot(browser, digest_site_url: str, scheme: str) -> None:
    with open_reader(browser, digest_site_url, color_scheme=scheme) as reader:
        page = reader.visit(WEEK_PAGE)
        assert page.locator("body").get_attribute("data-md-color-scheme") == SCHEMES[scheme]
        save_screenshot(page, f"digest-week-{scheme}")
        violations = [violation for violation in run_axe(page) if violation["impact"] in ("serious", "critical")]

    assert violations == [], [(violation["id"], violation["help"]) for violation in violations]


def test_digest_phone_layout_fits(browser, digest_site_url: str) -> None:
    with open_reader(browser, digest_site_url, viewport=PHONE) as reader:
        for path in ("digest/", WEEK_PAGE):
            page = reader.visit(path)
            widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], f"/{path} is {widths[0]} px wide on a {widths[1]} px screen"
