"""The feed fetcher against a real HTTP server on 127.0.0.1: status codes, limits, charsets and formats."""

from __future__ import annotations

import gzip
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wiki_tools.digest.archive import load_state, read_archive
from wiki_tools.digest.fetch import FetchError, FetchSettings, fetch_feed
from wiki_tools.digest.update import FeedSource, fetch_all

from .digest_support import FEEDS, FeedServer, Route, rss, rss_item

FAST = FetchSettings(timeout_seconds=5, retries=2, backoff_seconds=0.01, max_retry_after_seconds=2)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def fetch_one(server: FeedServer, archive: Path, path: str = "/feed.xml", settings: FetchSettings = FAST, **kwargs):
    report = fetch_all([FeedSource("Test", server.url(path))], archive, settings, **kwargs)
    return report.outcomes[0]


def test_fetch_sends_user_agent_and_accepts_gzip(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=rss(rss_item(1)), gzip=True)

    outcome = fetch_one(server, tmp_path)

    request = server.requests_for("/feed.xml")[0]
    assert request.headers["user-agent"].startswith("wiki-tools/")
    assert "gzip" in request.headers["accept-encoding"]
    assert outcome.status == "new"
    assert outcome.new_items == 1


def test_etag_makes_second_fetch_304(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=rss(rss_item(1)), etag='"abc"')

    first = fetch_one(server, tmp_path)
    second = fetch_one(server, tmp_path)

    assert first.status == "new"
    assert second.status == "unchanged"
    assert server.requests_for("/feed.xml")[1].headers["if-none-match"] == '"abc"'
    assert load_state(tmp_path)["Test"].etag == '"abc"'


def test_last_modified_makes_second_fetch_304(server: FeedServer, tmp_path: Path) -> None:
    stamp = "Mon, 30 Nov 2026 08:00:00 GMT"
    server.routes["/feed.xml"] = Route(body=rss(rss_item(1)), last_modified=stamp)

    fetch_one(server, tmp_path)
    second = fetch_one(server, tmp_path)

    assert second.status == "unchanged"
    assert server.requests_for("/feed.xml")[1].headers["if-modified-since"] == stamp


def test_500_retried_then_reported(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=500, body=b"boom", content_type="text/plain")

    outcome = fetch_one(server, tmp_path)

    assert outcome.status == "failed"
    assert "HTTP 500" in outcome.reason
    assert "after 3 attempts" in outcome.reason
    assert len(server.requests_for("/feed.xml")) == 3
    assert load_state(tmp_path)["Test"].error_streak == 1


