"""HTML of the pages that the digest plugin generates, and the XML of its Atom feed.

Pages are rendered straight to HTML rather than to Markdown, because running Markdown over five
years of items would cost the build tens of seconds. Every string from a feed is either escaped or
passed through the sanitiser again here, so a hand-edited archive cannot inject markup either.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from html import escape

from ...digest.items import DATE_SOURCE_FIRST_SEEN, Item
from ...digest.mentions import Candidate, Mention, Story, Topic, TopicMatcher, group_stories
from ...digest.sanitize import sanitize_html, xml_text

__all__ = [
    "Week",
    "group_by_week",
    "render_atom",
    "render_candidates",
    "render_index",
    "render_paper_mentions",
    "render_week",
]

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
SHARED_SECTION = "In several feeds"
_SEPARATOR = " \u00b7 "


@dataclass
class Week:
    """The items of one ISO week, newest first."""

    year: int
    number: int
    items: list[Item] = field(default_factory=list)

    @property
    def label(self) -> str:
        """ISO 8601 week label, such as `2026-W49`."""
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def title(self) -> str:
        return f"Digest for week {self.number}, {self.year}"

    @property
    def date_range(self) -> str:
        """The week's days, such as `30 November – 6 December 2026`."""
        start, end = self.monday, self.monday + timedelta(days=6)
        if start.year != end.year:
            return f"{_day(start)} {start.year} \u2013 {_day(end)} {end.year}"
        if start.month != end.month:
            return f"{_day(start)} \u2013 {_day(end)} {end.year}"
        return f"{start.day}\u2013{end.day} {end:%B} {end.year}"

    @property
    def updated(self) -> datetime:
        """Time of the newest item, which changes only when the week gains an item."""
        return max(item.date for item in self.items)

    @cached_property
    def stories(self) -> list[Story]:
        """The week's items grouped by link, as the week page lists them. Read only after `items` is complete."""
        return group_stories(self.items)

    @property
    def count_label(self) -> str:
        """The number of stories, and of items when several feeds carried one story: `10 stories from 11 items`."""
        return _count_label(len(self.stories), len(self.items))

    def feed_counts(self) -> Counter[str]:
        """Items per feed. A story carried by several feeds counts once for each of them."""
        return Counter(item.feed for item in self.items)


def _count_label(stories: int, items: int) -> str:
    label = _plural(stories, "story", "stories")
    return label if stories == items else f"{label} from {_plural(items, 'item', 'items')}"


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


@lru_cache(maxsize=4096)
def _format_day(day: str) -> str:
    """Return `2026-12-04` as `Fri 4 Dec 2026`. Cached, because thousands of items share each day."""
    return date.fromisoformat(day).strftime("%a %d %b %Y").replace(" 0", " ")


def _day(moment: date) -> str:
    return f"{moment.day} {moment:%B}"


def group_by_week(items: list[Item]) -> list[Week]:
    """Group items by the ISO week of their UTC date. Weeks and the items in each are newest first."""
    weeks: dict[tuple[int, int], Week] = {}
    for item in items:
        year, number, _ = item.date.isocalendar()
        week = weeks.get((year, number))
        if week is None:
            week = weeks[year, number] = Week(year, number)
        week.items.append(item)
    for week in weeks.values():
        week.items.sort(key=lambda item: item.sort_key, reverse=True)
    return [weeks[key] for key in sorted(weeks, reverse=True)]


@dataclass
class PageLinks:
    """Relative URLs from one generated page to the wiki pages that items link to."""

    paper: Callable[[str], str | None]
    """URL of a paper's page for a citation key, or None when the site has no such page."""
    topics: dict[str, str]
    """URL of each topic's guide page, keyed by the topic's `page`. Topics without a page are left out."""
    cited_keys: Callable[[Item], list[str]]
    """Citation keys of the `papers.bib` entries that an item cites."""


def render_week(week: Week, links: PageLinks, matcher: TopicMatcher) -> tuple[str, list[tuple[str, str]]]:
    """Render a week: stories carried by several feeds first, then one section per feed.

    Returns the HTML and the (title, anchor) pairs of its sections for the table of contents.
    """
    stories = week.stories
    shared = [story for story in stories if len(story.feeds) > 1]
    shared_keys = {story.key for story in shared}
    by_feed: dict[str, list[Story]] = defaultdict(list)
    for story in stories:
        if story.key not in shared_keys:
            by_feed[story.lead.feed].append(story)

    parts = [f'<p class="wiki-digest__range">{escape(week.date_range)} \u00b7 {week.count_label}</p>']
    sections = []
    if shared:
        sections.append((SHARED_SECTION, "shared"))
        parts.append(f'<h2 id="shared">{SHARED_SECTION}</h2>')
        parts.append(_render_stories(shared, links, matcher))
    for feed in sorted(by_feed, key=str.casefold):
        anchor = "feed-" + _slug(feed)
        sections.append((feed, anchor))
        parts.append(f'<h2 id="{anchor}">{escape(feed)}</h2>')
        parts.append(_render_stories(by_feed[feed], links, matcher))
    return "\n".join(parts), sections


