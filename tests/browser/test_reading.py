"""What a reader does on the guide pages: navigate, search, switch to dark mode and read math."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from .conftest import Reader

pytestmark = pytest.mark.browser

LORA_PAGE = "tuning/lora/"
HIT_LIST_PAGE = "papers/"


def search(reader: Reader, query: str) -> list[str]:
    """Type `query` into Material's search box on the home page and return the paths of the results, best first."""
    page = reader.visit("")
    page.get_by_role("textbox", name="Search").click()
    page.keyboard.type(query)

    # Results appear once the search worker has loaded the index, so wait for the first one.
    results = page.locator(".md-search-result__item > .md-search-result__link")
    results.first.wait_for(state="attached")
    # Material appends the query (`?h=...`) and the section anchor, which don't matter here.
    return [urlparse(href).path for href in results.evaluate_all("links => links.map(link => link.href)")]


def color_scheme(reader: Reader) -> str:
    """Material's active colour scheme: `default` (light) or `slate` (dark)."""
    return reader.page.locator("body").get_attribute("data-md-color-scheme")


def test_home_page_navigation(reader: Reader) -> None:
    page = reader.visit("")

    assert page.title().endswith("LLM Research Wiki")
    navigation = page.get_by_role("navigation", name="Navigation")
    assert navigation.is_visible()
    for label in ("Getting up to speed", "Paper hit list", "LoRA"):
        assert navigation.get_by_role("link", name=label, exact=True).count() == 1, f"no nav link {label!r}"

    navigation.get_by_role("link", name="LoRA", exact=True).click()
    page.wait_for_url(re.compile(re.escape(LORA_PAGE) + "$"))
    assert page.locator("article h1").inner_text().startswith("LoRA")


def test_search_low_rank_finds_lora(reader: Reader) -> None:
    results = search(reader, "low-rank")

    assert any(path.endswith(LORA_PAGE) for path in results[:3]), results


def test_search_vaswani_finds_hit_list(reader: Reader) -> None:
    results = search(reader, "Vaswani")

    assert any(path.endswith(HIT_LIST_PAGE) for path in results), results


def test_dark_mode_toggle_remembered(reader: Reader) -> None:
    page = reader.visit("")
    assert color_scheme(reader) == "default"

    page.get_by_title("Switch to dark mode").click()
    assert color_scheme(reader) == "slate"

    # A full load of another page, not an instant-navigation swap, must read the choice back from storage.
    reader.visit(LORA_PAGE)
    assert color_scheme(reader) == "slate"
    page.get_by_title("Switch to light mode").click()
    assert color_scheme(reader) == "default"
    reader.visit("")
    assert color_scheme(reader) == "default"


def test_lora_math_typeset(reader: Reader) -> None:
    page = reader.visit(LORA_PAGE)
    article = page.locator("article")

    assert article.locator(".katex").count() >= 5
    assert article.locator(".katex-display").count() >= 1
    assert article.locator(".katex-error").count() == 0
    text = article.inner_text()
    for delimiter in ("\\(", "\\)", "\\[", "\\]", "$$"):
        assert delimiter not in text, f"raw TeX delimiter {delimiter!r} left on the page"


def test_lora_contents_math_typeset(reader: Reader) -> None:
    page = reader.visit(LORA_PAGE)
    entry = page.locator(".md-sidebar--secondary .md-nav__link", has_text="The scaling factor").first

    assert entry.locator(".katex").count() == 1
    assert "\\(" not in entry.inner_text()
