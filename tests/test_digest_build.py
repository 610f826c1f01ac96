"""Real `mkdocs build --strict` runs of a tiny wiki with a digest archive filled from a local server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from wiki_tools.digest.fetch import FetchSettings
from wiki_tools.digest.update import FeedSource, fetch_all

from .conftest import run_mkdocs_build
from .digest_support import FEEDS, FeedServer, Route, rss

MKDOCS_YML = """\
site_name: Tiny Wiki
site_url: https://wiki.example/
theme:
  name: material
  font: false
nav:
  - Home: index.md
  - Agents: agents.md
  - Tuning:
      - tuning/lora.md
      - tuning/rag.md
      - tuning/prompting.md
      - tuning/fine-tuning.md
  - Papers: papers/index.md
  - Newsletters:
      - newsletters.md
plugins:
  - search
  - wiki/bibliography:
      bib_file: papers.bib
  - wiki/digest:
      archive_dir: archive
      feeds:
        - name: Unused
          url: http://127.0.0.1:9/feed.xml
"""

BIB = """\
@article{hu2021lora,
  title = {LoRA: Low-Rank Adaptation of Large Language Models},
  author = {Hu, Edward J.},
  year = {2021},
  keywords = {fine-tuning},
  eprint = {2106.09685},
  archivePrefix = {arXiv},
}
"""

ECHO = """<item><title>Someone else's copy of the injection story</title>
<link>https://weekly.example/posts/injection?utm_source=echo</link><guid>echo-1</guid>
<pubDate>Wed, 02 Dec 2026 11:00:00 GMT</pubDate>
<description>Also about RAG (arXiv:2005.11401), and doi:10.1145/3442188.3445922.</description></item>"""

# Markup that must not reach the site from any feed.
FORBIDDEN = re.compile(r"alert\(|javascript:|data:text|evil\.example|tracker\.example|onerror|onclick", re.IGNORECASE)


def write_wiki(root: Path) -> Path:
    pages = {
        "index.md": "# Home\n",
        "agents.md": "# Agents\n",
        "newsletters.md": "# Newsletters\n",
        "tuning/lora.md": "# LoRA\n",
        "tuning/rag.md": "# RAG\n",
        "tuning/prompting.md": "# Prompting\n",
        "tuning/fine-tuning.md": "# Fine-tuning\n",
    }
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "papers.bib").write_text(BIB, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(MKDOCS_YML, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny wiki whose archive was fetched from hand-written feeds, built once with --strict."""
    root = tmp_path_factory.mktemp("wiki")
    config = write_wiki(root)
    with FeedServer() as server:
        for name in ("rss2.xml", "rss1.rdf", "atom.xml"):
            server.routes[f"/{name}"] = Route(body=(FEEDS / name).read_bytes(), content_type="application/xml")
        server.routes["/echo.xml"] = Route(body=rss(ECHO))
        feeds = [
            FeedSource("Model Weekly", server.url("/rss2.xml")),
            FeedSource("Preprint Digest", server.url("/rss1.rdf")),
            FeedSource("Lab Blog", server.url("/atom.xml")),
            FeedSource("Echo", server.url("/echo.xml")),
        ]
        report = fetch_all(feeds, root / "archive", FetchSettings(retries=0), now=datetime(2026, 12, 4, 12, tzinfo=UTC))
    assert not any(outcome.failed for outcome in report.outcomes), report

    result = run_mkdocs_build(config, root / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "site"


def content(site: Path, page: str) -> BeautifulSoup:
    soup = BeautifulSoup((site / page / "index.html").read_text(encoding="utf-8"), "html.parser")
    return soup.select_one("article.md-content__inner")


def test_no_injected_markup_survives(built: Path) -> None:
    for path in built.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not FORBIDDEN.search(text), f"{path}: {FORBIDDEN.search(text).group(0)}"
    assert not FORBIDDEN.search((built / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_week_page_has_no_active_content(built: Path) -> None:
    article = content(built, "digest/2026-W49")

    assert article.find_all(["script", "style", "iframe", "form", "img", "svg", "object"]) == []
    attributes = {name for tag in article.find_all(True) for name in tag.attrs}
    assert not {name for name in attributes if name.startswith("on")}
    assert "style" not in attributes
    for link in article.find_all("a", href=True):
        assert link["href"].startswith(("https://", "http://", "../", "#")), link["href"]
        if link["href"].startswith("http"):
            assert link.get("rel") == ["noopener", "noreferrer"], link


def test_week_page_groups_by_feed(built: Path) -> None:
    article = content(built, "digest/2026-W49")

    headings = [heading.get_text(strip=True).rstrip("¶") for heading in article.find_all("h2")]
    assert headings == ["In several feeds", "Lab Blog", "Model Weekly", "Preprint Digest"]
    assert "Script injection attempt" in article.get_text()


def test_shared_story_names_every_feed(built: Path) -> None:
    article = content(built, "digest/2026-W49")

    shared = article.find("h2", id="shared").find_next_sibling("ul")
    [story] = shared.find_all("li", class_="wiki-digest__item")
    meta = story.find(class_="wiki-digest__meta").get_text()
    assert "Echo" in meta
    assert "Model Weekly" in meta


def test_items_link_to_paper_and_topic_pages(built: Path) -> None:
    article = content(built, "digest/2026-W49")

    [lora] = [item for item in article.find_all("li", class_="wiki-digest__item") if "LoRA adapters" in item.get_text()]
    hrefs = {link.get_text(): link["href"] for link in lora.find(class_="wiki-digest__related").find_all("a")}
    assert hrefs["hu2021lora"] == "../../papers/hu2021lora/"
    assert hrefs["LoRA"] == "../../tuning/lora/"
    assert hrefs["Fine-tuning"] == "../../tuning/fine-tuning/"


def test_undated_item_marked_first_seen(built: Path) -> None:
    article = content(built, "digest/2026-W49")

    [undated] = [item for item in article.find_all("li") if "An item without a date" in item.get_text()]
    assert "first seen Fri 4 Dec 2026" in undated.get_text()


def test_index_lists_weeks_with_counts(built: Path) -> None:
    article = content(built, "digest")

    rows = article.select("table.wiki-digest-index tbody tr")
    assert len(rows) == 1
    cells = [cell.get_text() for cell in rows[0].find_all("td")]
    assert cells[0] == "2026-W49"
    assert cells[1] == "30 November \u2013 6 December 2026"
    headers = [header.get_text() for header in article.select("table.wiki-digest-index thead th")]
    assert headers == ["Week", "Dates", "Stories", "Feeds"]
    # The Echo item tells the same story as one of Model Weekly's, so 11 items make 10 stories.
    assert cells[2] == "10"
    assert "Model Weekly (6)" in cells[3]
    assert rows[0].find("a")["href"] == "2026-W49/"


def test_index_total_counts_stories_and_items(built: Path) -> None:
    article = content(built, "digest")

    assert "10 stories from 11 items in 1 week." in article.get_text()


def test_week_page_counts_stories_and_items(built: Path) -> None:
    article = content(built, "digest/2026-W49")

    [summary] = article.select("p.wiki-digest__range")
    assert summary.get_text() == "30 November \u2013 6 December 2026 \u00b7 10 stories from 11 items"
    assert len(article.find_all("li", class_="wiki-digest__item")) == 10


def test_atom_entry_counts_stories_and_items(built: Path) -> None:
    parsed = feedparser.parse((built / "digest.xml").read_bytes())

    [entry] = parsed.entries
    assert entry.summary.startswith("10 stories from 11 items. ")


def test_candidates_page_lists_repeated_paper(built: Path) -> None:
    article = content(built, "digest/candidates")

    items = article.select("ul.wiki-digest-candidates > li")
    assert [item["id"] for item in items] == ["2005-11401", "10-1145-3442188-3445922"]
    assert "3 mentions" in items[0].get_text()
    links = [link["href"] for link in items[0].select("details a")]
    assert len(links) == len(set(links)) == 3
    assert items[0].find("code").get_text() == "wiki-tools papers add 2005.11401"
    assert "2 mentions" in items[1].get_text()
    assert "Not on arXiv" in items[1].get_text()
    assert items[1].find("a")["href"] == "https://doi.org/10.1145/3442188.3445922"


def test_digest_pages_added_to_newsletters_section(built: Path) -> None:
    soup = BeautifulSoup((built / "index.html").read_text(encoding="utf-8"), "html.parser")

    section = next(
        item for item in soup.select("nav.md-nav--primary li.md-nav__item--nested") if "Newsletters" in item.get_text()
    )
    labels = [link.get_text(strip=True) for link in section.select("a.md-nav__link")]
    assert "Newsletter digests" in labels
    assert "Candidates for the hit list" in labels


def test_atom_feed_parses_without_bozo(built: Path) -> None:
    parsed = feedparser.parse((built / "digest.xml").read_bytes())

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    [entry] = parsed.entries
    assert entry.link == "https://wiki.example/digest/2026-W49/"
    assert entry.id == "https://wiki.example/digest/2026-W49/"
    assert "Script injection attempt" in entry.content[0].value
    assert "<script" not in entry.content[0].value


def test_corrupt_line_fails_strict_build(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "2026-12.jsonl").write_text('{"feed": "A", "id": "x"\nnot json\n', encoding="utf-8")

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 1
    assert "archive/2026-12.jsonl:1: invalid archive line" in result.stderr
    assert "archive/2026-12.jsonl:2: invalid archive line" in result.stderr
    assert (archive / "2026-12.jsonl").read_text(encoding="utf-8") == '{"feed": "A", "id": "x"\nnot json\n'


def test_corrupt_line_skipped_when_set_to_info(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + "      corrupt_lines: info\n", encoding="utf-8")
    archive = tmp_path / "archive"
    archive.mkdir()
    good = (
        '{"date_source":"feed","feed":"A","id":"1","link":"https://a.example/1",'
        '"published":"2026-12-01T00:00:00Z","title":"Kept"}'
    )
    (archive / "2026-12.jsonl").write_text(f"{good}\nnot json\n", encoding="utf-8")

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    assert "Kept" in content(tmp_path / "site", "digest/2026-W49").get_text()


def test_empty_archive_builds(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    assert "The archive is empty" in content(tmp_path / "site", "digest").get_text()
    assert feedparser.parse((tmp_path / "site" / "digest.xml").read_bytes()).bozo == 0


def test_empty_feed_updated_at_build_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    config = write_wiki(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)

    result = run_mkdocs_build(config, tmp_path / "site")

    after = datetime.now(UTC)
    assert result.returncode == 0, result.stderr
    parsed = feedparser.parse((tmp_path / "site" / "digest.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries == []
    updated = datetime.fromisoformat(parsed.feed.updated)
    assert before <= updated <= after


def test_empty_feed_updated_from_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764806400")
    config = write_wiki(tmp_path)

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    document = (tmp_path / "site" / "digest.xml").read_text(encoding="utf-8")
    assert "<updated>2025-12-04T00:00:00Z</updated>" in document
    assert feedparser.parse(document.encode()).bozo == 0


def test_paper_page_exists_for_cited_key(built: Path) -> None:
    assert (built / "papers" / "hu2021lora" / "index.html").is_file()


def test_paper_page_lists_digest_mentions(built: Path) -> None:
    page = content(built, "papers/hu2021lora")
    heading = page.find("h2", id="mentioned-in-the-digests")
    assert heading is not None
    week_links = [link["href"] for link in heading.find_next("ul").find_all("a") if "digest" in link["href"]]
    assert week_links
    assert all(href.startswith("../../digest/") for href in week_links)


def test_mentions_html_for_paper_page(tmp_path: Path) -> None:
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    config_file = write_wiki(tmp_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    record = (
        '{"arxiv":["2106.09685"],"date_source":"feed","feed":"TLDR AI","id":"1","link":"https://a.example/1",'
        '"published":"2026-12-02T08:00:00Z","title":"LoRA <again>"}'
    )
    (archive / "2026-12.jsonl").write_text(record + "\n", encoding="utf-8")
    config = load_config(str(config_file))
    config.plugins.on_config(config)
    plugin = config.plugins["wiki/digest"]
    plugin.on_files(Files([]), config=config)

    html = plugin.mentions_html("hu2021lora", "papers/hu2021lora/")

    assert html.startswith('<h2 id="mentioned-in-the-digests">Mentioned in the digests</h2>')
    assert '<a href="https://a.example/1" rel="noopener noreferrer">LoRA &lt;again&gt;</a>' in html
    assert '(<a href="../../digest/2026-W49/">2026-W49</a>)' in html
    assert "2026-12-02 \u00b7 TLDR AI" in html
    assert plugin.mentions_html("unknown", "papers/unknown/") == ""


def test_stylesheet_served_locally(built: Path) -> None:
    soup = BeautifulSoup((built / "digest" / "2026-W49" / "index.html").read_text(encoding="utf-8"), "html.parser")

    stylesheets = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    assert "../../assets/wiki-digest/digest.css" in stylesheets
    assert (built / "assets" / "wiki-digest" / "digest.css").is_file()


def test_hand_edited_unsafe_link_not_published(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    record = (
        '{"date_source":"feed","feed":"A","id":"1","link":"javascript:alert(1)","published":"2026-12-01T00:00:00Z",'
        '"summary":"<p onclick=\\"alert(2)\\">text<script>alert(3)</script></p>","title":"<b>Edited</b>"}'
    )
    (archive / "2026-12.jsonl").write_text(record + "\n", encoding="utf-8")

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "digest" / "2026-W49" / "index.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;Edited&lt;/b&gt;" in html
    assert not FORBIDDEN.search(html)
    assert not FORBIDDEN.search((tmp_path / "site" / "digest.xml").read_text(encoding="utf-8"))


def test_feed_announced_in_page_head(built: Path) -> None:
    for page, href in (("digest", "../digest.xml"), ("digest/2026-W49", "../../digest.xml")):
        soup = BeautifulSoup((built / page / "index.html").read_text(encoding="utf-8"), "html.parser")

        [link] = soup.head.find_all("link", type="application/atom+xml")

        assert link["href"] == href
        assert link["rel"] == ["alternate"]


def test_atom_feed_valid_with_forbidden_characters(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    item = (
        "<item><title>Odd \ufffetitle\uffff</title><link>https://news.example/a\x01b</link><guid>odd-1</guid>"
        "<pubDate>Tue, 01 Dec 2026 08:00:00 GMT</pubDate></item>"
    )
    with FeedServer() as server:
        server.routes["/odd.xml"] = Route(body=rss(item))
        report = fetch_all(
            [FeedSource("Odd", server.url("/odd.xml"))],
            tmp_path / "archive",
            FetchSettings(retries=0),
            now=datetime(2026, 12, 4, 12, tzinfo=UTC),
        )
    assert report.new_items == 1, report
    # A hand-edited line can still hold them, written as JSON escapes.
    edited = (
        '{"date_source":"feed","feed":"Hand","id":"h1","link":"https://hand.example/x\\u0001y",'
        '"published":"2026-12-02T00:00:00Z","title":"Edited \\uffff by hand \\u0008"}'
    )
    with (tmp_path / "archive" / "2026-12.jsonl").open("a", encoding="utf-8") as stream:
        stream.write(edited + "\n")

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    parsed = feedparser.parse((tmp_path / "site" / "digest.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    [entry] = parsed.entries
    assert "Odd title" in entry.content[0].value
    assert "Edited  by hand" in entry.content[0].value
    assert "https://hand.example/xy" in entry.content[0].value


def test_non_utf8_line_reported_and_kept(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    good = (
        b'{"date_source":"feed","feed":"A","id":"1","link":"https://a.example/1",'
        b'"published":"2026-12-01T00:00:00Z","title":"Kept"}\n'
    )
    latin1 = (
        b'{"date_source":"feed","feed":"A","id":"2","link":"https://a.example/2",'
        b'"published":"2026-12-01T00:00:00Z","title":"M\xfcller"}\n'
    )
    (archive / "2026-12.jsonl").write_bytes(good + latin1)

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 1
    assert "archive/2026-12.jsonl:2: invalid archive line (contains bytes that are not valid UTF-8)" in result.stderr
    assert (archive / "2026-12.jsonl").read_bytes() == good + latin1


def test_wrongly_typed_fields_reported_and_skipped(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    base = {"date_source": "feed", "feed": "A", "published": "2026-12-01T00:00:00Z", "title": "T"}
    records = [
        {"id": "good", "link": "https://a.example/1"},
        {"id": "2", "summary": {"a": 1}},
        {"id": "3", "link": 5},
        {"id": "4", "authors": "Ann"},
        {"id": "5", "tags": [1, 2]},
        {"id": "6", "doi": {"x": 1}},
        # `json.dumps` escapes the lone surrogate as `\ud800`, as a hand edit could.
        {"id": "7", "summary": "half of a pair \ud800"},
    ]
    lines = [json.dumps(base | record) for record in records]
    (archive / "2026-12.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for number, field in [(2, "summary"), (3, "link"), (4, "authors"), (5, "tags"), (6, "doi")]:
        assert f"archive/2026-12.jsonl:{number}: invalid archive line (field '{field}' must be" in result.stderr
    assert "archive/2026-12.jsonl:7: invalid archive line (contains an escaped lone surrogate" in result.stderr
    assert "archive/2026-12.jsonl:1:" not in result.stderr


def test_wrongly_typed_line_skipped_when_set_to_info(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + "      corrupt_lines: info\n", encoding="utf-8")
    archive = tmp_path / "archive"
    archive.mkdir()
    base = {"date_source": "feed", "feed": "A", "published": "2026-12-01T00:00:00Z"}
    records = [{"id": "1", "title": "Kept"}, {"id": "2", "title": "Dropped", "summary": {"a": 1}}]
    lines = [json.dumps(base | record) for record in records]
    (archive / "2026-12.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    text = content(tmp_path / "site", "digest/2026-W49").get_text()
    assert "Kept" in text
    assert "Dropped" not in text
