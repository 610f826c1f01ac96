"""One normalised feed item: a stable identity, a UTC date, an absolute link, plain title, safe summary.

An item is stored once and never rewritten, so everything here must return the same result for the same
entry on every fetch. The one exception is the first-seen time of an undated item, which is taken
from the fetch that first stored it and then kept.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

from .mentions import find_references, normalise_link
from .sanitize import DEFAULT_SUMMARY_CHARS, plain_text, sanitize_html, truncate_html, xml_text

__all__ = ["Item", "format_timestamp", "item_from_entry", "parse_date", "parse_timestamp"]

DATE_SOURCE_FEED = "feed"
DATE_SOURCE_FIRST_SEEN = "first_seen"

# Dates outside this window are placeholders or typos, not publication times: feeds write the Unix
# epoch for "unknown", and a date in the future would pin an item to the top of the digest.
EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_URL_WHITESPACE = re.compile(r"[\t\n\r]")
_RFC822_ZONE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*([+-]\d{4}|[A-Za-z]{1,5})\s*$")
# The zone names that RFC 822 defines, which `email.utils` converts. Others (CET, IST) are ambiguous.
_RFC822_ZONE_NAMES = {"UT", "UTC", "GMT", "Z", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}


@dataclass(frozen=True)
class Item:
    """One archived feed item, as stored on one line of a monthly JSON Lines file."""

    feed: str
    """Name of the feed in `mkdocs.yml`, which together with `id` identifies the item."""
    id: str
    """The entry's `guid` or Atom `id`, or `sha256:` and a hash of the normalised link and the title when it has none."""
    title: str
    """Plain text, without markup."""
    link: str | None
    """Absolute `http` or `https` URL of the story, or None when the feed gave no usable link."""
    published: str
    """UTC time as `YYYY-MM-DDTHH:MM:SSZ`: the feed's date, or the first-seen time (see `date_source`)."""
    date_source: str
    """`feed` when `published` comes from the feed, `first_seen` when the feed gave no valid date."""
    summary: str = ""
    """Sanitised HTML, cut to a readable length."""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    """Categories given by the feed for this entry."""
    arxiv: tuple[str, ...] = ()
    """arXiv identifiers (without version) cited anywhere in the entry, found before the summary was cut."""
    doi: tuple[str, ...] = ()
    """DOIs (lower case) cited anywhere in the entry."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Fields of a stored line that this version does not know, kept so that rewriting a file loses nothing."""

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """Order of lines in a monthly file: time, then feed, then identity, so that every run sorts alike."""
        return (self.published, self.feed, self.id)

    @property
    def month(self) -> str:
        """`YYYY-MM` of `published`, which names the archive file holding the item."""
        return self.published[:7]

    @cached_property
    def date(self) -> datetime:
        """`published` as an aware UTC datetime."""
        return parse_timestamp(self.published)

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        extra = record.pop("extra")
        record["authors"] = list(self.authors)
        record["tags"] = list(self.tags)
        record["arxiv"] = list(self.arxiv)
        record["doi"] = list(self.doi)
        return {**extra, **record}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Item:
        """Rebuild an item from a stored line.

        Raises:
            KeyError, TypeError, ValueError: a required field is missing or has the wrong type.
        """
        known = {
            "feed",
            "id",
            "title",
            "link",
            "published",
            "date_source",
            "summary",
            "authors",
            "tags",
            "arxiv",
            "doi",
        }
        for name in ("feed", "id", "title", "published", "date_source"):
            if not isinstance(record[name], str):
                raise TypeError(f"field {name!r} must be a string, not {type(record[name]).__name__}")
        # Optional fields are checked too, because the pages call string methods on them and a
        # hand-edited line with another type would stop the build instead of being reported.
        for name in ("link", "summary"):
            value = record.get(name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"field {name!r} must be a string or null, not {type(value).__name__}")
        for name in ("authors", "tags", "arxiv", "doi"):
            value = record.get(name)
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
                raise TypeError(f"field {name!r} must be a list of strings, received {json.dumps(value)[:80]}")
        parse_timestamp(record["published"])
        return cls(
            feed=record["feed"],
            id=record["id"],
            title=record["title"],
            link=record.get("link") or None,
            published=record["published"],
            date_source=record["date_source"],
            summary=record.get("summary") or "",
            authors=tuple(record.get("authors") or ()),
            tags=tuple(record.get("tags") or ()),
            arxiv=tuple(record.get("arxiv") or ()),
            doi=tuple(record.get("doi") or ()),
            extra={key: value for key, value in record.items() if key not in known},
        )


def format_timestamp(moment: datetime) -> str:
    """Return `moment` in UTC as `YYYY-MM-DDTHH:MM:SSZ`, the one timestamp form of the archive."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp written by `format_timestamp`.

    Raises:
        ValueError: `text` is not in that form.
    """
    # The pattern check keeps the archive to one form. `fromisoformat` is several times faster than
    # `strptime`, which matters when a build reads 50,000 items.
    if not _TIMESTAMP.match(text):
        raise ValueError(f"expected a UTC time such as 2026-12-04T09:30:00Z, received {text!r}")
    return datetime.fromisoformat(text)