def test_500_then_success_within_one_run(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = [Route(status=500), Route(status=503), Route(body=rss(rss_item(1)))]

    outcome = fetch_one(server, tmp_path)

    assert outcome.status == "new"
    assert outcome.new_items == 1
    assert len(server.requests_for("/feed.xml")) == 3


def test_404_is_not_retried(server: FeedServer, tmp_path: Path) -> None:
    outcome = fetch_one(server, tmp_path, "/missing.xml")

    assert outcome.status == "failed"
    assert outcome.reason == "HTTP 404 Not Found"
    assert len(server.requests_for("/missing.xml")) == 1


def test_permanent_redirect_updates_stored_url(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/old.xml"] = Route(status=301, headers={"Location": "/new.xml"})
    server.routes["/new.xml"] = Route(body=rss(rss_item(1)))

    first = fetch_one(server, tmp_path, "/old.xml")
    second = fetch_one(server, tmp_path, "/old.xml")

    assert first.status == "new"
    assert any("moved permanently" in note for note in first.notes)
    assert load_state(tmp_path)["Test"].url == server.url("/new.xml")
    assert second.status == "new"
    assert len(server.requests_for("/old.xml")) == 1
    assert len(server.requests_for("/new.xml")) == 2


def test_temporary_redirect_keeps_stored_url(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=302, headers={"Location": "/today.xml"})
    server.routes["/today.xml"] = Route(body=rss(rss_item(1, extra="")))

    outcome = fetch_one(server, tmp_path)

    assert outcome.status == "new"
    assert outcome.notes == []
    assert load_state(tmp_path)["Test"].url == server.url("/feed.xml")


def test_relative_links_resolve_against_final_url(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=302, headers={"Location": "/moved/rss2.xml"})
    server.routes["/moved/rss2.xml"] = Route(body=(FEEDS / "rss2.xml").read_bytes())

    fetch_one(server, tmp_path)

    items = {item.id: item for item in read_archive(tmp_path).items}
    assert items["weekly-001"].link == server.url("/posts/lora-merge")
    assert f'href="{server.url("/moved/notes/more")}"' in items["weekly-001"].summary


def test_slow_server_times_out(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=rss(rss_item(1)), delay_seconds=3)
    settings = FetchSettings(timeout_seconds=0.5, retries=0)

    started = time.monotonic()
    outcome = fetch_one(server, tmp_path, settings=settings)
    elapsed = time.monotonic() - started

    assert outcome.status == "failed"
    assert "timed out" in outcome.reason
    assert elapsed < 2.5


def test_oversized_body_rejected(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=rss(*(rss_item(number) for number in range(200))))
    settings = FetchSettings(max_bytes=4000, retries=2, backoff_seconds=0.01)

    outcome = fetch_one(server, tmp_path, settings=settings)

    assert outcome.status == "failed"
    assert "exceeds the limit of 4000" in outcome.reason
    assert len(server.requests_for("/feed.xml")) == 1


def test_oversized_gzip_body_rejected_after_decompression(server: FeedServer, tmp_path: Path) -> None:
    # 2 MB of XML compresses to a few kB, under the limit until it is decompressed.
    body = rss(rss_item(1, extra=f"<!-- {'x' * 2_000_000} -->"))
    assert len(gzip.compress(body)) < 100_000
    server.routes["/feed.xml"] = Route(body=body, gzip=True)
    settings = FetchSettings(max_bytes=100_000, retries=0)

    outcome = fetch_one(server, tmp_path, settings=settings)

    assert outcome.status == "failed"
    assert "exceeds the limit" in outcome.reason


def test_malformed_xml_fails_without_items(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=(FEEDS / "malformed.xml").read_bytes())

    outcome = fetch_one(server, tmp_path)

    assert outcome.status == "failed"
    assert outcome.reason.startswith("not a valid feed")
    assert read_archive(tmp_path).items == []


def test_html_page_is_not_a_feed(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=b"<html><body><p>Moved</p></body></html>", content_type="text/html")

    outcome = fetch_one(server, tmp_path)

    assert outcome.status == "failed"
    assert "not a valid feed" in outcome.reason


def test_broken_feed_stores_no_etag(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=(FEEDS / "malformed.xml").read_bytes(), etag='"broken"')

    fetch_one(server, tmp_path)
    fetch_one(server, tmp_path)

    assert load_state(tmp_path)["Test"].etag is None
    assert "if-none-match" not in server.requests_for("/feed.xml")[1].headers


def test_short_retry_after_is_waited_for(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = [Route(status=429, headers={"Retry-After": "1"}), Route(body=rss(rss_item(1)))]

    started = time.monotonic()
    outcome = fetch_one(server, tmp_path)

    assert outcome.status == "new"
    assert time.monotonic() - started >= 1.0


def test_long_retry_after_defers_feed(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=503, headers={"Retry-After": "3600"})

    first = fetch_one(server, tmp_path)
    second = fetch_one(server, tmp_path)

    assert first.status == "failed"
    assert "Retry-After" in first.reason
    assert len(server.requests_for("/feed.xml")) == 1
    assert load_state(tmp_path)["Test"].retry_not_before is not None
    assert second.status == "deferred"


def test_410_stops_fetching(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=410, body=b"gone", content_type="text/plain")

    first = fetch_one(server, tmp_path)
    second = fetch_one(server, tmp_path)

    assert first.status == "failed"
    assert "410" in first.reason
    assert load_state(tmp_path)["Test"].gone is True
    assert second.status == "failed"
    assert "no longer fetched" in second.reason
    assert len(server.requests_for("/feed.xml")) == 1


def test_gone_feed_fetched_again_after_url_change(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=410)
    server.routes["/new.xml"] = Route(body=rss(rss_item(1)))
    fetch_one(server, tmp_path)

    outcome = fetch_one(server, tmp_path, "/new.xml")

    assert outcome.status == "new"
    assert load_state(tmp_path)["Test"].gone is False


@pytest.mark.parametrize(
    ("fixture", "content_type"),
    [
        ("cp1252-declared.xml", "application/xml"),
        ("cp1252-undeclared.xml", "text/xml; charset=windows-1252"),
        ("cp1252-undeclared.xml", "application/xml"),
        ("utf8-bom.xml", "application/xml"),
    ],
    ids=["declared-in-xml", "declared-in-http", "undeclared", "utf8-bom"],
)
def test_charset_decoded(server: FeedServer, tmp_path: Path, fixture: str, content_type: str) -> None:
    server.routes["/feed.xml"] = Route(body=(FEEDS / fixture).read_bytes(), content_type=content_type)

    outcome = fetch_one(server, tmp_path)

    assert outcome.status == "new"
    [item] = read_archive(tmp_path).items
    assert item.title == "Caf\u00e9 \u201cquotes\u201d cost 5\u20ac"
    assert item.summary == "Cr\u00e8me br\u00fbl\u00e9e \u2013 na\u00efve text."


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("rss2.xml", {"weekly-001", "weekly-002", "weekly-003", "weekly-005", "weekly-006"}),
        ("rss1.rdf", {"https://preprints.example/p/1", "https://preprints.example/p/2"}),
        ("atom.xml", {"tag:lab.example,2026:post-7", "tag:lab.example,2026:post-8"}),
    ],
)
def test_feed_format_parsed(server: FeedServer, tmp_path: Path, fixture: str, expected: set[str]) -> None:
    server.routes["/feed.xml"] = Route(body=(FEEDS / fixture).read_bytes(), content_type="application/xml")

    outcome = fetch_one(server, tmp_path)

    identities = {item.id for item in read_archive(tmp_path).items}
    assert outcome.status == "new"
    assert expected <= identities


def test_concurrency_is_bounded(server: FeedServer, tmp_path: Path) -> None:
    for number in range(6):
        server.routes[f"/{number}.xml"] = Route(body=rss(rss_item(number)), delay_seconds=0.3)
    feeds = [FeedSource(f"Feed {number}", server.url(f"/{number}.xml")) for number in range(6)]

    started = time.monotonic()
    report = fetch_all(feeds, tmp_path, FetchSettings(concurrency=2))
    elapsed = time.monotonic() - started

    assert [outcome.status for outcome in report.outcomes] == ["new"] * 6
    assert server.max_active == 2
    assert elapsed >= 0.9


def test_fetch_feed_raises_with_status(server: FeedServer) -> None:
    server.routes["/feed.xml"] = Route(status=403)

    with pytest.raises(FetchError) as caught:
        fetch_feed(server.url("/feed.xml"), FAST)

    assert caught.value.status == 403
    assert caught.value.attempts == 1


def test_connection_refused_reported(tmp_path: Path) -> None:
    # Port 9 (discard) on 127.0.0.1 has no listener on a test machine, so the connection is refused.
    report = fetch_all([FeedSource("Closed", "http://127.0.0.1:9/feed.xml")], tmp_path, FetchSettings(retries=0))

    assert report.outcomes[0].status == "failed"
    assert "connection failed" in report.outcomes[0].reason
    assert report.all_failed


def test_undated_item_keeps_first_seen_time(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=rss(rss_item(1, date=None)))
    first_run = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    fetch_one(server, tmp_path, now=first_run)
    fetch_one(server, tmp_path, now=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))

    [item] = read_archive(tmp_path).items
    assert item.published == "2026-12-01T09:00:00Z"
    assert item.date_source == "first_seen"


