"""Load `papers.bib` with pybtex into `Paper` records, keeping every problem with its file and line.

The loader never stops at the first bad entry. It collects each syntax error, duplicate key and
invalid name as a `BibProblem`, keeps every entry that did parse, and lets the caller decide how
loud to be. The MkDocs plugin turns problems into warnings, which fail `mkdocs build --strict`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pybtex.database import BibliographyData, Person
from pybtex.database.input.bibtex import LowLevelParser, Parser
from pybtex.exceptions import PybtexError
from pybtex.scanner import PybtexSyntaxError

from .latex import latex_to_text

__all__ = ["BibProblem", "Bibliography", "Paper", "load_bibliography", "parse_bibliography"]

ARXIV_ABS_URL = "https://arxiv.org/abs/{}"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{}"
DOI_URL = "https://doi.org/{}"

# Venue fields in the order BibTeX styles prefer them.
_VENUE_FIELDS = ("journal", "booktitle", "institution", "school", "publisher", "howpublished")
_VERSION_SUFFIX = re.compile(r"v\d+$")


@dataclass(frozen=True)
class BibProblem:
    """One problem found in a `.bib` file, located by file and line."""

    path: Path
    line: int | None
    key: str | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        place = f"{self.path}:{self.line}" if self.line else str(self.path)
        entry = f" in entry '{self.key}'" if self.key else ""
        text = f"{place}{entry}: {self.message}"
        return f"{text}. {self.hint}" if self.hint else text


@dataclass(frozen=True)
class Paper:
    """One bibliography entry, with raw LaTeX fields and Unicode views of them for display."""

    key: str
    entry_type: str
    fields: dict[str, str]
    """Field values as written in the file (LaTeX intact), keyed by lower-case field name."""
    people: dict[str, tuple[Person, ...]]
    """Authors and editors as pybtex `Person` objects, keyed by role."""
    line: int
    """Line of the `@type{key,` header in the source file."""
    source: str
    """The entry's BibTeX record exactly as written in the file."""

    def field(self, name: str, keep_math: bool = False) -> str:
        """Return a field converted to Unicode text, or an empty string when the entry lacks it.

        With `keep_math`, math such as `$x^2$` stays as written, for a page that typesets it.
        """
        value = self.fields.get(name, "")
        return latex_to_text(value, keep_math) if value else ""

    @cached_property
    def title(self) -> str:
        return self.field("title") or self.key

    @cached_property
    def authors(self) -> tuple[str, ...]:
        """Author names in reading order (`Ashish Vaswani`), as Unicode text."""
        return tuple(_display_name(person) for person in self.people.get("author", ()))

    @cached_property
    def author_last_names(self) -> tuple[str, ...]:
        return tuple(
            latex_to_text(" ".join(person.prelast_names + person.last_names)) or _display_name(person)
            for person in self.people.get("author", ())
        )

    @property
    def year(self) -> str:
        return self.field("year")

    @cached_property
    def venue(self) -> str:
        for name in _VENUE_FIELDS:
            if name in self.fields:
                return self.field(name)
        return ""

    @cached_property
    def keywords(self) -> tuple[str, ...]:
        """Topic keywords from the `keywords` field, split on commas or semicolons."""
        raw = self.field("keywords")
        return tuple(word.strip() for word in re.split(r"[,;]", raw) if word.strip())

    @cached_property
    def arxiv_id(self) -> str | None:
        """The arXiv identifier without a version suffix, or None for entries not on arXiv."""
        eprint = self.fields.get("eprint", "").strip()
        prefix = self.fields.get("archiveprefix", self.fields.get("eprinttype", "arxiv")).strip().lower()
        if not eprint or prefix != "arxiv":
            return None
        return _VERSION_SUFFIX.sub("", eprint.removeprefix("arXiv:").removeprefix("arxiv:"))

    @property
    def arxiv_url(self) -> str | None:
        return ARXIV_ABS_URL.format(self.arxiv_id) if self.arxiv_id else None

    @property
    def pdf_url(self) -> str | None:
        return ARXIV_PDF_URL.format(self.arxiv_id) if self.arxiv_id else None

    @property
    def doi(self) -> str:
        return self.fields.get("doi", "").strip()

    @property
    def doi_url(self) -> str | None:
        return DOI_URL.format(self.doi) if self.doi else None

    @property
    def url(self) -> str:
        return self.fields.get("url", "").strip()

    @property
    def code_url(self) -> str:
        return self.fields.get("code", "").strip()

    @property
    def readstatus(self) -> str:
        return self.fields.get("readstatus", "").strip().lower()

    @property
    def priority(self) -> int | None:
        value = self.fields.get("priority", "").strip()
        # `isdigit` accepts superscripts such as `²`, which `int` rejects, so only ASCII digits count.
        return int(value) if value.isascii() and value.isdigit() else None

    @property
    def added(self) -> str:
        return self.fields.get("added", "").strip()


