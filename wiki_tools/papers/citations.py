"""Find Pandoc-style citations such as `[@key]`, `[@a; @b]` and `[@a, p. 5]` in Markdown.

Citations inside fenced code blocks, inline code spans and HTML comments are left alone, and so is
an escaped `\\[@x]`. An e-mail address is never a citation, because a cited key must follow `@` at
the start of a citation part or after white space. Bracketed text that opens with `@` but does not
parse, such as `[@]`, is returned as a malformed group so that callers can report it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["Citation", "CitationGroup", "find_citations", "replace_citations"]

# A bracketed group that contains at least one `@`. Nested brackets are not allowed, as in Pandoc. A group
# followed by `(` or `[` is link text, and one that opens a line and is followed by `:` defines a link reference.
_GROUP = re.compile(r"(?<!\\)\[([^\[\]\n]*?@[^\[\]\n]*?)\](?!\(|\[)")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]*\]:", re.MULTILINE)
# One part of a group: optional prefix, `@key` (or `-@key`), optional locator after a comma.
_PART = re.compile(r"^(?P<prefix>.*?)(?:^|(?<=\s))(?P<suppress>-?)@(?P<key>[\w][\w:.#$%&+?<>~/-]*?)(?P<locator>,.*)?$", re.DOTALL)
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Citation:
    """One cited key, with the locator (such as `p. 5`) and prefix text written beside it."""

    key: str
    locator: str = ""
    prefix: str = ""
    suppress_author: bool = False
    """True for `-@key`, which shows only the year because the text already names the authors."""


@dataclass(frozen=True)
class CitationGroup:
    """A bracketed citation such as `[@a; @b, p. 5]` and where it sits in the Markdown source."""

    citations: tuple[Citation, ...]
    line: int
    """1-based line number in the source."""
    start: int
    end: int
    """Character offsets of the whole bracketed text in the source."""
    text: str = ""
    """The bracketed text as written, such as `[@a; @b]`."""

    @property
    def is_malformed(self) -> bool:
        """True for text that starts like a citation but does not parse, such as `[@]` or `[@a;;@b]`."""
        return not self.citations

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(citation.key for citation in self.citations)


def find_citations(markdown: str) -> list[CitationGroup]:
    """Return every citation group in `markdown`, in order, outside code blocks, code spans and HTML comments.

    Malformed groups are included, with no citations, so that callers can report them.
    """
    return list(_iter_groups(markdown))


def replace_citations(markdown: str, render: Callable[[CitationGroup], str | None]) -> str:
    """Replace each citation group with `render(group)`, or keep its text where `render` returns None."""
    pieces = []
    position = 0
    for group in _iter_groups(markdown):
        replacement = render(group)
        if replacement is None:
            continue
        pieces.append(markdown[position : group.start])
        pieces.append(replacement)
        position = group.end
    pieces.append(markdown[position:])
    return "".join(pieces)


def _iter_groups(markdown: str) -> Iterator[CitationGroup]:
    if "@" not in markdown:
        return
    line_number = 1
    for start, end, is_code in _split_code_blocks(markdown):
        segment = markdown[start:end]
        if not is_code and "@" in segment:
            yield from _groups_in_text(markdown, start, end, line_number)
        line_number += segment.count("\n")


def _groups_in_text(markdown: str, start: int, end: int, first_line: int) -> Iterator[CitationGroup]:
    text = markdown[start:end]

    # Blank out code spans and HTML comments so that their brackets are never matched, keeping every offset.
    masked = _CODE_SPAN.sub(lambda match: " " * len(match.group(0)), text)
    masked = _HTML_COMMENT.sub(lambda match: " " * len(match.group(0)), masked)

    definitions = {match.start() + match.group(0).index("[") for match in _LINK_DEFINITION.finditer(masked)}
    for match in _GROUP.finditer(masked):
        if match.start() in definitions:
            continue
        citations = _parse_group(match.group(1))
        # Bracketed text that does not open with `@` is ordinary text, such as `[mail me@example.com]`.
        if not citations and not match.group(1).lstrip().startswith(("@", "-@")):
            continue
        line = first_line + text.count("\n", 0, match.start())
        yield CitationGroup(citations, line, start + match.start(), start + match.end(), match.group(0))


def _parse_group(body: str) -> tuple[Citation, ...]:
    """Parse the inside of a bracketed group, or return () when any part is not a citation."""
    citations = []
    for part in body.split(";"):
        match = _PART.match(part.strip())
        if match is None:
            return ()
        key = match.group("key").rstrip(".:")
        locator = (match.group("locator") or "").lstrip(",").strip()
        suppress_author = match.group("suppress") == "-"
        citations.append(Citation(key, locator, match.group("prefix").strip(), suppress_author))
    return tuple(citations)


def _split_code_blocks(markdown: str) -> Iterator[tuple[int, int, bool]]:
    """Split `markdown` into (start, end, is_code) runs, where code runs are fenced code blocks.

    NOTE: indented code blocks are treated as text, because admonitions and list items indent
    ordinary Markdown by four spaces too, and telling them apart needs a full Markdown parser.
    """
    position = 0
    run_start = 0
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            if run_start < position:
                yield run_start, position, False
            run_start = position
            fence = match.group("fence")
        elif fence is not None and _closes_fence(line, fence):
            yield run_start, position + len(line), True
            run_start = position + len(line)
            fence = None
        position += len(line)
    if run_start < len(markdown):
        yield run_start, len(markdown), fence is not None


def _closes_fence(line: str, fence: str) -> bool:
    """Tell whether `line` closes a block opened by `fence`: the same character, at least as long, nothing after."""
    stripped = line.strip()
    run = len(stripped) - len(stripped.lstrip(fence[0]))
    return run >= len(fence) and not stripped[run:].strip()