def test_every_feed_fixture_is_used() -> None:
    sources = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_digest_*.py"))

    unused = [path.name for path in FEEDS.iterdir() if path.name not in sources]

    assert unused == []


def write_state(archive: Path, feeds: dict[str, dict]) -> None:
    archive.mkdir(parents=True, exist_ok=True)
    (archive / "state.json").write_text(json.dumps({"feeds": feeds}), encoding="utf-8")


def test_invalid_state_fields_ignored_with_warning(
    server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/good.xml"] = Route(body=rss(rss_item(1)))
    bad = {
        "configured_url": server.url("/gone.xml"),
        "url": server.url("/gone.xml"),
        "error_streak": "x",
        "retry_not_before": "tomorrow",
        "etag": 5,
        "gone": "false",
    }
    write_state(tmp_path, {"Bad": bad})
    feeds = [FeedSource("Good", server.url("/good.xml")), FeedSource("Bad", server.url("/gone.xml"))]

    report = fetch_all(feeds, tmp_path, FAST)

    good, failed = report.outcomes
    assert good.new_items == 1
    assert failed.reason.startswith("HTTP 404")
    [request] = server.requests_for("/gone.xml")
    assert "if-none-match" not in request.headers
    state = load_state(tmp_path)
    assert state["Bad"].error_streak == 1
    assert state["Bad"].gone is False
    assert state["Bad"].retry_not_before is None
    assert state["Good"].last_success is not None
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    for field in ("error_streak", "retry_not_before", "etag", "gone"):
        assert any(
            str(tmp_path / "state.json") in message and "'Bad'" in message and f"field '{field}'" in message
            for message in warnings
        ), (field, warnings)


def test_state_record_not_object_starts_over(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=rss(rss_item(1)))
    server.routes["/other.xml"] = Route(body=rss(rss_item(2)), etag='"v1"')
    other = {"configured_url": server.url("/other.xml"), "url": server.url("/other.xml"), "etag": '"v1"'}
    write_state(tmp_path, {"Test": "broken", "Other": other})
    feeds = [FeedSource("Test", server.url("/feed.xml")), FeedSource("Other", server.url("/other.xml"))]

    report = fetch_all(feeds, tmp_path, FAST)

    assert report.outcomes[0].new_items == 1
    assert report.outcomes[1].status == "unchanged"
    assert not (tmp_path / "state.json.corrupt").exists()
    assert load_state(tmp_path)["Test"].url == server.url("/feed.xml")


def test_state_folder_rejected_before_fetching(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(body=rss(rss_item(1)))
    (tmp_path / "state.json").mkdir(parents=True)

    with pytest.raises(ValueError, match="state.json is a folder"):
        fetch_one(server, tmp_path)

    assert server.requests_for("/feed.xml") == []
    assert read_archive(tmp_path).items == []


@pytest.mark.parametrize("body", [b"", b"  \n", b"\xef\xbb\xbf"])
def test_empty_body_fails_feed(server: FeedServer, tmp_path: Path, body: bytes) -> None:
    server.routes["/feed.xml"] = Route(body=body)

    outcome = fetch_one(server, tmp_path)

    assert outcome.failed
    assert "AttributeError" not in outcome.reason
    expected = "empty response (HTTP 200 with no body)" if not body else "not a valid feed"
    assert outcome.reason.startswith(expected), outcome.reason
    assert load_state(tmp_path)["Test"].error_streak == 1


def test_repeated_guid_kept_once_and_logged(
    server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = rss_item(1).replace("<title>Story 1</title>", "<title>First copy</title>")
    second = rss_item(1).replace("<title>Story 1</title>", "<title>Second copy</title>")
    server.routes["/feed.xml"] = Route(body=rss(first, second, rss_item(2)))
    caplog.set_level(logging.DEBUG, logger="wiki_tools.digest.update")

    outcome = fetch_one(server, tmp_path)

    assert outcome.new_items == 2
    titles = sorted(item.title for item in read_archive(tmp_path).items)
    assert titles == ["First copy", "Story 2"]
    [message] = [record.getMessage() for record in caplog.records if "seen earlier" in record.getMessage()]
    assert "'Test' listed 1 entries" in message
    assert "story-1" in message