def parse_date(text: str | None, now: datetime) -> datetime | None:
    """Parse a feed date strictly, returning it in UTC, or None when it is missing or ambiguous.

    Accepted: RFC 822/2822 dates with a zone (RSS), RFC 3339 timestamps with an offset (Atom), and
    plain `YYYY-MM-DD` calendar dates, read as midnight UTC. A time without a zone is rejected,
    because its offset would be a guess of up to 14 hours. So are dates before 1995 and dates more
    than a day after `now`.
    """
    if not text or not text.strip():
        return None
    text = " ".join(text.split())

    moment = _parse_iso(text) if text[:4].isdigit() else _parse_rfc822(text)
    if moment is None or moment < EARLIEST_DATE or moment > now + FUTURE_TOLERANCE:
        return None
    return moment


def _parse_iso(text: str) -> datetime | None:
    if _ISO_DATE.match(text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            return None
    if not _ISO_DATETIME.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text.upper().replace(" ", "T", 1))
    except ValueError:
        return None
    return moment.astimezone(UTC)


def _parse_rfc822(text: str) -> datetime | None:
    # `parsedate_tz` reads a missing or unknown zone as UTC, so the zone is checked here first.
    zone = _RFC822_ZONE.search(text)
    if zone is None:
        return None
    name = zone.group(1).upper()
    if name.isalpha() and name not in _RFC822_ZONE_NAMES:
        return None
    try:
        parts = email.utils.parsedate_tz(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parts is None:
        return None

    # RFC 2822 defines "-0000" as a UTC time whose local zone is unknown, which is still a UTC time.
    offset = parts[9] or 0
    try:
        return datetime(*parts[:6], tzinfo=UTC) - timedelta(seconds=offset)
    except (ValueError, OverflowError):
        return None


def item_from_entry(
    entry: dict[str, Any],
    *,
    feed: str,
    base_url: str,
    seen_at: datetime,
    summary_chars: int = DEFAULT_SUMMARY_CHARS,
) -> Item | None:
    """Normalise one feedparser entry, or return None when it has no link, title or text to identify it.

    `entry` must come from `feedparser.parse` with `resolve_relative_uris=False` and
    `sanitize_html=False`, so that nh3 is the only sanitiser and relative GUIDs stay as written.
    `base_url` is the URL the feed was finally received from: links resolve against the entry's
    `xml:base` and then against it.
    """
    link = _absolute_http_url(entry.get("link"), base_url)
    title = _title(entry)
    raw_html, content_base = _summary_html(entry, base_url)
    summary = truncate_html(sanitize_html(raw_html, content_base), summary_chars)

    identity = _identity(entry, link, title, raw_html)
    if identity is None:
        return None

    moment = None
    for name in ("published", "updated", "created"):
        # `dict.get` skips feedparser's deprecated fallback from `updated` to `published`.
        moment = parse_date(dict.get(entry, name), seen_at)
        if moment is not None:
            break

    # Mentions are searched in the whole entry, because cutting the summary can drop the cited link.
    searched = " ".join([link or "", title, raw_html, *(str(item.get("href", "")) for item in entry.get("links", []))])
    arxiv_ids, dois = find_references(searched)

    return Item(
        feed=feed,
        id=identity,
        title=title or (plain_text(summary)[:120] if summary else link or ""),
        link=link,
        published=format_timestamp(moment or seen_at),
        date_source=DATE_SOURCE_FEED if moment is not None else DATE_SOURCE_FIRST_SEEN,
        summary=summary,
        authors=tuple(_authors(entry)),
        tags=tuple(sorted({plain_text(tag.get("term") or "") for tag in entry.get("tags", [])} - {""})),
        arxiv=arxiv_ids,
        doi=dois,
    )


def _identity(entry: dict[str, Any], link: str | None, title: str, raw_html: str) -> str | None:
    # A GUID is stored and compared, never published, but a stored string must stay valid XML text.
    guid = xml_text(entry.get("id") or "").strip()
    if guid:
        return guid
    if not link and not title and not raw_html.strip():
        return None
    # The link is normalised first, so that a tracking parameter that changes between fetches
    # (`utm_source=...`) does not make the same entry look new.
    material = f"{normalise_link(link) if link else ''}\n{title}" if (link or title) else raw_html
    return "sha256:" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def _title(entry: dict[str, Any]) -> str:
    # feedparser guesses whether an RSS title is HTML, and many feeds escape markup into titles, so
    # tags are always removed. A title that really names a tag, such as "Use <br>", loses the tag.
    return plain_text(entry.get("title") or "")


def _summary_html(entry: dict[str, Any], base_url: str) -> tuple[str, str]:
    """Return the entry's summary as HTML and the URL its relative links resolve against."""
    # The summary is the short form. Full content is the fallback for feeds that only send content.
    candidates = [entry.get("summary_detail") or {}, *(entry.get("content") or [])]
    for detail in candidates:
        value = detail.get("value") or ""
        if value.strip():
            if detail.get("type") == "text/plain":
                value = html.escape(value)
            return value, urljoin(base_url, detail.get("base") or "")
    return "", base_url


def _authors(entry: dict[str, Any]) -> list[str]:
    names = [plain_text(author.get("name") or "") for author in entry.get("authors") or []]
    names = [name for name in names if name]
    if not names and entry.get("author"):
        names = [plain_text(entry["author"])]
    return names


def _absolute_http_url(value: str | None, base_url: str) -> str | None:
    # URL parsers in browsers (WHATWG URL Standard) drop tab and newline characters inside a URL.
    # The other control characters are removed as well, because the link is written into XML.
    value = _URL_WHITESPACE.sub("", xml_text(value or "")).strip()
    if not value:
        return None
    url = urljoin(base_url, value)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url