def _render_stories(stories: list[Story], links: PageLinks, matcher: TopicMatcher) -> str:
    rendered = "".join(_render_story(story, links, matcher) for story in stories)
    return f'<ul class="wiki-digest">{rendered}</ul>'


def _render_story(story: Story, links: PageLinks, matcher: TopicMatcher) -> str:
    lead = story.lead
    title = escape(lead.title or lead.link or "Untitled")
    if _is_web_link(lead.link):
        title = f'<a href="{escape(lead.link)}" rel="noopener noreferrer">{title}</a>'

    sources = []
    for item in story.items:
        source = escape(item.feed)
        if _is_web_link(item.link) and item.link != lead.link and len(story.items) > 1:
            source = f'<a href="{escape(item.link)}" rel="noopener noreferrer">{source}</a>'
        sources.append(source)
    when = _format_day(lead.published[:10])
    if lead.date_source == DATE_SOURCE_FIRST_SEEN:
        when = f'<span title="The feed gave no date; this is when the item was first fetched.">first seen {when}</span>'
    meta = f'<span class="wiki-digest__meta">{", ".join(sources)} \u00b7 {when}</span>'

    summary = sanitize_html(lead.summary) if lead.summary else ""
    summary_html = f'<div class="wiki-digest__summary">{summary}</div>' if summary else ""

    related = []
    keys = sorted({key for item in story.items for key in links.cited_keys(item)})
    papers = []
    for key in keys:
        url = links.paper(key)
        papers.append(f'<a href="{escape(url)}">{escape(key)}</a>' if url else f"<code>{escape(key)}</code>")
    if papers:
        related.append("Papers: " + ", ".join(papers))
    topics = _topics(story, matcher, links)
    if topics:
        related.append("Topics: " + ", ".join(topics))
    related_html = f'<span class="wiki-digest__related">{_SEPARATOR.join(related)}</span>' if related else ""

    return f'<li class="wiki-digest__item">{title} {meta}{summary_html}{related_html}</li>'


def _topics(story: Story, matcher: TopicMatcher, links: PageLinks) -> list[str]:
    # The summary is searched as sanitised HTML, tags included, because stripping them costs a
    # noticeable share of a large build. Its markup contains no keyword except in link targets, and a
    # link to, say, a page about agents is a fair sign of the topic.
    text = " ".join(f"{item.title} {' '.join(item.tags)} {item.summary}" for item in story.items)
    found: list[Topic] = matcher.find(text)
    return [
        f'<a href="{escape(links.topics[topic.page])}">{escape(topic.title)}</a>'
        for topic in found
        if topic.page in links.topics
    ]


