"""Write to `papers.bib` without disturbing what is already there.

The file is never round-tripped through a BibTeX parser, because that would drop comments and
reorder or reformat entries. New entries are appended as text after the existing bytes, and an
update replaces or inserts fields inside the byte range of one entry, found by matching braces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..storage import atomic_write_bytes
from .arxiv_ids import InvalidArxivIdError, parse_arxiv_id
from .metadata import ArxivRecord

__all__ = [
    "BibEntrySpan",
    "BibWriteError",
    "append_entries",
    "arxiv_ids_in_bib",
    "format_entry",
    "make_citation_key",
    "scan_entries",
    "set_entry_fields",
]

# Words that a citation key skips when it picks the first meaningful word of a title.
STOP_WORDS = frozenset(
    """a an the and or but nor of on in into onto at by for from to with without via as is are be was were
    do does did can could should would will may might must shall we our us you your it its this that these
    those there here how what when where which who why whose not no yes toward towards about over under
    between through after before beyond up down out off than then so such all any some very more most
    one two""".split()
)

# Letters that Unicode decomposition does not reduce to ASCII.
_ASCII_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
     "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i"}
)  # fmt: skip
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_GROUP_WORDS = re.compile(r"\b(?:collaboration|consortium|team|group|project|committee)\b", re.IGNORECASE)
_ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_FIELD_NAME = re.compile(r"(?<![\w-])([A-Za-z][\w-]*)\s*=\s*", re.ASCII)
_FIRST_FIELD_LINE = re.compile(r"\n([ \t]+)([A-Za-z][\w-]*)([ \t]*)=")
_UNESCAPED_SPECIAL = re.compile(r"(?<!\\)([&%#])")
_VERBATIM_FIELDS = frozenset({"doi", "eprint", "primaryclass", "url", "year", "added"})


class BibWriteError(ValueError):
    """Raised when `papers.bib` cannot be changed safely, for example when an entry's braces never close."""


@dataclass(frozen=True)
class BibEntrySpan:
    """Position of one entry in the file's text: `text[start:end]` is `@type{key, ... }`."""

    entry_type: str
    key: str
    start: int
    end: int
    body_start: int
    """Index just after the opening brace or parenthesis."""


# ---- Reading the raw text ----


def scan_entries(text: str) -> list[BibEntrySpan]:
    """Find every entry in BibTeX `text` by matching braces, skipping `@comment`, `@string` and `@preamble`.

    Like BibTeX, text outside entries is a comment, and `@comment` ends after its own name.

    Raises:
        BibWriteError: an entry's braces never close; the message names the entry and its line.
    """
    spans = []
    position = 0
    while True:
        match = _ENTRY_START.search(text, position)
        if match is None:
            return spans
        entry_type, opener = match.group(1), match.group(2)

        # BibTeX, and pybtex after it, skip only the word `@comment` and go on reading, so an entry
        # written inside a comment's braces still counts. Scanning on from the brace agrees with them.
        if entry_type.lower() == "comment":
            position = match.end()
            continue

        end = _closing_index(text, match.end(), ")" if opener == "(" else "}")
        if end is None:
            line = text.count("\n", 0, match.start()) + 1
            raise BibWriteError(f"the @{entry_type} entry on line {line} has unbalanced braces; fix it first")
        position = end

        if entry_type.lower() in ("string", "preamble"):
            continue
        key = text[match.end() : end].split(",", 1)[0].strip()
        spans.append(BibEntrySpan(entry_type, key, match.start(), end, match.end()))


def _closing_index(text: str, start: int, closer: str) -> int | None:
    """Return the index just past the delimiter that closes an entry whose body starts at `start`."""
    depth = 0
    for index in range(start, len(text)):
        character = text[index]
        if character == "{":
            depth += 1
        elif character == "}" and depth > 0:
            depth -= 1
        elif character == closer and depth == 0:
            return index + 1
    return None


