"""Rendered week pages come from the digest plugin's cache until their items or the site's links change."""

from __future__ import annotations

import json
from pathlib import Path

from bs4 import BeautifulSoup

from wiki_tools.digest.archive import add_items
from wiki_tools.digest.items import Item

from .conftest import run_mkdocs_build
from .test_digest_build import write_wiki

# ISO week 45 of 2026 lies in November and week 50 in December, so each has a monthly file of its own.
NOVEMBER_WEEK = "2026-W45"
DECEMBER_WEEK = "2026-W50"


def item(identifier: str, day: str, title: str) -> Item:
    return Item(
        feed="Model Weekly",
        id=identifier,
        title=title,
        link=f"https://news.example/{identifier}",
        published=f"{day}T09:00:00Z",
        date_source="feed",
        summary="<p>A short summary.</p>",
        tags=(),
        arxiv=(),
    )


def make_wiki(root: Path) -> Path:
    config = write_wiki(root)
    add_items(root / "archive", [item("a", "2026-11-04", "A November story"), item("b", "2026-12-08", "A December story")])
    return config


def build(config: Path, name: str = "site") -> Path:
    result = run_mkdocs_build(config, config.parent / name)
    assert result.returncode == 0, result.stdout + result.stderr
    return config.parent / name


def week_text(site: Path, label: str) -> str:
    page = BeautifulSoup((site / "digest" / label / "index.html").read_text(encoding="utf-8"), "html.parser")
    return page.select_one("article").get_text()


def cache_file(root: Path, label: str) -> Path:
    return root / ".cache" / "wiki-digest" / f"{label}.json"


def test_second_build_reads_cached_weeks(tmp_path: Path) -> None:
    config = make_wiki(tmp_path)
    first = build(config, "first")
    stamps = {label: cache_file(tmp_path, label).stat().st_mtime_ns for label in (NOVEMBER_WEEK, DECEMBER_WEEK)}

    second = build(config, "second")

    for label, stamp in stamps.items():
        assert cache_file(tmp_path, label).stat().st_mtime_ns == stamp, f"{label} was rendered again"
        assert week_text(second, label) == week_text(first, label)


def test_new_item_renders_only_its_week(tmp_path: Path) -> None:
    config = make_wiki(tmp_path)
    build(config)
    november_stamp = cache_file(tmp_path, NOVEMBER_WEEK).stat().st_mtime_ns

    add_items(tmp_path / "archive", [item("c", "2026-12-09", "A late December story")])
    site = build(config)

    assert "A late December story" in week_text(site, DECEMBER_WEEK)
    assert cache_file(tmp_path, NOVEMBER_WEEK).stat().st_mtime_ns == november_stamp


def test_topic_change_renders_weeks_again(tmp_path: Path) -> None:
    config = make_wiki(tmp_path)
    build(config)
    assert "Topics:" not in week_text(tmp_path / "site", NOVEMBER_WEEK)

    topics = "      topics:\n        - page: tuning/lora.md\n          title: LoRA\n          keywords: [November]\n"
    config.write_text(config.read_text(encoding="utf-8") + topics, encoding="utf-8")
    site = build(config)

    assert "Topics: LoRA" in week_text(site, NOVEMBER_WEEK)


def test_damaged_cache_file_rendered_again(tmp_path: Path) -> None:
    config = make_wiki(tmp_path)
    build(config)
    cache_file(tmp_path, NOVEMBER_WEEK).write_text('{"key": "', encoding="utf-8")
    cache_file(tmp_path, DECEMBER_WEEK).write_text(json.dumps({"key": 1, "html": [], "sections": 2}), encoding="utf-8")
    cache_file(tmp_path, "2026-W46").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    add_items(tmp_path / "archive", [item("c", "2026-11-11", "A mid-November story")])

    site = build(config)

    assert "A November story" in week_text(site, NOVEMBER_WEEK)
    assert "A December story" in week_text(site, DECEMBER_WEEK)
    assert "A mid-November story" in week_text(site, "2026-W46")


def test_excluded_weeks_absent_from_search(tmp_path: Path) -> None:
    config = make_wiki(tmp_path)

    site = build(config)

    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [doc for doc in index["docs"] if doc["location"].startswith("digest/2026-W")]
    assert "A November story" in week_text(site, NOVEMBER_WEEK)


def test_weeks_searchable_when_enabled(tmp_path: Path) -> None:
    config = make_wiki(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + "      search_weeks: true\n", encoding="utf-8")

    site = build(config)

    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert any("A November story" in doc["text"] for doc in index["docs"] if doc["location"].startswith("digest/"))
