"""`wiki-tools digest fetch`: options, progress, the report and the exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wiki_tools.cli import cli
from wiki_tools.digest.archive import load_state, read_archive

from .digest_support import FeedServer, Route, rss, rss_item


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def write_site(tmp_path: Path, feeds: dict[str, str], *, plugin: bool = True) -> Path:
    lines = ["site_name: Test", "site_url: https://wiki.example/", "plugins:"]
    if plugin:
        lines += ["  - wiki/digest:", "      archive_dir: archive", "      retries: 0", "      failing_after_runs: 2"]
        lines.append("      feeds:" if feeds else "      feeds: []")
        for name, url in feeds.items():
            lines += [f"        - name: {name}", f"          url: {url}"]
    else:
        lines.append("  - search")
    (tmp_path / "docs").mkdir(exist_ok=True)
    config = tmp_path / "mkdocs.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def run(config: Path, *arguments: str):
    return CliRunner().invoke(cli, ["-f", str(config), "digest", "fetch", *arguments])


def test_fetch_reports_each_feed(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/good.xml"] = Route(body=rss(rss_item(1), rss_item(2)))
    server.routes["/bad.xml"] = Route(status=500)
    config = write_site(tmp_path, {"Good": server.url("/good.xml"), "Bad": server.url("/bad.xml")})

    result = run(config)

    assert result.exit_code == 0, result.output
    assert "Good  2 new of 2 entries" in result.stdout
    assert "Bad   failed: HTTP 500 Internal Server Error" in result.stdout
    assert "2 new items from 2 feeds, 1 failed." in result.stdout
    assert "Fetching 2 feeds" in result.stderr
    assert "/2] Good: 2 new of 2 entries" in result.stderr


def test_fetch_summary_uses_singular(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/good.xml"] = Route(body=rss(rss_item(1)))

    result = run(write_site(tmp_path, {"Good": server.url("/good.xml")}))

    assert "1 new item from 1 feed, 0 failed." in result.stdout


def test_fetch_reports_unchanged_feed(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/good.xml"] = Route(body=rss(rss_item(1)), etag='"1"')
    config = write_site(tmp_path, {"Good": server.url("/good.xml")})
    run(config)

    result = run(config)

    assert "Good  unchanged (304 Not Modified)" in result.stdout


def test_fetch_fails_only_when_every_feed_fails(server: FeedServer, tmp_path: Path) -> None:
    config = write_site(tmp_path, {"One": server.url("/missing.xml"), "Two": server.url("/gone.xml")})

    result = run(config)

    assert result.exit_code == 1
    assert "One  failed: HTTP 404 Not Found" in result.stdout


def test_fetch_lists_feeds_failing_repeatedly(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/good.xml"] = Route(body=rss(rss_item(1)))
    config = write_site(tmp_path, {"Good": server.url("/good.xml"), "Broken": server.url("/broken.xml")})
    first = run(config)

    second = run(config)

    assert "failing 2 or more runs in a row" not in first.stdout
    assert "Feeds failing 2 or more runs in a row:" in second.stdout
    assert "  Broken: 2 runs, never succeeded." in second.stdout
    assert "Good:" not in second.stdout.split("in a row:")[1]


def test_feed_option_replaces_configured_feeds(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/trial.xml"] = Route(body=rss(rss_item(7)))
    config = write_site(tmp_path, {"Configured": server.url("/configured.xml")})

    result = run(config, "--feed", f"Trial={server.url('/trial.xml')}")

    assert result.exit_code == 0, result.output
    assert server.requests_for("/configured.xml") == []
    assert [(item.feed, item.id) for item in read_archive(tmp_path / "archive").items] == [("Trial", "story-7")]
    assert set(load_state(tmp_path / "archive")) == {"Trial"}


def test_feed_option_repeatable_and_url_may_contain_equals(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/a.xml?x=1"] = Route(body=rss(rss_item(1)))
    server.routes["/b.xml"] = Route(body=rss(rss_item(2)))
    config = write_site(tmp_path, {})

    result = run(config, "--feed", f"A={server.url('/a.xml?x=1')}", "--feed", f"B={server.url('/b.xml')}")

    assert result.exit_code == 0, result.output
    assert len(read_archive(tmp_path / "archive").items) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no-equals-sign", "expected NAME=URL"),
        ("=https://x.example/", "expected NAME=URL"),
        ("Name=ftp://x.example/feed", "expected an http or https URL"),
        ("Name=not a url", "expected an http or https URL"),
    ],
)
def test_feed_option_rejects_invalid_value(tmp_path: Path, value: str, message: str) -> None:
    result = run(write_site(tmp_path, {}), "--feed", value)

    assert result.exit_code == 2
    assert message in result.output


def test_fetch_without_feeds_explains(tmp_path: Path) -> None:
    result = run(write_site(tmp_path, {}))

    assert result.exit_code == 1
    assert "No feeds to fetch" in result.output


def test_fetch_without_plugin_explains(tmp_path: Path) -> None:
    result = run(write_site(tmp_path, {}, plugin=False))

    assert result.exit_code == 1
    assert "Plugin 'wiki/digest' is not enabled" in result.output


def test_fetch_help_documents_options() -> None:
    result = CliRunner().invoke(cli, ["digest", "fetch", "--help"])

    assert result.exit_code == 0
    assert "--feed NAME=URL" in result.output
    assert "--wait SECONDS" in result.output
    assert "Example:" in result.output


def test_feed_option_rejects_repeated_name(tmp_path: Path) -> None:
    result = run(write_site(tmp_path, {}), "--feed", "A=http://127.0.0.1:9/a", "--feed", "A=http://127.0.0.1:9/b")

    assert result.exit_code == 1
    assert "Feed name 'A' is used twice" in result.output


def test_report_for_one_feed_uses_singular(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/good.xml"] = Route(body=rss(rss_item(1)))

    result = run(write_site(tmp_path, {"Good": server.url("/good.xml")}))

    assert "Fetching 1 feed into" in result.stderr
    assert "Good  1 new of 1 entry" in result.stdout
    assert "1 entries" not in result.output


def test_failing_list_uses_singular_run(server: FeedServer, tmp_path: Path) -> None:
    config = write_site(tmp_path, {"Broken": server.url("/broken.xml")})
    config.write_text(config.read_text().replace("failing_after_runs: 2", "failing_after_runs: 1"))

    result = run(config)

    assert "Feeds failing 1 or more runs in a row:" in result.stdout
    assert "  Broken: 1 run, never succeeded." in result.stdout


def test_skipped_entry_note_uses_singular(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/good.xml"] = Route(body=rss(rss_item(1), "<item></item>"))

    result = run(write_site(tmp_path, {"Good": server.url("/good.xml")}))

    assert "note: skipped 1 entry without id, link, title or text" in result.stdout


def test_feed_option_advice_names_option(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/gone.xml"] = Route(status=410)
    config = write_site(tmp_path, {})

    feeds = ["--feed", f"Gone={server.url('/gone.xml')}", "--feed", f"Missing={server.url('/missing.xml')}"]

    first = run(config, *feeds)
    second = run(config, *feeds)

    assert "Missing: 2 runs, never succeeded. Check the URL given with --feed." in second.stdout
    for result in (first, second):
        assert "mkdocs.yml" not in result.output
        assert "Check the URL given with --feed" in result.output


def test_configured_feed_advice_names_mkdocs_yml(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/gone.xml"] = Route(status=410)
    config = write_site(tmp_path, {"Gone": server.url("/gone.xml")})

    result = run(config)

    assert "Remove it from mkdocs.yml or give it a new URL" in result.stdout
    assert "--feed" not in result.stdout


def test_feed_option_redirect_note_names_option(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/old.xml"] = Route(status=301, headers={"Location": "/new.xml"})
    server.routes["/new.xml"] = Route(body=rss(rss_item(1)))

    result = run(write_site(tmp_path, {}), "--feed", f"Trial={server.url('/old.xml')}")

    assert "moved permanently to" in result.stdout
    assert "mkdocs.yml" not in result.stdout
    assert "Check the URL given with --feed" in result.stdout