def arxiv_ids_in_bib(text: str) -> dict[str, str]:
    """Map the arXiv identifier (without version) of each entry to its key.

    An entry counts when its `eprint`, `doi` or `url` field names an arXiv paper, so that an entry
    written by hand with only `url = {https://arxiv.org/abs/...}` is found too.
    """
    found: dict[str, str] = {}
    for span in scan_entries(text):
        for name, value in _field_values(text, span).items():
            if name not in ("eprint", "doi", "url"):
                continue
            try:
                identifier = parse_arxiv_id(value)
            except InvalidArxivIdError:
                continue
            found.setdefault(identifier.base, span.key)
    return found


def _field_values(text: str, span: BibEntrySpan) -> dict[str, str]:
    """Read the simple field values of one entry (braced, quoted or bare), keyed by lower-case name."""
    values = {}
    for name, value_start, value_end in _field_positions(text, span):
        values.setdefault(name.lower(), text[value_start:value_end].strip().strip('{}"').strip())
    return values


def _field_positions(text: str, span: BibEntrySpan) -> list[tuple[str, int, int]]:
    """Return (name, value start, value end) for each field of an entry, in file order."""
    positions = []
    key_end = text.find(",", span.body_start, span.end)
    if key_end < 0:
        return positions
    index = key_end + 1
    body_end = span.end - 1
    while True:
        match = _FIELD_NAME.search(text, index, body_end)
        if match is None:
            return positions
        value_start = match.end()
        value_end = _value_end(text, value_start, body_end)
        positions.append((match.group(1), value_start, value_end))
        index = value_end


def _value_end(text: str, start: int, limit: int) -> int:
    """Return the index just past a field value that starts at `start`.

    The value ends at the first comma outside braces and quotes, which also covers bare numbers,
    macros and `"a" # "b"` concatenations. Trailing whitespace is not part of the value.
    """
    depth = 0
    in_quotes = False
    end = limit
    for index in range(start, limit):
        character = text[index]
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
        elif character == '"' and depth == 0:
            in_quotes = not in_quotes
        elif character == "," and depth == 0 and not in_quotes:
            end = index
            break
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


# ---- Citation keys ----


def make_citation_key(record: ArxivRecord, taken: Iterable[str]) -> str:
    """Build an author-year-word key such as `vaswani2017attention` that is not in `taken`.

    The parts are the first author's last name in lower-case ASCII, the year of first submission and
    the first title word that is not a stop word. A clash gets a letter suffix (`...a`, `...b`),
    compared case-insensitively because BibTeX keys are.
    """
    named = [name for name in record.authors if name.strip()]
    last_name = _split_name(named[0])[1] if named else "anonymous"
    name_part = re.sub(r"[^a-z0-9]", "", _to_ascii(last_name).lower()) or "anonymous"
    word = _first_meaningful_word(record.title)
    base = f"{name_part}{record.published[:4]}{word}"

    used = {key.lower() for key in taken}
    if base.lower() not in used:
        return base
    for suffix in _suffixes():
        candidate = base + suffix
        if candidate.lower() not in used:
            return candidate
    raise AssertionError("the suffix sequence is infinite")  # pragma: no cover


