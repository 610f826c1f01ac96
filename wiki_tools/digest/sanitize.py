"""The allow-list that feed HTML passes through before it is stored and again before it is published.

Feed content is written by strangers, so only plain formatting and links survive. Scripts, styles,
event handlers, forms, frames and media are removed, images included: an embedded image would make
every reader's browser request a third-party host. Links keep only absolute `http`, `https` and
`mailto` targets and get `rel="noopener noreferrer"`.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

__all__ = ["DEFAULT_SUMMARY_CHARS", "plain_text", "sanitize_html", "truncate_html", "xml_text"]

DEFAULT_SUMMARY_CHARS = 600
"""Characters of visible text kept from an item's summary: about a short paragraph."""

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "dl", "dt", "em", "i", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
LINK_SCHEMES = {"http", "https", "mailto"}

# Elements removed together with their content. Every other element outside the allow-list is
# unwrapped instead, so the text of a heading or a table cell stays readable.
REMOVED_WITH_CONTENT = {
    "script", "style", "iframe", "frame", "frameset", "noscript", "template", "object", "embed",
    "applet", "svg", "math", "form", "textarea", "select", "button", "audio", "video", "title",
}  # fmt: skip

# A link whose content is only whitespace and tags, which is what a linked image leaves behind once
# the image is removed. Attribute values are double-quoted in nh3's output, so a quoted `>` is skipped.
_EMPTY_LINK = re.compile(r'<a\b(?:[^>"]|"[^"]*")*>((?:\s|<(?!/?a\b)(?:[^>"]|"[^"]*")*>)*)</a>', re.IGNORECASE)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>\"]|\"[^\"]*\")*)>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|\w+);")
_VOID_TAGS = {"br"}
_WHITESPACE = re.compile(r"\s+")
# Characters that the XML 1.0 `Char` production excludes: C0 controls other than tab, line feed and
# carriage return, surrogate code points (also how undecodable bytes look after `surrogateescape`),
# U+FFFE and U+FFFF. One of them anywhere makes the site's Atom feed ill-formed. DEL (U+007F) is
# legal XML but never wanted in text, so it goes too.
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Return `text` without the characters that XML 1.0 forbids, so it can be written into any XML document."""
    return _XML_FORBIDDEN.sub("", text)


def _absolute_link(base_url: str | None):
    """Return an attribute filter that resolves `href` against `base_url` and drops unsafe targets."""

    def keep(element: str, attribute: str, value: str) -> str | None:
        if attribute != "href":
            return value
        # Absolute links, which is all that a stored summary holds, need no parsing.
        if value.startswith(("https://", "http://")) and value.strip() == value:
            return value
        target = urljoin(base_url, value.strip()) if base_url else value.strip()
        scheme = urlsplit(target).scheme.lower()
        # A relative link that could not be resolved would point into the wiki itself, so it goes too.
        return target if scheme in LINK_SCHEMES else None

    return keep


def _cleaner(base_url: str | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_absolute_link(base_url),
        url_schemes=LINK_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_DEFAULT_CLEANER = _cleaner(None)


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Return `fragment` reduced to the allow-list, with relative links resolved against `base_url`.

    The result is stable: sanitising it again returns the same string, so the build can re-check
    stored summaries without changing them.
    """
    cleaner = _DEFAULT_CLEANER if base_url is None else _cleaner(base_url)
    cleaned = cleaner.clean(xml_text(fragment))

    # A link with nothing to click on would still be announced by screen readers and take a tab stop.
    if "</a>" in cleaned:
        cleaned = _EMPTY_LINK.sub(_drop_link, cleaned)
    return cleaned.strip()


def _drop_link(match: re.Match[str]) -> str:
    """Replace an empty link by a space if it contained whitespace, so that the words around it stay apart."""
    return " " if _TAG.sub("", match.group(1)) else ""


def plain_text(fragment: str) -> str:
    """Return the visible text of an HTML or plain-text fragment on one line, without markup."""
    text = nh3.clean(xml_text(fragment), tags=set(), clean_content_tags=REMOVED_WITH_CONTENT)
    return _WHITESPACE.sub(" ", html.unescape(text)).strip()


def truncate_html(fragment: str, max_chars: int = DEFAULT_SUMMARY_CHARS) -> str:
    """Cut sanitised HTML after about `max_chars` characters of visible text, at a word boundary.

    `fragment` must come from `sanitize_html`, whose output quotes every attribute with double
    quotes, because the tag scanner relies on that. Tags left open by the cut are closed.
    """
    visible = 0
    position = 0
    open_tags: list[str] = []
    for match in _TAG.finditer(fragment):
        text = fragment[position : match.start()]
        cut = _cut_point(text, max_chars - visible)
        if cut is not None:
            return _close(fragment[: position + cut].rstrip() + "\u2026", open_tags)
        visible += _visible_length(text)
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name)]
        elif name not in _VOID_TAGS:
            open_tags.append(name)
        position = match.end()

    cut = _cut_point(fragment[position:], max_chars - visible)
    if cut is None:
        return fragment
    return _close(fragment[: position + cut].rstrip() + "\u2026", open_tags)


def _visible_length(text: str) -> int:
    return len(_ENTITY.sub("x", text))


def _cut_point(text: str, budget: int) -> int | None:
    """Return where to cut `text` to keep `budget` visible characters, or None when all of it fits."""
    if _visible_length(text) <= budget:
        return None

    # Walk the text, counting an entity as one character, and remember the last space within budget.
    index = 0
    count = 0
    last_space = None
    while index < len(text) and count < budget:
        entity = _ENTITY.match(text, index)
        if text[index].isspace():
            last_space = index
        index = entity.end() if entity else index + 1
        count += 1
    return last_space if last_space is not None and last_space > index // 2 else index


def _close(fragment: str, open_tags: list[str]) -> str:
    return fragment + "".join(f"</{name}>" for name in reversed(open_tags))
