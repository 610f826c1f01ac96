"""Citations and paper pages as a reader uses them: the hover card and the BibTeX copy button."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wiki_tools.papers.library import load_bibliography

from ..conftest import REPO_ROOT
from .conftest import Reader, build_and_serve, open_reader

pytestmark = pytest.mark.browser

LORA_PAGE = "tuning/lora/"
LORA_KEY = "hu2021lora"


@pytest.fixture(scope="module")
def lora_paper_title() -> str:
    """The title of the LoRA paper as the site shows it, from papers.bib."""
    bibliography = load_bibliography(REPO_ROOT / "papers.bib")
    return next(paper.title for paper in bibliography if paper.key == LORA_KEY)


def test_citation_hover_shows_title(reader: Reader, lora_paper_title: str) -> None:
    page = reader.visit(LORA_PAGE)
    citation = page.locator(f'article .wiki-cite[data-key="{LORA_KEY}"]').first
    card = citation.get_by_role("tooltip")
    assert card.is_hidden(), "the card shows before the reader points at the citation"

    citation.get_by_role("link").hover()

    card.wait_for(state="visible")
    assert lora_paper_title in card.inner_text()


def test_escape_closes_citation_card(reader: Reader) -> None:
    page = reader.visit(LORA_PAGE)
    citation = page.locator(f'article .wiki-cite[data-key="{LORA_KEY}"]').first
    card = citation.get_by_role("tooltip")
    citation.get_by_role("link").focus()
    card.wait_for(state="visible")

    page.keyboard.press("Escape")

    card.wait_for(state="hidden")
    assert card.is_hidden()


def test_citation_cards_stay_on_screen(reader: Reader) -> None:
    page = reader.visit(LORA_PAGE)
    width = page.viewport_size["width"]

    for citation in page.locator("article .wiki-cite").all():
        citation.get_by_role("link").hover()
        card = citation.get_by_role("tooltip")
        card.wait_for(state="visible")
        box = card.bounding_box()
        assert box["x"] >= 0, f"card of {citation.get_attribute('data-key')} starts left of the screen"
        assert box["x"] + box["width"] <= width, f"card of {citation.get_attribute('data-key')} ends past the screen"


def test_citation_link_opens_paper_page(reader: Reader, lora_paper_title: str) -> None:
    page = reader.visit(LORA_PAGE)

    page.locator(f'article .wiki-cite[data-key="{LORA_KEY}"] a').first.click()

    page.wait_for_url(f"**/papers/{LORA_KEY}/")
    # Material appends a ¶ permalink to the heading.
    assert page.locator("article h1").inner_text().removesuffix("¶").strip() == lora_paper_title


def test_bibtex_copy_button_copies(reader: Reader, site_url: str, built_site: Path) -> None:
    reader.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    page = reader.visit(f"papers/{LORA_KEY}/")
    record = page.locator("#bibtex + .highlight code")
    expected = record.inner_text().strip()

    page.locator("#bibtex + .highlight").hover()
    page.locator("#bibtex + .highlight").get_by_role("button", name="Copy to clipboard").click()

    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.strip() == expected
    assert copied.startswith(f"@inproceedings{{{LORA_KEY},")
    assert "Low-Rank Adaptation" in copied


TEX_ABSTRACT_BIB = r"""@article{tiny2024squares,
  title = {Sums of Squares},
  author = {Tiny, Tom},
  year = {2024},
  abstract = {We bound $x^2 + y^2$ from below, and keep a budget of \textbackslash{}(5) in plain text.},
}
"""


@pytest.fixture(scope="module")
def tex_abstract_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a one-paper wiki whose abstract contains TeX math, built with `--strict` on 127.0.0.1."""
    root = tmp_path_factory.mktemp("tex-abstract")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Home\n\nSee [@tiny2024squares].\n", encoding="utf-8")
    (root / "papers.bib").write_text(TEX_ABSTRACT_BIB, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: Abstract test\ntheme:\n  name: material\n  font: false\nplugins:\n  - search\n"
        f"  - wiki/katex:\n      dist_dir: {REPO_ROOT / 'node_modules/katex/dist'}\n  - wiki/bibliography\n",
        encoding="utf-8",
    )
    with build_and_serve(config) as url:
        yield url


def test_abstract_math_typeset(browser, tex_abstract_site_url: str) -> None:
    with open_reader(browser, tex_abstract_site_url) as reader:
        abstract = reader.visit("papers/tiny2024squares/").locator(".wiki-paper-abstract")

        assert abstract.locator(".katex").count() == 1
        assert "$" not in abstract.inner_text()
        assert "We bound" in abstract.inner_text()