def _suffixes() -> Iterable[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters
    for first in letters:
        for second in letters:
            yield first + second
    number = 1
    while True:
        yield str(number)
        number += 1


def _first_meaningful_word(title: str) -> str:
    # Math and TeX commands are not words of the title.
    plain = re.sub(r"\$[^$]*\$", " ", title)
    plain = re.sub(r"\\[A-Za-z]+", " ", plain)
    words = re.findall(r"[a-z0-9]+", _to_ascii(plain).lower())
    for word in words:
        if word not in STOP_WORDS and not word.isdigit():
            return word
    return words[0] if words else "untitled"


def _to_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    return (
        "".join(character for character in decomposed if not unicodedata.combining(character))
        .encode("ascii", "ignore")
        .decode("ascii")
    )


# ---- Formatting new entries ----


def format_entry(key: str, record: ArxivRecord, added: str) -> str:
    """Format a BibTeX entry for a paper, with `eprint` fields, `added` date and `readstatus = {to-read}`.

    A paper with a journal reference becomes an `@article` whose `journal` is that reference;
    any other paper is a `@misc` preprint. Every value has balanced braces, whatever arXiv sent,
    so the entry always parses. The text ends without a newline.
    """
    authors = [_format_author(name) for name in record.authors if name.strip()]
    fields: list[tuple[str, str]] = [
        ("title", _protect_capitals(_escape_value(record.title))),
        ("author", " and ".join(authors)),
    ]
    if record.journal_ref:
        fields.append(("journal", _escape_value(record.journal_ref)))
    fields += [
        ("year", _verbatim_value(record.published[:4])),
        ("eprint", _verbatim_value(record.arxiv_id)),
        ("archivePrefix", "arXiv"),
        ("primaryClass", _verbatim_value(record.primary_category)),
        ("url", _verbatim_value(f"https://arxiv.org/abs/{record.arxiv_id}")),
    ]
    if record.doi:
        fields.append(("doi", _verbatim_value(record.doi)))
    fields += [("readstatus", "to-read"), ("added", _verbatim_value(added))]

    width = max(len(name) for name, _ in fields)
    lines = [f"  {name.ljust(width)} = {{{value}}}" for name, value in fields if value]
    entry_type = "article" if record.journal_ref else "misc"
    return f"@{entry_type}{{{key},\n" + ",\n".join(lines) + "\n}"


def _format_author(name: str) -> str:
    """Write an arXiv author name as BibTeX `von Last, Jr, First`, or braced whole for a collaboration."""
    name = _escape_value(" ".join(name.split()))
    if _GROUP_WORDS.search(name) or " and " in f" {name.lower()} ":
        return f"{{{name}}}"
    first, last, suffix = _split_name(name)
    if not first:
        return last
    return f"{last}, {suffix}, {first}" if suffix else f"{last}, {first}"


def _split_name(name: str) -> tuple[str, str, str]:
    """Split a name into (first, last, suffix), keeping lower-case particles with the last name.

    `Laurens van der Maaten` gives (`Laurens`, `van der Maaten`, ``).
    """
    tokens = name.split()
    suffix = ""
    if len(tokens) > 2 and tokens[-1].lower().rstrip(",") in _NAME_SUFFIXES:
        suffix = tokens.pop().rstrip(",")
        tokens[-1] = tokens[-1].rstrip(",")
    if len(tokens) < 2:
        return "", " ".join(tokens), suffix

    last_start = len(tokens) - 1
    while last_start > 1 and tokens[last_start - 1][:1].islower():
        last_start -= 1
    return " ".join(tokens[:last_start]), " ".join(tokens[last_start:]), suffix


def _escape_value(text: str) -> str:
    """Make arXiv text safe inside a braced BibTeX value: balanced braces and escaped `&`, `%` and `#`.

    arXiv titles may contain TeX such as `$O(n)$` or `\\textbf{bold}`, which is kept as written.
    A brace without its partner cannot be escaped, because BibTeX counts `\\{` as a brace too.
    So a lone `}` is dropped, and a lone `{` becomes an empty group `{}`. A command such as
    `\\textbf{` then has an empty argument instead of swallowing the words after it.
    """
    # NOTE: `_`, `^` and `~` outside math are kept too. BibTeX and pybtex accept them, but a LaTeX
    # document that prints the field may not.
    text = _balance_braces(" ".join(text.split()), lone_opener="{}")
    return _UNESCAPED_SPECIAL.sub(r"\\\1", text)


def _verbatim_value(text: str) -> str:
    """Make an identifier (DOI, eprint, category, URL) safe inside braces without changing its characters.

    Only braces without a partner are dropped: an identifier has no TeX, and escaping `%` or `#`
    would change a DOI or URL.
    """
    return _balance_braces(" ".join(text.split()), lone_opener="")


def _balance_braces(text: str, lone_opener: str) -> str:
    """Drop each `}` that closes nothing and replace each `{` that is never closed by `lone_opener`."""
    open_positions: list[int] = []
    lone_closers: set[int] = set()
    for index, character in enumerate(text):
        if character == "{":
            open_positions.append(index)
        elif character == "}":
            if open_positions:
                open_positions.pop()
            else:
                lone_closers.add(index)
    if not open_positions and not lone_closers:
        return text

    lone_openers = set(open_positions)
    pieces = []
    for index, character in enumerate(text):
        if index in lone_closers:
            continue
        pieces.append(lone_opener if index in lone_openers else character)
    return "".join(pieces)


def _protect_capitals(title: str) -> str:
    """Brace words such as `BERT`, `LoRA` or `GPT-3`, whose capitals a BibTeX style would otherwise lower-case."""
    parts = title.split("$")
    # Even-numbered parts are outside math; math stays untouched.
    for index in range(0, len(parts), 2):
        parts[index] = re.sub(
            r"(?<![\\{\w])([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)(?![\w}])", _brace_if_mixed, parts[index]
        )
    return "$".join(parts)


def _brace_if_mixed(match: re.Match[str]) -> str:
    word = match.group(1)
    return f"{{{word}}}" if any(character.isupper() for character in word[1:]) else word


# ---- Writing ----


def append_entries(path: Path, entries: list[str]) -> None:
    """Append entries to a `.bib` file, leaving every existing byte as it was.

    A blank line separates the new entries from the old text and from each other. A file without a
    final newline gets one before the new text, and a file with Windows line endings keeps them.
    """
    if not entries:
        return
    existing = path.read_bytes() if path.exists() else b""
    newline = "\r\n" if b"\r\n" in existing else "\n"

    addition = ""
    if existing and not existing.endswith(b"\n"):
        addition += newline
    if existing.strip():
        addition += newline
    addition += (newline + newline).join(entry.replace("\n", newline) for entry in entries) + newline
    atomic_write_bytes(path, existing + addition.encode("utf-8"))


def set_entry_fields(text: str, key: str, values: Mapping[str, str], entry_type: str | None = None) -> str:
    """Return `text` with fields of the entry `key` set to `values`, changing no byte outside that entry.

    An existing field gets its value replaced in place. A missing one is added after the last field,
    with the indentation and `=` alignment of the entry's first field. `entry_type` replaces the
    type word (`misc` to `article`, say) when given.

    Raises:
        BibWriteError: no entry has that key, or the file's braces are unbalanced.
    """
    span = next((span for span in scan_entries(text) if span.key.lower() == key.lower()), None)
    if span is None:
        raise BibWriteError(f"no entry with key {key!r}")
    entry = text[span.start : span.end]
    offset = span.start

    # Replace the values of fields that exist, from the last to the first so earlier indices stay valid.
    pending = dict(values)
    for name, value_start, value_end in reversed(_field_positions(text, span)):
        if name.lower() in pending:
            value = pending.pop(name.lower())
            entry = entry[: value_start - offset] + "{" + _field_value(name, value) + "}" + entry[value_end - offset :]

    if pending:
        entry = _insert_fields(entry, pending)
    if entry_type:
        entry = re.sub(r"@\s*[A-Za-z]+", lambda _match: f"@{entry_type}", entry, count=1)
    return text[: span.start] + entry + text[span.end :]


def _field_value(name: str, value: str) -> str:
    """Escape a value for the field `name`: identifiers keep their characters, text gets TeX escapes."""
    if name.lower() in _VERBATIM_FIELDS:
        return _verbatim_value(value)
    return _escape_value(value)


def _insert_fields(entry: str, values: Mapping[str, str]) -> str:
    """Add fields before an entry's closing delimiter, following the layout of its first field."""
    layout = _FIRST_FIELD_LINE.search(entry)
    indent, width = "  ", 0
    if layout is not None and layout.group(3):
        # Pad names so that `=` lines up with the first field's, as in `title         = {...}`.
        indent, width = layout.group(1), len(layout.group(2)) + len(layout.group(3)) - 1
    elif layout is not None:
        indent = layout.group(1)
    newline = "\r\n" if "\r\n" in entry else "\n"
    lines = [f"{indent}{name.ljust(width)} = {{{_field_value(name, value)}}}" for name, value in values.items()]

    closing = len(entry) - 1
    last = len(entry[:closing].rstrip())
    had_trailing_comma = entry[last - 1] == ","
    if had_trailing_comma:
        addition = newline + ("," + newline).join(lines) + ","
    else:
        addition = "," + newline + ("," + newline).join(lines)
    return entry[:last] + addition + entry[last:]
