"""HTML of the pages that the bibliography plugin generates: the hit list and one page per paper."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html import escape

from ...papers.catalog import Catalog, CatalogEntry

__all__ = [
    "PAPER_SECTIONS",
    "Backlink",
    "PaperContext",
    "group_by_topic",
    "render_hit_list",
    "render_paper_body",
    "topic_anchor",
]

READ_STATES = ("to-read", "reading", "read")
TO_READ_LIMIT = 25

# Sections of a paper page, in order, as (id, heading). The table of contents lists them.
PAPER_SECTIONS = (
    ("abstract", "Abstract"),
    ("links", "Links"),
    ("cited-on", "Cited on"),
    ("related", "Related"),
    ("bibtex", "BibTeX"),
)


@dataclass(frozen=True)
class Backlink:
    """A wiki page that cites a paper, with its relative URL as seen from the paper's page."""

    title: str
    href: str
    count: int = 1


@dataclass
class PaperContext:
    """Everything a paper page shows beyond the entry itself."""

    abstract: str = ""
    version_label: str = ""
    """For example `v5, updated 2023-08-02`, from the arXiv metadata cache."""
    categories: list[str] = field(default_factory=list)
    backlinks: list[Backlink] = field(default_factory=list)
    related: list[tuple[CatalogEntry, str]] = field(default_factory=list)
    """Entries that share a keyword, each with the relative URL of its page."""
    mentions_html: str = ""
    """The "Mentioned in the digests" section, rendered by the digest integration, or empty."""
    hit_list_href: str = ""
    topics: set[str] = field(default_factory=set)
    """Topics with a heading on the hit list, which a keyword links to. Other keywords are plain text."""


def group_by_topic(catalog: Catalog, untagged_topic: str) -> dict[str, list[CatalogEntry]]:
    """Group entries by their first keyword, topics sorted by name and entries by year, newest first."""
    groups: dict[str, list[CatalogEntry]] = defaultdict(list)
    for entry in catalog:
        topic = entry.keywords[0] if entry.keywords else untagged_topic
        groups[topic].append(entry)
    return {
        topic: sorted(groups[topic], key=lambda entry: (entry.year or "0000", entry.key), reverse=True)
        for topic in sorted(groups, key=str.casefold)
    }


def topic_anchor(topic: str) -> str:
    """Return the HTML id of a topic heading: `fine-tuning` becomes `topic-fine-tuning`."""
    slug = "".join(character if character.isalnum() else "-" for character in topic.casefold()).strip("-")
    return f"topic-{slug or 'other'}"


def render_hit_list(groups: dict[str, list[CatalogEntry]], hrefs: dict[str, str]) -> str:
    """Render the hit list: reading progress, what to read next, a filter box and the entries by topic."""
    parts = [_render_progress(groups), _render_to_read(groups, hrefs), _FILTER_BOX]
    parts.append('<div class="wiki-hit-list__groups" data-wiki-hit-list>')
    for topic, entries in groups.items():
        parts.append(f'<section class="wiki-hit-list__group" data-topic="{escape(topic)}">')
        parts.append(f'<h2 id="{topic_anchor(topic)}">{escape(topic.capitalize())}</h2>')
        parts.append('<ul class="wiki-hit-list">')
        parts.extend(_render_item(entry, hrefs[entry.key], topic) for entry in entries)
        parts.append("</ul></section>")
    parts.append("</div>")
    return "\n".join(parts)


_FILTER_BOX = """<div class="wiki-hit-list__controls" hidden>
<label>Filter <input type="search" class="wiki-hit-list__filter" placeholder="Title, author, year or topic"></label>
<span class="wiki-hit-list__group-by" role="group" aria-label="Group entries by">
<button type="button" class="md-button md-button--primary" data-group-by="topic" aria-pressed="true">By topic</button>
<button type="button" class="md-button" data-group-by="year" aria-pressed="false">By year</button>
</span>
<span class="wiki-hit-list__count" aria-live="polite"></span>
</div>"""