def render_index(weeks: list[Week], week_url: Callable[[Week], str], candidates_url: str, feed_url: str | None) -> str:
    """Render the list of all weeks, newest first, with their story counts and item counts per feed."""
    stories = sum(len(week.stories) for week in weeks)
    items = sum(len(week.items) for week in weeks)
    parts = [
        (
            f"<p>{_count_label(stories, items)} in {_plural(len(weeks), 'week', 'weeks')}. Papers that the digests cite repeatedly but the hit list "
            f'lacks are on <a href="{escape(candidates_url)}">Candidates for the hit list</a>.'
        )
    ]
    if feed_url:
        parts.append(f' Subscribe to the weekly digests with the <a href="{escape(feed_url)}">Atom feed</a>.')
    parts.append("</p>")
    if not weeks:
        parts.append("<p>The archive is empty. Run <code>wiki-tools digest fetch</code> to fill it.</p>")
        return "".join(parts)

    parts.append('<table class="wiki-digest-index"><thead><tr><th>Week</th><th>Dates</th><th>Stories</th>')
    parts.append("<th>Feeds</th></tr></thead><tbody>")
    for week in weeks:
        counts = ", ".join(f"{escape(feed)} ({count})" for feed, count in sorted(week.feed_counts().items()))
        parts.append(
            f'<tr><td><a href="{escape(week_url(week))}">{week.label}</a></td><td>{escape(week.date_range)}</td>'
            f"<td>{len(week.stories)}</td><td>{counts}</td></tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def render_candidates(candidates: list[Candidate], min_mentions: int) -> str:
    """Render the papers that the digests cite at least `min_mentions` times but `papers.bib` lacks."""
    intro = (
        f"<p>Papers cited by at least {min_mentions} digest stories that are not in <code>papers.bib</code>, "
        "most cited first. A story carried by several feeds counts once. Run the command next to one to add it to the hit list.</p>"
    )
    if not candidates:
        return intro + "<p>No candidates at the moment.</p>"

    parts = [intro, '<ul class="wiki-digest-candidates">']
    for candidate in candidates:
        mentions = "".join(
            f"<li>{escape(mention.date.strftime('%Y-%m-%d'))} \u00b7 {escape(mention.feed)}: "
            + (
                f'<a href="{escape(mention.link)}" rel="noopener noreferrer">{escape(mention.title)}</a>'
                if _is_web_link(mention.link)
                else escape(mention.title)
            )
            + "</li>"
            for mention in candidate.mentions
        )
        if candidate.command:
            how = f"<pre><code>{escape(candidate.command)}</code></pre>"
        else:
            how = "<p>Not on arXiv: add a BibTeX entry with this DOI to <code>papers.bib</code> by hand.</p>"
        parts.append(
            f'<li id="{escape(_slug(candidate.identifier))}">'
            f'<a href="{escape(candidate.url)}" rel="noopener noreferrer">{escape(candidate.identifier)}</a> '
            f"\u2014 {candidate.count} mentions, latest {candidate.mentions[0].date:%Y-%m-%d}{how}"
            f"<details><summary>Mentions</summary><ul>{mentions}</ul></details></li>"
        )
    parts.append("</ul>")
    return "".join(parts)


def render_paper_mentions(mentions: list[Mention], week_url: Callable[[str], str] | None = None) -> str:
    """Render the "Mentioned in the digests" section of a paper page, or return "" without mentions.

    `week_url` maps a week label (`2026-W49`) to the URL of its digest page as seen from the paper
    page. Without it, the items are listed without links to the weeks.
    """
    if not mentions:
        return ""
    rows = []
    for mention in mentions:
        title = escape(mention.title or mention.link or "Untitled")
        if _is_web_link(mention.link):
            title = f'<a href="{escape(mention.link)}" rel="noopener noreferrer">{title}</a>'
        week = f' (<a href="{escape(week_url(mention.week))}">{mention.week}</a>)' if week_url else ""
        rows.append(f"<li>{mention.date:%Y-%m-%d} \u00b7 {escape(mention.feed)}: {title}{week}</li>")
    return (
        '<h2 id="mentioned-in-the-digests">Mentioned in the digests</h2>'
        f'<ul class="wiki-digest-mentions">{"".join(rows)}</ul>'
    )


def render_atom(
    weeks: list[Week],
    *,
    site_name: str,
    feed_url: str,
    index_url: str,
    week_url: Callable[[Week], str],
    updated_when_empty: datetime,
) -> bytes:
    """Return an Atom 1.0 document with one entry per week. All URLs must be absolute.

    The feed's `updated` is the time of the newest item, or `updated_when_empty` without weeks,
    because Atom requires the element even in a feed without entries.
    """
    ET.register_namespace("", ATOM_NAMESPACE)

    def element(parent: ET.Element | None, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        # ElementTree writes characters that XML 1.0 forbids as they are, and one of them makes the
        # whole feed unreadable. The fetcher strips them already, but the archive can be edited by hand.
        attributes = {key: xml_text(value) for key, value in attributes.items()}
        name = f"{{{ATOM_NAMESPACE}}}{tag}"
        node = ET.Element(name, attributes) if parent is None else ET.SubElement(parent, name, attributes)
        if text is not None:
            node.text = xml_text(text)
        return node

    feed = element(None, "feed")
    element(feed, "id", index_url)
    element(feed, "title", f"{site_name}: newsletter digests")
    element(feed, "subtitle", "One entry per week with the items of every newsletter the wiki follows.")
    updated = max((week.updated for week in weeks), default=updated_when_empty)
    element(feed, "updated", _rfc3339(updated))
    element(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    element(feed, "link", rel="alternate", type="text/html", href=index_url)
    author = element(feed, "author")
    element(author, "name", site_name)
    element(feed, "generator", "wiki-tools digest")

    for week in weeks:
        url = week_url(week)
        entry = element(feed, "entry")
        element(entry, "id", url)
        element(entry, "title", f"{week.title} ({week.date_range})")
        element(entry, "updated", _rfc3339(week.updated))
        element(entry, "link", rel="alternate", type="text/html", href=url)
        counts = ", ".join(f"{feed_name}: {count}" for feed_name, count in sorted(week.feed_counts().items()))
        element(entry, "summary", f"{week.count_label}. {counts}")
        element(entry, "content", _week_summary_html(week), type="html")

    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _week_summary_html(week: Week) -> str:
    """Render the week's stories for feed readers as a short HTML list: titles with links, no summaries."""
    items = []
    for story in week.stories:
        lead = story.lead
        title = escape(lead.title or lead.link or "Untitled")
        if _is_web_link(lead.link):
            title = f'<a href="{escape(lead.link)}">{title}</a>'
        items.append(f"<li>{title} ({escape(', '.join(story.feeds))})</li>")
    return f"<ul>{''.join(items)}</ul>"


def _is_web_link(link: str | None) -> bool:
    """Tell whether `link` may be published as a link target.

    The fetcher stores only http and https links, but the archive is a committed file that anyone
    can edit, so the build checks again before writing an `href`.
    """
    return bool(link) and link.lower().startswith(("https://", "http://"))


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment.utcoffset() == timedelta(0) else moment.isoformat()


def _slug(text: str) -> str:
    slug = "".join(character if character.isalnum() else "-" for character in text.casefold())
    return "-".join(part for part in slug.split("-") if part) or "feed"
