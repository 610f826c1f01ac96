"""HTML for citations in pages: the inline label with its hover card, and the References section."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from html import escape

from ...papers.catalog import CatalogEntry
from ...papers.citations import Citation, CitationGroup

__all__ = [
    "CARD_ABSTRACT_CHARS",
    "TOKEN_PREFIX",
    "PlacedCitations",
    "citation_text",
    "render_citation_group",
    "render_references",
    "shorten",
]

CARD_ABSTRACT_CHARS = 280
# `$$`, `$`, `\(`, `\)`, `\[` and `\]`, but not an escaped dollar `\$`.
_MATH_DELIMITER = re.compile(r"\$\$|(?<!\\)\$|\\[()\[\]]")

_HEX_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")

# The prefix of any page's tokens, for finding tokens that reached another page's HTML.
TOKEN_PREFIX = re.compile(r"WikiCite[a-p]{8}Q*(?=\d+Token)")

# An HTML start or end tag, whose quoted attribute values may contain `>`. NOTE: each unclosed quote in raw HTML
# makes the match scan to the next quote, so thousands of them on one page take a noticeable fraction of a second.
_TAG = re.compile(r"""</?[A-Za-z][^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")
_LINK_OPEN = re.compile(r"<a[\s>]", re.IGNORECASE)
_LINK_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
# Elements whose text is shown or run as written: code, scripts and the math that arithmatex marks.
_LITERAL_OPEN = re.compile(
    r"<(pre|code|script|style|textarea)\b|<(span|div)\b[^>]*\bclass=\"[^\"]*\barithmatex\b", re.IGNORECASE
)


class PlacedCitations:
    """The citations of one page, held back from Markdown and put into its HTML afterwards.

    A citation's HTML, with its hover card, is a few hundred characters of nested tags. Handed to
    Python-Markdown inside the page's text, it made the conversion of a page with citations up to twice
    as slow. The Markdown gets a short token instead, and `insert` replaces the tokens in the HTML.
    """

    def __init__(self, markdown: str) -> None:
        # Letters and digits only, so that Markdown passes a token through as plain text. Letters from the page's
        # digest keep included snippets and demo outputs from matching, and the prefix grows past the page's text.
        digest = hashlib.sha256(markdown.encode("utf-8")).hexdigest()[:8]
        prefix = "WikiCite" + digest.translate(_HEX_TO_LETTERS)
        while prefix in markdown:
            prefix += "Q"
        self._prefix = prefix
        self._pattern = re.compile(re.escape(prefix) + r"(\d+)Token")
        self._html: list[str] = []
        self._text: list[str] = []
        self._source: list[str] = []
        self._keys: list[list[str]] = []
        self.literal_keys: list[str] = []
        """Keys of the citations that `insert` left as written, one entry per citation, because they were in code or math."""

    def __bool__(self) -> bool:
        return bool(self._html)

    @property
    def prefix(self) -> str:
        """The text that starts each token of this page, such as `WikiCiteabcdefgh`."""
        return self._prefix

    def hold(self, html: str, text: str, source: str = "", keys: list[str] | None = None) -> str:
        """Keep a citation and return the token that stands for it in the Markdown.

        `text` is the plain label for places where tags cannot go. `source` is the citation as written
        and `keys` its citation keys, for a token that ends up in code or math.
        """
        self._html.append(html)
        self._text.append(text)
        self._source.append(source or text)
        self._keys.append(list(keys or []))
        return f"{self._prefix}{len(self._html)}Token"

    def insert(self, html: str, plain: bool = False) -> str:
        """Replace each token in the page's `html` with its citation, or with its plain text if `plain` is true.

        A token inside a tag, such as image alt text that cites a paper, becomes the citation's plain
        text, because markup cannot stand in an attribute. So does a token in the text of a link,
        because a link inside a link is invalid HTML that browsers split apart.
        """

        # The tags are found first, because a `>` inside a quoted attribute value does not end its tag.
        tags = [(tag.start(), tag.end()) for tag in _TAG.finditer(html)] if "<" in html else []
        tag_starts = [start for start, _ in tags]
        link_opens = [start for start, end in tags if _LINK_OPEN.match(html, start, end)]
        link_closes = [start for start, end in tags if _LINK_CLOSE.match(html, start, end)]

        def inside_link(position: int) -> bool:
            opened = bisect.bisect_right(link_opens, position)
            closed = bisect.bisect_right(link_closes, position)
            return opened > 0 and (closed == 0 or link_opens[opened - 1] > link_closes[closed - 1])

        literal = _literal_regions(html, tags)
        literal_starts = [start for start, _ in literal]

        def replace(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            if not 0 <= index < len(self._html):
                return match.group(0)
            region = bisect.bisect_right(literal_starts, match.start()) - 1
            if region >= 0 and match.start() < literal[region][1]:
                # An indented code block, a script or math: the reader sees the citation as written.
                self.literal_keys.extend(self._keys[index])
                return escape(self._source[index])
            position = bisect.bisect_right(tag_starts, match.start()) - 1
            inside_tag = position >= 0 and match.start() < tags[position][1]
            if plain or inside_tag or inside_link(match.start()):
                return escape(self._text[index])
            return self._html[index]

        return self._pattern.sub(replace, html)


def _literal_regions(html: str, tags: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of the text inside code, scripts and math, in order.

    An inner element ends at the first closing tag of its name, which holds for the output of Markdown
    and arithmatex, where these elements contain no element of the same name.
    """
    regions: list[tuple[int, int]] = []
    for start, end in tags:
        if regions and start < regions[-1][1]:
            continue
        match = _LITERAL_OPEN.match(html, start, end)
        if match is None:
            continue
        name = match.group(1) or match.group(2)
        close = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(html, end)
        regions.append((end, close.start() if close else len(html)))
    return regions


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
        text = escape(_label(citation, entry))
        if not card:
            parts.append(f'<a class="wiki-cite__link" href="{escape(hrefs[citation.key])}">{text}</a>')
            continue
        card_id = f"wiki-cite-card-{next(card_numbers)}"
        parts.append(_render_one(entry, text, hrefs[citation.key], abstracts.get(citation.key, ""), card_id))
    return f'<span class="wiki-cite-group">({"; ".join(parts)})</span>'


def citation_text(group: CitationGroup, entries: dict[str, CatalogEntry]) -> str:
    """Return the group's labels as plain text, such as `(A et al., 2017; B, 2019, p. 5)`."""
    return "(" + "; ".join(_label(citation, entries[citation.key]) for citation in group.citations) + ")"


def _label(citation: Citation, entry: CatalogEntry) -> str:
    text = entry.year_label if citation.suppress_author else entry.label
    if citation.prefix:
        text = f"{citation.prefix} {text}"
    if citation.locator:
        text = f"{text}, {citation.locator}"
    return text


def _render_one(entry: CatalogEntry, text: str, href: str, abstract: str, card_id: str) -> str:
    details = [f'<span class="wiki-cite__title">{escape(entry.title)}</span>']
    byline = ", ".join(part for part in (entry.author_text, entry.year) if part)
    if byline:
        details.append(f'<span class="wiki-cite__byline">{escape(byline)}</span>')
    if abstract:
        # A card is not typeset, and a cut could split a formula, so its math is shown without delimiters.
        summary = shorten(_MATH_DELIMITER.sub("", abstract), CARD_ABSTRACT_CHARS)
        details.append(f'<span class="wiki-cite__abstract">{escape(summary)}</span>')
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