def _render_progress(groups: dict[str, list[CatalogEntry]]) -> str:
    rows = []
    for topic, entries in groups.items():
        tracked = [entry for entry in entries if entry.readstatus in READ_STATES]
        if not tracked:
            continue
        done = sum(entry.readstatus == "read" for entry in tracked)
        rows.append(
            f"<tr><td>{escape(topic.capitalize())}</td><td>{done} of {len(tracked)}</td>"
            f'<td><progress max="{len(tracked)}" value="{done}" aria-label="{escape(topic)}: {done} of {len(tracked)} read">'
            f"{done}/{len(tracked)}</progress></td></tr>"
        )
    if not rows:
        return ""
    return (
        '<h2 id="reading-progress">Reading progress</h2>\n'
        "<table><thead><tr><th>Topic</th><th>Read</th><th>Progress</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _render_to_read(groups: dict[str, list[CatalogEntry]], hrefs: dict[str, str]) -> str:
    unread = [entry for entries in groups.values() for entry in entries if entry.readstatus in ("to-read", "reading")]
    if not unread:
        return ""
    unread.sort(key=lambda entry: (entry.priority or 9, entry.readstatus != "reading", entry.added or "9999", entry.key))
    items = []
    for entry in unread[:TO_READ_LIMIT]:
        priority = f"priority {entry.priority}" if entry.priority else "no priority"
        items.append(
            f'<li><a href="{escape(hrefs[entry.key])}">{escape(entry.title)}</a> '
            f'<span class="wiki-badge wiki-badge--{escape(entry.readstatus)}">{escape(entry.readstatus)}</span> '
            f'<span class="wiki-muted">{escape(entry.label)}, {priority}</span></li>'
        )
    more = len(unread) - TO_READ_LIMIT
    tail = f"<p>… and {more} more unread entries below.</p>" if more > 0 else ""
    return f'<h2 id="to-read-next">To read next</h2>\n<ol class="wiki-to-read">{"".join(items)}</ol>{tail}'


def _render_item(entry: CatalogEntry, href: str, topic: str) -> str:
    reference = _link_title(entry, href)
    links = f' <span class="wiki-ref__links">{entry.links_html}</span>' if entry.links_html else ""
    badge = (
        f' <span class="wiki-badge wiki-badge--{escape(entry.readstatus)}">{escape(entry.readstatus)}</span>'
        if entry.readstatus in READ_STATES
        else ""
    )
    return (
        f'<li class="wiki-ref" id="{escape(entry.key)}" data-key="{escape(entry.key)}" '
        f'data-year="{escape(entry.year)}" data-topic="{escape(topic)}">{reference}{badge}{links}</li>'
    )


def _link_title(entry: CatalogEntry, href: str) -> str:
    plain = f'<span class="wiki-ref__title">{escape(entry.title)}</span>'
    linked = f'<span class="wiki-ref__title"><a href="{escape(href)}">{escape(entry.title)}</a></span>'
    return entry.reference_html.replace(plain, linked, 1)


def render_paper_body(entry: CatalogEntry, context: PaperContext, notes_html: str = "") -> tuple[str, str]:
    """Render a paper page as two HTML parts: the head (metadata, abstract, links) and the tail.

    Notes written by the editor go between the two parts.
    """
    head = [_render_meta(entry, context)]

    abstract = context.abstract or entry.abstract
    head.append('<h2 id="abstract">Abstract</h2>')
    if abstract:
        # The class lets the KaTeX start-up script typeset the TeX math that arXiv abstracts contain.
        head.append(f'<p class="wiki-paper-abstract">{escape(abstract)}</p>')
    else:
        head.append('<p class="wiki-muted">No abstract is known yet.</p>')

    head.append('<h2 id="links">Links</h2>')
    head.append(f"<p>{entry.links_html}</p>" if entry.links_html else '<p class="wiki-muted">No links.</p>')

    tail = ['<h2 id="cited-on">Cited on</h2>']
    if context.backlinks:
        items = "".join(
            f'<li><a href="{escape(link.href)}">{escape(link.title)}</a>'
            + (f" ({link.count} citations)" if link.count > 1 else "")
            + "</li>"
            for link in context.backlinks
        )
        tail.append(f'<ul class="wiki-backlinks">{items}</ul>')
    else:
        tail.append('<p class="wiki-muted">No page of the wiki cites this paper yet.</p>')

    if context.mentions_html:
        tail.append(context.mentions_html)

    tail.append('<h2 id="related">Related</h2>')
    if context.related:
        items = "".join(
            f'<li><a href="{escape(href)}">{escape(other.title)}</a> <span class="wiki-muted">({escape(other.label)})</span></li>'
            for other, href in context.related
        )
        tail.append(f"<ul>{items}</ul>")
    else:
        tail.append('<p class="wiki-muted">No other entry shares a keyword with this one.</p>')

    tail.append('<h2 id="bibtex">BibTeX</h2>')
    tail.append(
        f'<div class="highlight"><pre><span></span><code class="language-bibtex">{escape(entry.source)}</code></pre></div>'
    )
    return "\n".join(head), "\n".join(tail)


def _render_meta(entry: CatalogEntry, context: PaperContext) -> str:
    rows = [("Authors", escape(", ".join(entry.authors)) if entry.authors else "")]
    rows.append(("Venue", escape(entry.venue)))
    rows.append(("Year", escape(entry.year)))
    if entry.arxiv_id:
        version = f" ({escape(context.version_label)})" if context.version_label else ""
        rows.append(("arXiv", f"{escape(entry.arxiv_id)}{version}"))
    if context.categories:
        rows.append(("Categories", escape(", ".join(context.categories))))
    if entry.doi:
        rows.append(("DOI", escape(entry.doi)))
    if entry.keywords:
        topics = ", ".join(
            f'<a href="{escape(context.hit_list_href)}#{topic_anchor(keyword)}">{escape(keyword)}</a>'
            if keyword in context.topics
            else escape(keyword)
            for keyword in entry.keywords
        )
        rows.append(("Topics", topics))
    if entry.readstatus:
        priority = f", priority {entry.priority}" if entry.priority else ""
        added = f", added {escape(entry.added)}" if entry.added else ""
        rows.append(("Reading", f"{escape(entry.readstatus)}{priority}{added}"))
    rows.append(("Cite as", f"<code>[@{escape(entry.key)}]</code>"))

    body = "".join(f"<tr><th scope=\"row\">{name}</th><td>{value}</td></tr>" for name, value in rows if value)
    return f'<table class="wiki-paper-meta"><tbody>{body}</tbody></table>'