@dataclass
class Bibliography:
    """The entries of one `.bib` file in file order, and the problems found while reading it."""

    path: Path
    papers: dict[str, Paper]
    problems: list[BibProblem]

    def __iter__(self):
        return iter(self.papers.values())

    def __len__(self) -> int:
        return len(self.papers)

    def __contains__(self, key: object) -> bool:
        return key in self.papers

    def get(self, key: str) -> Paper | None:
        return self.papers.get(key)


def load_bibliography(path: str | Path) -> Bibliography:
    """Read and parse a `.bib` file.

    Raises:
        OSError: the file cannot be read.
        UnicodeDecodeError: the file is not UTF-8.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return parse_bibliography(text, path)


def parse_bibliography(text: str, path: Path) -> Bibliography:
    """Parse BibTeX `text` that came from `path` (the path is only used in messages)."""
    return _BibParser(path).parse(text)


# Characters that BibTeX does not allow in a citation key.
_KEY_FORBIDDEN = frozenset('{}"\\')


class _BibParser(Parser):
    """A pybtex parser that records problems with line numbers instead of raising or printing them."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.problems: list[BibProblem] = []
        self.papers: dict[str, Paper] = {}
        self._scanner: LowLevelParser | None = None
        self._entry_line: int | None = None
        self._broken_keys: set[str] = set()

    def handle_error(self, error: PybtexError) -> None:
        scanner = self._scanner
        key = scanner.current_entry_key if scanner is not None else None
        if isinstance(error, PybtexSyntaxError):
            # Point at the start of the broken entry, because the scanner may notice the fault many lines later.
            start = error.error_context_info[0] or 0
            line = error.parser.text.count("\n", 0, start) + 1
            detail = str(error)
            if "premature end of file" in detail:
                # Each entry is parsed on its own, so pybtex's "end of file" is the end of this entry, and
                # its line number is where the next entry starts, not where the brace was left open.
                detail = "a brace or quote opened in this entry is never closed"
            message = f"invalid BibTeX: {detail}"
            hint = "Check the braces, quotes and commas of this entry"
            if key:
                self._broken_keys.add(key)
        else:
            # Errors raised while building an entry (a repeated field, say) carry no line, so use the entry's.
            line = self._entry_line
            message = str(error)
            hint = "Remove or fix the field"
        self.problems.append(BibProblem(self.path, line, key, message, hint))

    def parse(self, text: str) -> Bibliography:
        self.unnamed_entry_counter = 1
        scanner = LowLevelParser(text, handle_error=self.handle_error, filename=str(self.path), macros=self.macros)
        self._scanner = scanner
        first_lines: dict[str, int] = {}

        for entry_type, body in scanner:
            kind = entry_type.lower()
            if kind in ("string", "preamble"):
                continue
            start = scanner.command_start
            line = text.count("\n", 0, start) + 1
            key, fields = body

            if any(character in key for character in _KEY_FORBIDDEN):
                # pybtex ends a key at a brace, so `m{\"u}ller2024` arrives cut short and its fields lost.
                self.problems.append(
                    BibProblem(
                        self.path,
                        line,
                        key,
                        f"invalid BibTeX: the citation key '{key}' contains a brace, quote or backslash",
                        "Write the key with plain letters, digits and - _ : . / only, such as muller2024",
                    )
                )
                continue

            # Duplicates are reported with both lines, and the first entry wins as it does in BibTeX.
            if key in first_lines:
                self.problems.append(
                    BibProblem(
                        self.path,
                        line,
                        key,
                        f"duplicate key '{key}', first defined on line {first_lines[key]}",
                        "Rename or remove one of the two entries",
                    )
                )
                continue
            first_lines[key] = line

            source = text[start : scanner.pos].strip()
            paper = self._make_paper(entry_type, key, fields, line, source)
            if paper is not None:
                self.papers[key] = paper

        # pybtex can hand back an entry whose braces never closed, with later fields swallowed into one value.
        for key in self._broken_keys:
            self.papers.pop(key, None)
        return Bibliography(self.path, self.papers, self.problems)

    def _make_paper(self, entry_type: str, key: str, fields: list, line: int, source: str) -> Paper | None:
        # Reuse pybtex's own field handling (macros, name splitting) through a scratch data object.
        self.data = BibliographyData()
        self._entry_line = line
        try:
            self.process_entry(entry_type, key, fields)
        except PybtexError as error:
            self.problems.append(BibProblem(self.path, line, key, str(error), "Fix the field or name list"))
            return None
        entry = self.data.entries[key]

        return Paper(
            key=key,
            entry_type=entry.type.lower(),
            fields={name.lower(): value for name, value in entry.fields.items()},
            people={role: tuple(persons) for role, persons in entry.persons.items()},
            line=line,
            source=source,
        )


def _display_name(person: Person) -> str:
    parts = person.first_names + person.middle_names + person.prelast_names + person.last_names + person.lineage_names
    return latex_to_text(" ".join(parts))
