"""End-to-end checks on the real wiki, built from this repository with `mkdocs build --strict`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup

from wiki_tools.papers.library import load_bibliography

from .conftest import FIXTURES, REPO_ROOT, run_mkdocs_build

GUIDE_PAGES = [
    "index.html",
    "getting-started/index.html",
    "papers/index.html",
    "agents/index.html",
    "tuning/index.html",
    "tuning/prompting/index.html",
    "tuning/fine-tuning/index.html",
    "tuning/lora/index.html",
    "tuning/rag/index.html",
    "newsletters/index.html",
]


def read_html(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("page", GUIDE_PAGES)
def test_guide_page_is_built(built_site: Path, page: str) -> None:
    path = built_site / page
    assert path.is_file()
    text = read_html(built_site, page).select_one("article").get_text(" ", strip=True)
    assert len(text.split()) > 150, f"{page} has only {len(text.split())} words"


def test_hit_list_lists_every_entry(built_site: Path) -> None:
    bibliography = load_bibliography(REPO_ROOT / "papers.bib")
    assert len(bibliography) >= 25
    assert bibliography.problems == []

    soup = read_html(built_site, "papers/index.html")
    for paper in bibliography:
        item = soup.find("li", attrs={"data-key": paper.key})
        assert item is not None, f"{paper.key} is missing from the hit list"
        assert paper.title in item.get_text(" ")
        links = {anchor["href"] for anchor in item.find_all("a")}
        if paper.arxiv_id:
            assert f"https://arxiv.org/abs/{paper.arxiv_id}" in links
            assert f"https://arxiv.org/pdf/{paper.arxiv_id}" in links


def test_hit_list_is_in_navigation(built_site: Path) -> None:
    soup = read_html(built_site, "index.html")
    nav_links = [anchor.get("href", "") for anchor in soup.select("nav.md-nav--primary a")]
    assert any(href.rstrip("/").endswith("papers") for href in nav_links)
    assert not (REPO_ROOT / "docs" / "papers" / "vaswani2017attention.md").exists()


def test_bib_entries_have_required_fields() -> None:
    bibliography = load_bibliography(REPO_ROOT / "papers.bib")
    for paper in bibliography:
        for name in ("title", "author", "year", "url", "keywords"):
            assert name in paper.fields or name in paper.people, f"{paper.key} lacks {name}"
        if paper.entry_type != "techreport":
            assert paper.arxiv_id, f"{paper.key} lacks an arXiv eprint"
            assert paper.fields.get("archiveprefix") == "arXiv"
            assert paper.fields.get("primaryclass")


def test_latex_shown_as_unicode(built_site: Path) -> None:
    entries = read_html(built_site, "papers/index.html").select("li.wiki-ref")
    assert entries
    for entry in entries:
        text = entry.get_text(" ")
        assert "{" not in text, text
        assert "\\" not in text, text


def test_no_third_party_requests(built_site: Path) -> None:
    offenders = []
    for page in built_site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for element in soup.find_all(tag):
                url = element.get(attribute)
                # A canonical or alternate link names an address; the browser does not fetch it.
                if tag == "link" and set(element.get("rel", [])) & {"canonical", "alternate"}:
                    continue
                if url and urlparse(url).netloc:
                    offenders.append(f"{page.relative_to(built_site)}: <{tag} {attribute}={url!r}>")
    assert offenders == []


def test_math_assets_served_locally(built_site: Path) -> None:
    assert (built_site / "assets/katex/katex.min.js").is_file()
    assert list((built_site / "assets/katex/fonts").glob("*.woff2"))
    css = (built_site / "assets/katex/katex.min.css").read_text(encoding="utf-8")
    for font in re.findall(r"url\((fonts/[^)]+\.woff2)\)", css):
        assert (built_site / "assets/katex" / font).is_file(), font

    lora = read_html(built_site, "tuning/lora/index.html")
    assert lora.select(".arithmatex"), "the LoRA page has no math"


def test_malformed_bib_fails_strict_build(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "docs", tmp_path / "docs")
    # Without the execution cache, the build would execute all four demos first (minutes).
    shutil.copytree(REPO_ROOT / "data" / "demos", tmp_path / "data" / "demos")
    shutil.copy(REPO_ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copy(FIXTURES / "bib" / "malformed.bib", tmp_path / "papers.bib")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  - wiki/katex\n", f"  - wiki/katex:\n      dist_dir: {REPO_ROOT / 'node_modules/katex/dist'}\n"
        ),
        encoding="utf-8",
    )

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode != 0
    assert "papers.bib:9 in entry 'unclosed'" in result.stderr
    assert "papers.bib:19 in entry 'vaswani2017attention': duplicate key" in result.stderr
    assert "first defined on line 1" in result.stderr
