"""Citation labels and reference strings in one consistent author-year style.

Everything returned here is HTML with every field escaped, ready to place in a page. The style is
deliberately simple, so that formatting one entry costs microseconds rather than the milliseconds a
full pybtex style spends.
"""

from __future__ import annotations

from html import escape

from .library import Paper

__all__ = ["citation_label", "format_authors", "format_links", "format_reference", "is_web_url"]

MAX_LISTED_AUTHORS = 6


def citation_label(paper: Paper) -> str:
    """Return the short label of a citation as plain text: `Vaswani et al., 2017`."""
    names = paper.author_last_names
    if not names:
        who = paper.title
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {paper.year}" if paper.year else who


def format_authors(paper: Paper, max_authors: int = MAX_LISTED_AUTHORS) -> str:
    """Return the author list as plain text, shortened with "et al." after `max_authors` names."""
    names = list(paper.authors)
    if not names:
        return ""
    if len(names) > max_authors:
        return ", ".join(names[:max_authors]) + " et al."
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def format_reference(paper: Paper, href: str | None = None) -> str:
    """Return the full reference as HTML: authors, title (linked to `href` if given), venue and year."""
    authors = escape(format_authors(paper))
    title = escape(paper.title)
    if href:
        title = f'<a href="{escape(href)}">{title}</a>'

    parts = [f'<span class="wiki-ref__authors">{authors}</span>{_stop(authors)}'] if authors else []
    parts.append(f'<span class="wiki-ref__title">{title}</span>{_stop(paper.title)}')
    if paper.venue:
        tail = f"<em>{escape(paper.venue)}</em>" + (f", {escape(paper.year)}" if paper.year else "")
    else:
        tail = escape(paper.year)
    if tail:
        parts.append(f"{tail}.")
    return " ".join(parts)


def _stop(text: str) -> str:
    """Return the full stop that ends a part of a reference, unless the part already ends with punctuation."""
    return "" if text.endswith((".", "?", "!")) else "."


def format_links(paper: Paper) -> str:
    """Return the external links of an entry (arXiv abstract and PDF, DOI, code) as HTML."""
    links = []
    if paper.arxiv_url:
        links.append(f'<a class="wiki-ref__link" href="{escape(paper.arxiv_url)}">arXiv:{escape(paper.arxiv_id)}</a>')
        links.append(f'<a class="wiki-ref__link" href="{escape(paper.pdf_url)}">PDF</a>')
    if paper.doi_url:
        links.append(f'<a class="wiki-ref__link" href="{escape(paper.doi_url)}">DOI</a>')
    if is_web_url(paper.url) and not paper.arxiv_url:
        links.append(f'<a class="wiki-ref__link" href="{escape(paper.url)}">Link</a>')
    if is_web_url(paper.code_url):
        links.append(f'<a class="wiki-ref__link" href="{escape(paper.code_url)}">Code</a>')
    return " · ".join(links)


def is_web_url(url: str) -> bool:
    """Tell whether `url` is an absolute http(s) address, the only kind a `.bib` field may link to."""
    return url.startswith(("https://", "http://"))
