"""The wiki/bibliography plugin in real `mkdocs build` runs on small sites written by the tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner

from wiki_tools.cli import cli
from wiki_tools.papers.catalog import load_catalog

from .conftest import run_mkdocs_build

BIB = textwrap.dedent(
    r"""
    % A comment line before the first entry.
    @article{muller2020study,
      title = {A Study of {BERT} -- and More},
      author = {M{\"u}ller, Hans and Smith, John and Doe, Jane},
      journal = {Journal of Tests},
      year = {2020},
      eprint = {2001.00001},
      archivePrefix = {arXiv},
      primaryClass = {cs.CL},
      keywords = {transformers},
      readstatus = {to-read},
      priority = {1},
      abstract = {We study things carefully.},
    }

    @inproceedings{smith2019other,
      title = {Another Paper},
      author = {Smith, John},
      booktitle = {Proceedings of Tests},
      year = {2019},
      keywords = {transformers},
      readstatus = {read},
      url = {https://example.org/paper.pdf},
    }

    @misc{lone2018paper,
      title = {A Lone Paper},
      author = {Lone, Ann and Wolf, Bea},
      year = {2018},
      keywords = {retrieval},
      code = {https://example.org/code},
    }
    """
)


def write_site(root: Path, pages: dict[str, str], bib: str = BIB, plugin_options: str = "") -> Path:
    """Write a small wiki into `root` and return its mkdocs.yml."""
    docs = root / "docs"
    for name, text in pages.items():
        path = docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "papers.bib").write_text(bib, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: Test wiki\nsite_url: https://wiki.example.org/\n"
        "theme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - wiki/bibliography" + (":\n" + plugin_options if plugin_options else "") + "\n",
        encoding="utf-8",
    )
    return config


def soup_of(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")


PAGES = {
    "index.md": "# Home\n\nFirst [@muller2020study] and again [@muller2020study, p. 5].\n",
    "one.md": "# One\n\nBoth [@smith2019other; @muller2020study].\n\n```\n[@notacitation]\n```\n",
    "two.md": "# Two\n\nYear only: Smith [-@smith2019other]. Mail [me@example.com]. Code `[@inline]`.\n",
}


def test_citation_renders_label_and_link(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr

    index = soup_of(tmp_path / "site", "index.html")
    labels = [link.get_text() for link in index.select("a.wiki-cite__link")]
    assert labels == ["Müller et al., 2020", "Müller et al., 2020, p. 5"]
    assert index.select_one("a.wiki-cite__link")["href"] == "papers/muller2020study/"

    card = index.select_one(".wiki-cite__card")
    assert "A Study of BERT – and More" in card.get_text()
    assert "Hans Müller, John Smith and Jane Doe, 2020" in card.get_text()
    assert "We study things carefully." in card.get_text()


def test_several_keys_and_suppressed_author(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    one = soup_of(tmp_path / "site", "one/index.html")
    assert one.select_one(".wiki-cite-group").get_text().startswith("(Smith, 2019")
    assert "[@notacitation]" in one.get_text()

    two = soup_of(tmp_path / "site", "two/index.html")
    assert [link.get_text() for link in two.select("a.wiki-cite__link")] == ["2019"]
    assert "[me@example.com]" in two.get_text()
    assert "[@inline]" in two.get_text()


def test_references_section_in_citation_order(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    one = soup_of(tmp_path / "site", "one/index.html")
    assert one.select_one("h2#references") is not None
    keys = [item["data-key"] for item in one.select("ol.wiki-references li")]
    assert keys == ["smith2019other", "muller2020study"]
    assert one.select_one("ol.wiki-references a")["href"] == "../papers/smith2019other/"


def test_paper_page_backlinks_and_related(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "papers/muller2020study/index.html")
    assert page.select_one("h1").get_text(strip=True).startswith("A Study of BERT – and More")
    assert page.title.get_text().startswith("A Study of BERT – and More")

    backlinks = {link.get_text(): link["href"] for link in page.select("ul.wiki-backlinks a")}
    assert backlinks == {"Home": "../../", "One": "../../one/"}
    assert "(2 citations)" in page.select_one("ul.wiki-backlinks").get_text()

    related = page.find("h2", id="related").find_next("ul")
    assert "Another Paper" in related.get_text()
    assert "A Lone Paper" not in related.get_text()

    links = {link.get_text(): link["href"] for link in page.select(".wiki-ref__link")}
    assert links["arXiv:2001.00001"] == "https://arxiv.org/abs/2001.00001"
    assert links["PDF"] == "https://arxiv.org/pdf/2001.00001"

    bibtex = page.find("h2", id="bibtex").find_next("code").get_text()
    assert bibtex.startswith("@article{muller2020study,")
    assert "M{\\\"u}ller" in bibtex


def test_uncited_paper_page_and_code_link(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "papers/lone2018paper/index.html")
    assert "No page of the wiki cites this paper yet." in page.get_text()
    assert page.find("a", string="Code")["href"] == "https://example.org/code"
    assert not (tmp_path / "site" / "papers" / "wiki-paper-template").exists()
    sitemap = (tmp_path / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "papers/lone2018paper/" in sitemap
    assert "wiki-paper-template" not in sitemap


def test_notes_file_merged_into_paper_page(tmp_path: Path) -> None:
    pages = {**PAGES, "papers/smith2019other.md": "# My notes\n\nThis builds on [@lone2018paper].\n\n## Takeaways\n\nShort.\n"}
    config = write_site(tmp_path, pages)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "papers/smith2019other/index.html")
    assert page.select_one("h1").get_text(strip=True).startswith("Another Paper")
    assert page.find("h2", id="notes") is not None
    assert "This builds on" in page.get_text()
    assert page.find("h2", id="cited-on") is not None
    assert page.find("h2", id="bibtex") is not None

    lone = soup_of(tmp_path / "site", "papers/lone2018paper/index.html")
    assert [link.get_text() for link in lone.select("ul.wiki-backlinks a")] == ["Another Paper"]


def test_notes_file_without_entry_fails_strict(tmp_path: Path) -> None:
    pages = {**PAGES, "papers/nobody2000missing.md": "# Notes\n\nText.\n"}
    config = write_site(tmp_path, pages)
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "Notes file 'docs/papers/nobody2000missing.md' has no entry 'nobody2000missing'" in result.stderr


def test_unknown_key_warns_with_suggestion(tmp_path: Path) -> None:
    pages = {**PAGES, "three.md": "# Three\n\nLine two.\nTypo [@muller2020stdy].\n"}
    config = write_site(tmp_path, pages)

    strict = run_mkdocs_build(config, tmp_path / "site")
    assert strict.returncode != 0
    assert "docs/three.md:4: unknown citation key 'muller2020stdy'. Did you mean 'muller2020study'?" in strict.stderr

    relaxed = run_mkdocs_build(config, tmp_path / "site2", strict=False)
    assert relaxed.returncode == 0
    assert "[@muller2020stdy]" in soup_of(tmp_path / "site2", "three/index.html").get_text()


def test_unknown_key_level_is_configurable(tmp_path: Path) -> None:
    pages = {**PAGES, "three.md": "# Three\n\nTypo [@muller2020stdy].\n"}
    config = write_site(tmp_path, pages, plugin_options="      unknown_key: info\n")
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0


def test_hit_list_progress_and_to_read(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    hit_list = soup_of(tmp_path / "site", "papers/index.html")
    assert [heading.get_text() for heading in hit_list.select("section.wiki-hit-list__group h2")] == [
        "Retrieval",
        "Transformers",
    ]
    progress = hit_list.find("h2", id="reading-progress").find_next("table").get_text(" ")
    assert "Transformers 1 of 2" in progress
    to_read = hit_list.select("ol.wiki-to-read li")
    assert len(to_read) == 1
    assert to_read[0].a["href"] == "muller2020study/"
    item = hit_list.find("li", attrs={"data-key": "smith2019other"})
    assert item["data-year"] == "2019"
    assert item.find("a", string="Another Paper")["href"] == "smith2019other/"


def test_duplicate_key_reports_both_lines(tmp_path: Path) -> None:
    bib = BIB + "\n@misc{smith2019other,\n  title = {Again},\n  year = {2021},\n}\n"
    config = write_site(tmp_path, PAGES, bib=bib)
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    first = BIB.splitlines().index("@inproceedings{smith2019other,") + 1
    second = bib.splitlines().index("@misc{smith2019other,") + 1
    assert f"papers.bib:{second} in entry 'smith2019other': duplicate key 'smith2019other', first defined on line {first}" in result.stderr


def test_second_load_parses_nothing(tmp_path: Path) -> None:
    bib = tmp_path / "papers.bib"
    bib.write_text(BIB, encoding="utf-8")
    cache = tmp_path / "cache"

    first = load_catalog(bib, cache)
    second = load_catalog(bib, cache)
    assert first.parsed_count == 3
    assert second.parsed_count == 0
    assert [entry.title for entry in second] == [entry.title for entry in first]

    bib.write_text(BIB.replace("Another Paper", "Another Paper, Revised"), encoding="utf-8")
    third = load_catalog(bib, cache)
    assert third.parsed_count == 1
    assert third.get("smith2019other").title == "Another Paper, Revised"


def test_build_fills_disk_cache(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0
    cache = json.loads((tmp_path / ".cache/wiki-bibliography/entries.json").read_text(encoding="utf-8"))
    assert len(cache["entries"]) == 3


def test_check_command_reports_errors(tmp_path: Path) -> None:
    bib = BIB + "\n@misc{smith2019other,\n  title = {Again},\n}\n\n@article{broken,\n  title = {Unclosed,\n  year = {2020}\n"
    pages = {**PAGES, "three.md": "# Three\n\n[@muller2020stdy]\n", "papers/ghost.md": "# Ghost\n"}
    config = write_site(tmp_path, pages, bib=bib)

    result = CliRunner().invoke(cli, ["-f", str(config), "check"])

    assert result.exit_code == 1
    output = result.output
    assert "docs/three.md:3: unknown citation key 'muller2020stdy'. Did you mean 'muller2020study'?" in output
    assert "duplicate key 'smith2019other'" in output
    assert "entry 'broken': invalid BibTeX" in output
    assert "docs/papers/ghost.md: notes file has no entry 'ghost'" in output
    assert "info: papers.bib:" in output
    assert "entry 'lone2018paper' is not cited on any page" in output


def test_check_command_passes_clean_wiki(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    result = CliRunner().invoke(cli, ["-f", str(config), "check", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
    assert "not cited" not in result.output


def test_check_command_missing_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-f", str(tmp_path / "nope.yml"), "check"])
    assert result.exit_code == 1
    assert "not found" in result.output


def test_paper_pages_in_search_index(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    index = json.loads((tmp_path / "site/search/search_index.json").read_text(encoding="utf-8"))
    paper = [doc for doc in index["docs"] if doc["location"] == "papers/muller2020study/"]
    assert len(paper) == 1
    assert paper[0]["title"] == "A Study of BERT – and More"
    assert "Hans Müller" in paper[0]["text"]
    assert not [doc for doc in index["docs"] if "wiki-paper-template" in doc["location"]]


def write_metadata(root: Path, title: str) -> None:
    from wiki_tools.papers.metadata import ArxivRecord, save_metadata

    record = ArxivRecord(
        arxiv_id="2001.00001",
        title=title,
        authors=["Hans Müller", "John Smith", "Jane Doe"],
        abstract="An abstract from the arXiv cache, longer than the one in the bib file.",
        primary_category="cs.CL",
        categories=["cs.CL", "cs.LG"],
        published="2020-01-01T00:00:00Z",
        updated="2023-08-02T10:00:00Z",
        version=5,
        doi=None,
        journal_ref=None,
        comment=None,
        pdf_url="https://arxiv.org/pdf/2001.00001v5",
        withdrawn=False,
        fetched_at="2026-12-01T00:00:00Z",
    )
    save_metadata(root / "data/arxiv/metadata.json", {record.arxiv_id: record})


def test_metadata_cache_on_paper_page(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    write_metadata(tmp_path, "A Study of BERT -- and More")
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr

    page = soup_of(tmp_path / "site", "papers/muller2020study/index.html")
    meta = page.select_one("table.wiki-paper-meta").get_text(" ")
    assert "2001.00001 (v5, updated 2023-08-02)" in meta
    assert "cs.CL, cs.LG" in meta
    assert "An abstract from the arXiv cache" in page.find("h2", id="abstract").find_next("p").get_text()

    card = soup_of(tmp_path / "site", "index.html").select_one(".wiki-cite__card").get_text()
    assert "An abstract from the arXiv cache" in card


def test_metadata_title_mismatch_warns(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    write_metadata(tmp_path, "A Completely Different Paper on Graphs")
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "entry 'muller2020study' is titled" in result.stderr
    assert "The eprint is probably wrong" in result.stderr


def test_corrupt_metadata_cache_is_reported(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    cache = tmp_path / "data/arxiv/metadata.json"
    cache.parent.mkdir(parents=True)
    cache.write_text('{"papers": {', encoding="utf-8")
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "metadata.json" in result.stderr
    assert cache.read_text(encoding="utf-8") == '{"papers": {'


def test_malformed_citation_warns(tmp_path: Path) -> None:
    pages = {**PAGES, "three.md": "# Three\n\nBroken [@muller2020study;;@smith2019other] here.\n"}
    config = write_site(tmp_path, pages)
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "docs/three.md:3: malformed citation '[@muller2020study;;@smith2019other]'" in result.stderr


def test_citation_in_heading_has_no_card(tmp_path: Path) -> None:
    pages = {**PAGES, "three.md": "# Three\n\n## Background [@smith2019other]\n\nText.\n"}
    config = write_site(tmp_path, pages)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "three/index.html")
    heading = page.select_one("article h2")
    assert heading.select_one(".wiki-cite__card") is None
    assert heading.select_one("a.wiki-cite__link")["href"] == "../papers/smith2019other/"
    toc = " ".join(link.get_text() for link in page.select(".md-nav--secondary a"))
    assert "Another Paper" not in toc


def test_search_index_escapes_titles(tmp_path: Path) -> None:
    bib = BIB.replace("{Another Paper}", "{Another <img src=x onerror=alert(1)> Paper}")
    config = write_site(tmp_path, PAGES, bib=bib)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    index = json.loads((tmp_path / "site/search/search_index.json").read_text(encoding="utf-8"))
    paper = next(doc for doc in index["docs"] if doc["location"] == "papers/smith2019other/")
    assert "<img" not in paper["title"]
    assert "&lt;img" in paper["title"]


def test_colliding_slugs_get_distinct_pages(tmp_path: Path) -> None:
    bib = BIB + "\n@misc{möller2024,\n  title = {First},\n  author = {A, B},\n  year = {2024},\n}\n"
    bib += "\n@misc{müller2024,\n  title = {Second},\n  author = {C, D},\n  year = {2024},\n}\n"
    bib += "\n@misc{wiki-paper-template,\n  title = {Third},\n  author = {E, F},\n  year = {2024},\n}\n"
    pages = {**PAGES, "three.md": "# Three\n\n[@möller2024] and [@müller2024] and [@wiki-paper-template].\n"}
    config = write_site(tmp_path, pages, bib=bib)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    links = [link["href"] for link in soup_of(tmp_path / "site", "three/index.html").select("a.wiki-cite__link")]
    assert len(set(links)) == 3
    titles = [soup_of(tmp_path / "site", link.replace("../", "") + "index.html").select_one("h1").get_text(strip=True) for link in links]
    assert [title.removesuffix("¶") for title in titles] == ["First", "Second", "Third"]


def test_odd_priority_and_missing_fields(tmp_path: Path) -> None:
    bib = BIB.replace("priority = {1}", "priority = {²}") + "\n@misc{bare2020,\n  title = {Bare},\n}\n"
    config = write_site(tmp_path, PAGES, bib=bib)
    result = run_mkdocs_build(config, tmp_path / "site")
    assert "Traceback" not in result.stderr
    assert result.returncode != 0
    assert "entry 'bare2020' lacks required fields: author, year" in result.stderr


def test_check_command_reports_unreadable_bib(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    (tmp_path / "papers.bib").write_bytes("@misc{a, title = {Caf\u00e9}}\n".encode("latin-1"))
    result = CliRunner().invoke(cli, ["-f", str(config), "check"])
    assert result.exit_code == 1
    assert "not valid UTF-8" in result.output

    (tmp_path / "papers.bib").unlink()
    result = CliRunner().invoke(cli, ["-f", str(config), "check"])
    assert result.exit_code == 1
    assert "papers.bib: file not found" in result.output


def test_notes_file_for_key_with_colon(tmp_path: Path) -> None:
    bib = BIB + "\n@misc{c:d,\n  title = {Colon Key},\n  author = {A, B},\n  year = {2021},\n}\n"
    pages = {**PAGES, "papers/c-d.md": "Notes on the colon key.\n"}
    config = write_site(tmp_path, pages, bib=bib)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0
    assert "Notes on the colon key." in soup_of(tmp_path / "site", "papers/c-d/index.html").get_text()

    result = CliRunner().invoke(cli, ["-f", str(config), "check", "--quiet"])
    assert result.exit_code == 0, result.output


def test_related_lists_newest_first(tmp_path: Path) -> None:
    bib = BIB + "\n@misc{newer2024paper,\n  title = {Newer Paper},\n  author = {N, O},\n  year = {2024},\n  keywords = {transformers},\n}\n"
    config = write_site(tmp_path, PAGES, bib=bib)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "papers/smith2019other/index.html")
    related = [link.get_text() for link in page.find("h2", id="related").find_next("ul").find_all("a")]
    assert related == ["Newer Paper", "A Study of BERT – and More"]


def test_citation_in_alt_text_is_plain(tmp_path: Path) -> None:
    pages = {**PAGES, "three.md": "# Three\n\n![Chart from [@smith2019other]](chart.png)\n\n*In emphasis [@lone2018paper]*\n"}
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    config = write_site(tmp_path, pages)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "three/index.html")
    assert page.select_one("article img")["alt"] == "Chart from (Smith, 2019)"
    emphasis = page.select_one("article em")
    assert emphasis.select_one("a.wiki-cite__link")["href"] == "../papers/lone2018paper/"
    assert "WikiCite" not in page.get_text()


def test_citation_in_admonition_title_has_card(tmp_path: Path) -> None:
    pages = {**PAGES, "three.md": '# Three\n\n!!! note "Read [@smith2019other] first"\n    Text.\n'}
    config = write_site(tmp_path, pages).parent / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "markdown_extensions:\n  - admonition\n", encoding="utf-8")
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    title = soup_of(tmp_path / "site", "three/index.html").select_one(".admonition-title")
    assert title.select_one(".wiki-cite__card") is not None
    assert title.get_text().startswith("Read (Smith, 2019")


def test_token_lookalike_text_stays(tmp_path: Path) -> None:
    pages = {**PAGES, "three.md": "# Three\n\nWikiCite1Token and WikiCite9Token, then [@smith2019other].\n"}
    config = write_site(tmp_path, pages)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    article = soup_of(tmp_path / "site", "three/index.html").select_one("article")
    assert "WikiCite1Token and WikiCite9Token" in article.get_text()
    assert [link.get_text() for link in article.select("a.wiki-cite__link")] == ["Smith, 2019"]


def test_abstract_math_kept_for_katex(tmp_path: Path) -> None:
    bib = BIB.replace("We study things carefully.", r"We study $x^2$ and \(y\) carefully.")
    config = write_site(tmp_path, PAGES, bib=bib)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    abstract = soup_of(tmp_path / "site", "papers/muller2020study/index.html").select_one(".wiki-paper-abstract")
    card = soup_of(tmp_path / "site", "index.html").select_one(".wiki-cite__abstract")
    assert abstract.get_text() == r"We study $x^2$ and \(y\) carefully."
    assert card.get_text() == "We study x^2 and y carefully."


def test_citation_in_setext_heading_has_no_token(tmp_path: Path) -> None:
    text = (
        "Read first [@smith2019other]\n============================\n\n"
        "> ## Quoted [@lone2018paper]\n\n- ## Listed [@lone2018paper]\n"
    )
    config = write_site(tmp_path, {**PAGES, "three.md": text})
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    html = (tmp_path / "site" / "three" / "index.html").read_text(encoding="utf-8")
    assert "wikicite" not in html.casefold()
    page = soup_of(tmp_path / "site", "three/index.html")
    assert page.title.get_text().startswith("Read first (Smith, 2019)")
    headings = page.select("article h1, article h2")
    assert [heading.select_one("a.wiki-cite__link").get_text() for heading in headings[:3]] == [
        "Smith, 2019",
        "Lone and Wolf, 2018",
        "Lone and Wolf, 2018",
    ]
    assert page.select("article h1 .wiki-cite__card, article h2 .wiki-cite__card") == []


def test_citation_after_angle_in_attribute_is_plain(tmp_path: Path) -> None:
    text = '# Three\n\n<div class="note" title="a > b [@smith2019other]">Raw 1 < 2 [@lone2018paper]</div>\n'
    config = write_site(tmp_path, {**PAGES, "three.md": text})
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    note = soup_of(tmp_path / "site", "three/index.html").select_one("div.note")
    assert note["title"] == "a > b (Smith, 2019)"
    assert note.select_one("a.wiki-cite__link").get_text() == "Lone and Wolf, 2018"


def test_notes_title_like_token_stays(tmp_path: Path) -> None:
    bib = BIB.replace("title = {A Lone Paper}", "title = {On WikiCite1Token Names}")
    pages = {**PAGES, "papers/lone2018paper.md": "# Notes\n\nCompare [@smith2019other].\n"}
    config = write_site(tmp_path, pages, bib=bib)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "papers/lone2018paper/index.html")
    assert page.select_one("article h1").get_text().startswith("On WikiCite1Token Names")
    assert page.select_one("article h1 .wiki-cite") is None
    assert [link.get_text() for link in page.select("article .wiki-cite a.wiki-cite__link")] == ["Smith, 2019"]


def test_snippet_with_token_text_stays(tmp_path: Path) -> None:
    config = write_site(tmp_path, {**PAGES, "three.md": '# Three\n\nCite [@smith2019other].\n\n--8<-- "note.txt"\n'})
    (tmp_path / "note.txt").write_text("Included WikiCite1Token text.\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + "markdown_extensions:\n  - pymdownx.snippets\n")
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    article = soup_of(tmp_path / "site", "three/index.html").select_one("article")
    assert "Included WikiCite1Token text." in article.get_text()
    assert [link.get_text() for link in article.select("a.wiki-cite__link")] == ["Smith, 2019"]


def test_blog_excerpt_citation_is_plain(tmp_path: Path) -> None:
    post = "---\ndate: 2024-01-31\n---\n\n# First post\n\nExcerpt cites [@smith2019other].\n\n<!-- more -->\n\nRest.\n"
    config = write_site(tmp_path, {**PAGES, "blog/index.md": "# Blog\n", "blog/posts/first.md": post})
    config.write_text(config.read_text(encoding="utf-8").replace("  - search\n", "  - search\n  - blog\n"))
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr

    html = (tmp_path / "site" / "blog" / "index.html").read_text(encoding="utf-8")
    assert "WikiCite" not in html
    assert "Excerpt cites (Smith, 2019)." in soup_of(tmp_path / "site", "blog/index.html").get_text()


def test_citation_in_link_text_is_plain(tmp_path: Path) -> None:
    text = "# Three\n\n[Read [@smith2019other] first](https://example.org/) and then [@lone2018paper].\n"
    config = write_site(tmp_path, {**PAGES, "three.md": text})
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    article = soup_of(tmp_path / "site", "three/index.html").select_one("article")
    outer = article.select_one('a[href="https://example.org/"]')
    assert outer.get_text() == "Read (Smith, 2019) first"
    assert outer.select("a, .wiki-cite__card") == []
    assert [link.get_text() for link in article.select("a.wiki-cite__link")] == ["Lone and Wolf, 2018"]


def test_citation_in_indented_code_stays_literal(tmp_path: Path) -> None:
    text = "# Three\n\nExample:\n\n    See [@lone2018paper] here.\n\nCited once [@smith2019other].\n"
    config = write_site(tmp_path, {**PAGES, "three.md": text})
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    page = soup_of(tmp_path / "site", "three/index.html")
    assert page.select_one("article pre code").get_text() == "See [@lone2018paper] here.\n"
    assert [item["data-key"] for item in page.select("li.wiki-ref")] == ["smith2019other"]
    assert "Three" not in cited_on_text(tmp_path / "site", "lone2018paper")
    assert "Three" in cited_on_text(tmp_path / "site", "smith2019other")


def cited_on_text(site: Path, key: str) -> str:
    """Return the text of a paper page's "Cited on" section."""
    heading = soup_of(site, f"papers/{key}/index.html").select_one("#cited-on")
    parts = []
    for sibling in heading.find_next_siblings():
        if sibling.name == "h2":
            break
        parts.append(sibling.get_text())
    return " ".join(parts)


def test_citation_in_math_stays_literal(tmp_path: Path) -> None:
    text = "# Three\n\nInline \\( a < b [@lone2018paper] \\) math.\n"
    config = write_site(tmp_path, {**PAGES, "three.md": text})
    config.write_text(
        config.read_text(encoding="utf-8") + "markdown_extensions:\n  - pymdownx.arithmatex:\n      generic: true\n",
        encoding="utf-8",
    )
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    math = soup_of(tmp_path / "site", "three/index.html").select_one("article .arithmatex")
    assert math.get_text() == "\\( a < b [@lone2018paper] \\)"
    assert math.select("*") == []


def test_search_index_skips_card_text(tmp_path: Path) -> None:
    config = write_site(tmp_path, PAGES)
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    docs = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    home = " ".join(doc["text"] for doc in docs if doc["location"] in ("", "#home"))
    assert "Müller et al., 2020" in home
    assert "carefully" not in home
    assert soup_of(tmp_path / "site", "index.html").select_one(".wiki-cite__card .wiki-cite__abstract") is not None


def test_citation_after_abbr_in_link_is_plain(tmp_path: Path) -> None:
    text = '# Three\n\n<a href="https://example.org/">The <abbr title="x">LLM</abbr> paper [@smith2019other]</a>\n'
    config = write_site(tmp_path, {**PAGES, "three.md": text})
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    outer = soup_of(tmp_path / "site", "three/index.html").select_one('article a[href="https://example.org/"]')
    assert outer.get_text() == "The LLM paper (Smith, 2019)"
    assert outer.select(".wiki-cite") == []
