"""HTML for citations in pages: the inline label with its hover card, and the References section."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import defaultdict
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
# Elements whose text is shown or run as written. Math marked by arithmatex is checked apart.
_LITERAL_ELEMENTS = ("pre", "code", "script", "style", "textarea")
# Start and end tags of links and of those elements, in lower-case HTML.
_ELEMENT_MARKER = re.compile(r"<(/?)(a|pre|code|script|style|textarea)[\s>]")
# The start tag of math as arithmatex writes it, inline or as a block.
_MATH_MARKER = re.compile(r'<(span|div) class="arithmatex">')


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

        if self._prefix not in html:
            return html
        around = _Surroundings(html)

        def replace(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            if not 0 <= index < len(self._html):
                return match.group(0)
            position = match.start()
            if around.in_literal(position):
                # An indented code block, a script or math: the reader sees the citation as written.
                self.literal_keys.extend(self._keys[index])
                return escape(self._source[index])
            if plain or around.in_tag(position) or around.in_element(position, "a"):
                return escape(self._text[index])
            return self._html[index]

        return self._pattern.sub(replace, html)


class _Surroundings:
    """The elements around each position of a page's HTML: tags, links, code, scripts and math.

    A page has a few tokens in up to a few hundred kilobytes of HTML (a demo page), so one scan
    notes where the few elements that matter open and close, and each token is then looked up.
    """

    def __init__(self, html: str) -> None:
        self.html = html
        lower = html.lower()
        self.opens: dict[str, list[int]] = defaultdict(list)
        self.closes: dict[str, list[int]] = defaultdict(list)
        for marker in _ELEMENT_MARKER.finditer(lower):
            (self.closes if marker.group(1) else self.opens)[marker.group(2)].append(marker.start())

        self.math: list[tuple[int, int]] = []
        for marker in _MATH_MARKER.finditer(lower):
            close = lower.find(f"</{marker.group(1)}>", marker.end())
            self.math.append((marker.end(), len(html) if close == -1 else close))

    def in_tag(self, position: int) -> bool:
        """Tell whether `position` lies inside a start or end tag, such as in an attribute value."""
        start = self.html.rfind("<", 0, position)
        while start != -1:
            # A `<` that starts no tag, as in `1 < 2`, is text. Look further back for the real tag start.
            tag = _TAG.match(self.html, start)
            if tag is not None:
                return tag.end() > position
            start = self.html.rfind("<", 0, start)
        return False

    def in_element(self, position: int, name: str) -> bool:
        """Tell whether an element `name` is open at `position`. Such elements must not nest, as `a` and `code`."""
        opens, closes = self.opens[name], self.closes[name]
        opened = bisect.bisect_left(opens, position)
        closed = bisect.bisect_left(closes, position)
        return opened > 0 and (closed == 0 or opens[opened - 1] > closes[closed - 1])

    def in_literal(self, position: int) -> bool:
        """Tell whether `position` lies in code, a script or math, whose text is shown or run as written."""
        if any(self.in_element(position, name) for name in _LITERAL_ELEMENTS):
            return True
        region = bisect.bisect_right(self.math, (position, len(self.html))) - 1
        return region >= 0 and self.math[region][0] <= position < self.math[region][1]


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
