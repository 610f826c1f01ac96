"""Normalising feed entries: identity, dates, links and titles."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest

from wiki_tools.digest.items import Item, item_from_entry, parse_date

from .digest_support import FEEDS, rss, rss_item

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def entries(document: bytes) -> list:
    return feedparser.parse(document, resolve_relative_uris=False, sanitize_html=False).entries


def normalise(entry, base_url: str = "https://feeds.example/news/rss.xml", seen_at: datetime = NOW) -> Item:
    item = item_from_entry(entry, feed="Test", base_url=base_url, seen_at=seen_at)
    assert item is not None
    return item


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 01 Dec 2026 09:30:00 +0100", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
        ("Tue, 01 Dec 2026 09:30:00 GMT", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("Tue, 01 Dec 2026 09:30:00 EST", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
        ("Tue, 01 Dec 2026 09:30:00 -0000", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("01 Dec 2026 09:30 +0000", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("2026-12-01T09:30:00Z", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("2026-12-01T09:30:00.123+05:30", datetime(2026, 12, 1, 4, 0, 0, 123000, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("Tue, 01 Dec 2026 09:30:00", None),
        ("Tue, 01 Dec 2026 09:30:00 CET", None),
        ("2026-12-01T09:30:00", None),
        ("2020/1/10 14:33:00", None),
        ("next Tuesday, probably", None),
        ("2026-13-45T09:30:00Z", None),
        ("Thu, 01 Jan 1970 00:00:00 GMT", None),
        ("Fri, 01 Jan 2100 00:00:00 GMT", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text, NOW) == expected


def test_guid_is_identity() -> None:
    [entry] = entries(rss(rss_item(1)))

    assert normalise(entry).id == "story-1"


def test_relative_guid_kept_as_written() -> None:
    [entry] = entries(rss("<item><title>A</title><guid>post-1</guid></item>"))

    assert normalise(entry).id == "post-1"


def test_missing_guid_hashes_link_and_title() -> None:
    [entry] = entries(rss(rss_item(1, guid=False)))
    [same] = entries(rss(rss_item(1, guid=False, extra="<category>new</category>")))
    [retitled] = entries(rss(rss_item(1, guid=False).replace("Story 1", "Story one")))

    item = normalise(entry)
    assert item.id.startswith("sha256:")
    assert normalise(same).id == item.id
    assert normalise(retitled).id != item.id


def test_missing_guid_ignores_tracking_parameters() -> None:
    [first] = entries(rss("<item><title>A</title><link>https://x.example/a?utm_source=mon</link></item>"))
    [second] = entries(rss("<item><title>A</title><link>https://x.example/a?utm_source=tue</link></item>"))

    assert normalise(first).id == normalise(second).id
    assert normalise(first).link == "https://x.example/a?utm_source=mon"


def test_entry_without_anything_skipped() -> None:
    [entry] = entries(rss("<item><category>x</category></item>"))

    assert item_from_entry(entry, feed="Test", base_url="https://feeds.example/", seen_at=NOW) is None


def test_relative_link_resolved_against_base() -> None:
    [entry] = entries(rss("<item><title>A</title><link>../posts/a.html</link></item>"))

    assert normalise(entry).link == "https://feeds.example/posts/a.html"


def test_atom_xml_base_applies_to_links() -> None:
    lead, _ = entries((FEEDS / "atom.xml").read_bytes())

    item = normalise(lead, base_url="https://other.example/atom.xml")

    assert item.link == "https://lab.example/blog/posts/7.html"
    assert 'href="https://lab.example/papers/scaling.pdf"' in item.summary


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,x", "mailto:a@example.org", "ftp://x/y"])
def test_non_http_link_dropped(link: str) -> None:
    [entry] = entries(rss(f"<item><title>A</title><link>{link}</link></item>"))

    assert normalise(entry).link is None


def test_dates_converted_to_utc() -> None:
    lead, _ = entries((FEEDS / "atom.xml").read_bytes())

    item = normalise(lead)

    assert item.published == "2026-12-03T02:45:00Z"
    assert item.date_source == "feed"


def test_updated_used_without_published() -> None:
    _, second = entries((FEEDS / "atom.xml").read_bytes())

    assert normalise(second).published == "2026-12-04T07:00:00Z"


@pytest.mark.parametrize("date", [None, "sometime soon", "Tue, 01 Dec 2026 09:30:00"])
def test_missing_or_ambiguous_date_uses_first_seen(date: str | None) -> None:
    [entry] = entries(rss(rss_item(1, date=date)))

    item = normalise(entry, seen_at=datetime(2026, 12, 2, 6, 0, tzinfo=UTC))

    assert item.published == "2026-12-02T06:00:00Z"
    assert item.date_source == "first_seen"


def test_html_title_becomes_plain_text() -> None:
    [entry] = entries(
        rss("<item><title>LoRA &lt;em&gt;merged&lt;/em&gt; &lt;script&gt;x()&lt;/script&gt;</title></item>")
    )

    assert normalise(entry).title == "LoRA merged"


def test_plain_text_title_keeps_symbols() -> None:
    [entry] = entries(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>x</id>'
        b'<title type="text">a &lt; b &amp;&amp; AT&amp;T</title></entry></feed>'
    )

    assert normalise(entry).title == "a < b && AT&T"


def test_plain_text_summary_escaped() -> None:
    [entry] = entries(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>x</id><title>T</title>'
        b'<summary type="text">a &lt;b&gt; c</summary></entry></feed>'
    )

    assert normalise(entry).summary == "a &lt;b&gt; c"


def test_references_found_in_full_content_before_cut() -> None:
    long_text = "word " * 400
    [entry] = entries(rss(f"<item><title>A</title><description>{long_text} arXiv:2106.09685</description></item>"))

    item = normalise(entry)

    assert "2106.09685" not in item.summary
    assert item.arxiv == ("2106.09685",)


def test_item_json_round_trip_keeps_unknown_fields() -> None:
    [entry] = entries(rss(rss_item(1)))
    record = normalise(entry).to_json() | {"added_by_a_later_version": 1}

    item = Item.from_json(record)

    assert item.to_json() == record


@pytest.mark.parametrize(
    "record",
    [
        {"feed": "x", "id": "1", "title": "t", "published": "yesterday", "date_source": "feed"},
        {"feed": "x", "id": 1, "title": "t", "published": "2026-12-01T00:00:00Z", "date_source": "feed"},
        {"feed": "x", "title": "t", "published": "2026-12-01T00:00:00Z", "date_source": "feed"},
    ],
    ids=["bad-date", "number-id", "missing-id"],
)
def test_item_from_invalid_json_raises(record: dict) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        Item.from_json(record)


def test_title_and_link_lose_xml_forbidden_characters() -> None:
    # The loose parser that feedparser falls back to passes these characters through.
    document = rss(
        "<item><title>Odd \ufffetitle\uffff</title><link>https://news.example/a\x01b</link>"
        "<guid>odd\x02-1</guid></item>"
    )
    [entry] = entries(document)

    item = normalise(entry)

    assert item.title == "Odd title"
    assert item.link == "https://news.example/ab"
    assert item.id == "odd-1"
