"""HTML for citations in pages: the inline label with its hover card, and the References section."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

from ...papers.catalog import CatalogEntry
from ...papers.citations import CitationGroup

__all__ = ["CARD_ABSTRACT_CHARS", "render_citation_group", "render_references", "shorten"]

CARD_ABSTRACT_CHARS = 280

def shorten(text: str, limit: int) -> str:
    """Cut `text` at a word boundary before `limit` characters and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return f"{cut}…"


def render_citation_group(
    group: CitationGroup,
    entries: dict[str, CatalogEntry],
    hrefs: dict[str, str],
    abstracts: dict[str, str],
    card_numbers: Iterator[int],
    card: bool = True,
) -> str:
    """Render `[@a; @b, p. 5]` as `(A et al., 2017; B, 2019, p. 5)`, each label linked to its paper page.

    Every key of `group` must be in `entries`, and `hrefs` maps each key to its page's relative URL.
    `card_numbers` numbers the hover cards. Give each page its own counter, so that the ids are unique
    within the page and the same on every build. If they changed, a cache keyed by a page's HTML, such
    as the demos' render cache, would miss on every `mkdocs serve` rebuild. With `card` false, the
    labels are plain links, as a heading needs.
    """
    parts = []
    for citation in group.citations:
        entry = entries[citation.key]
        label = entry.year_label if citation.suppress_author else entry.label
        text = escape(label)
        if citation.prefix:
            text = f"{escape(citation.prefix)} {text}"
        if citation.locator:
            text = f"{text}, {escape(citation.locator)}"
        if not card:
            parts.append(f'<a class="wiki-cite__link" href="{escape(hrefs[citation.key])}">{text}</a>')
            continue
        card_id = f"wiki-cite-card-{next(card_numbers)}"
        parts.append(_render_one(entry, text, hrefs[citation.key], abstracts.get(citation.key, ""), card_id))
    return f'<span class="wiki-cite-group">({"; ".join(parts)})</span>'


def _render_one(entry: CatalogEntry, text: str, href: str, abstract: str, card_id: str) -> str:
    details = [f'<span class="wiki-cite__title">{escape(entry.title)}</span>']
    byline = ", ".join(part for part in (entry.author_text, entry.year) if part)
    if byline:
        details.append(f'<span class="wiki-cite__byline">{escape(byline)}</span>')
    if abstract:
        details.append(f'<span class="wiki-cite__abstract">{escape(shorten(abstract, CARD_ABSTRACT_CHARS))}</span>')
    card = f'<span class="wiki-cite__card" role="tooltip" id="{card_id}">{"".join(details)}</span>'
    link = f'<a class="wiki-cite__link" href="{escape(href)}" aria-describedby="{card_id}">{text}</a>'
    return f'<span class="wiki-cite" data-key="{escape(entry.key)}">{link}{card}</span>'


def render_references(keys: list[str], entries: dict[str, CatalogEntry], hrefs: dict[str, str], title: str) -> str:
    """Render the References section that ends a page: the cited entries in the order first cited."""
    items = []
    for key in keys:
        entry = entries[key]
        reference = entry.reference_html.replace(
            f'<span class="wiki-ref__title">{escape(entry.title)}</span>',
            f'<span class="wiki-ref__title"><a href="{escape(hrefs[key])}">{escape(entry.title)}</a></span>',
            1,
        )
        links = f' <span class="wiki-ref__links">{entry.links_html}</span>' if entry.links_html else ""
        items.append(f'<li class="wiki-ref" data-key="{escape(key)}">{reference}{links}</li>')
    return f'<h2 id="references">{escape(title)}</h2>\n<ol class="wiki-references">\n' + "\n".join(items) + "\n</ol>"
