"""The bibliography in display form, with an on-disk cache of formatted entries keyed by their content.

Parsing BibTeX with pybtex and converting LaTeX to Unicode cost far more than anything else the
wiki does with an entry. So `load_catalog` splits the `.bib` file into entries by their `@type{`
headers, hashes each entry's text, and parses only the entries whose hash is not in the cache. A
build after an unchanged `papers.bib` parses nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..storage import atomic_write_text
from .formatting import citation_label, format_authors, format_links, format_reference
from .library import BibProblem, Paper, parse_bibliography

__all__ = ["REQUIRED_FIELDS", "TEMPLATE_SLUG", "Catalog", "CatalogEntry", "assign_slugs", "load_catalog", "paper_slug"]

# Raise when a cached field changes form, so that caches of older builds are parsed again.
CACHE_FORMAT = 2
REQUIRED_FIELDS = ("title", "author", "year")

# URL segment of the hidden template page of the bibliography plugin, which no paper may take.
TEMPLATE_SLUG = "wiki-paper-template"
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

# An entry starts with `@type{` or `@type(` at the start of a line, as every BibTeX exporter writes it.
_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(]", re.MULTILINE)


@dataclass
class CatalogEntry:
    """One bibliography entry with every string a page shows already converted and formatted."""

    key: str
    entry_type: str
    line: int
    source: str
    title: str
    authors: list[str]
    year: str
    venue: str
    keywords: list[str]
    label: str
    """Short citation label such as `Vaswani et al., 2017`."""
    year_label: str
    """Label for a citation that suppresses the authors: `2017`."""
    reference_html: str
    links_html: str
    author_text: str
    arxiv_id: str | None = None
    doi: str = ""
    url: str = ""
    abstract: str = ""
    readstatus: str = ""
    priority: int | None = None
    added: str = ""
    missing_fields: list[str] = field(default_factory=list)

    @classmethod
    def from_paper(cls, paper: Paper) -> CatalogEntry:
        missing = [name for name in REQUIRED_FIELDS if name not in paper.fields and name not in paper.people]
        return cls(
            key=paper.key,
            entry_type=paper.entry_type,
            line=paper.line,
            source=paper.source,
            title=paper.title,
            authors=list(paper.authors),
            year=paper.year,
            venue=paper.venue,
            keywords=list(paper.keywords),
            label=citation_label(paper),
            year_label=paper.year or "n.d.",
            reference_html=format_reference(paper),
            links_html=format_links(paper),
            author_text=format_authors(paper),
            arxiv_id=paper.arxiv_id,
            doi=paper.doi,
            url=paper.url,
            abstract=paper.field("abstract", keep_math=True),
            readstatus=paper.readstatus,
            priority=paper.priority,
            added=paper.added,
            missing_fields=missing,
        )


@dataclass
class Catalog:
    """Every entry of one `.bib` file in file order, the problems found, and how many entries were parsed."""

    path: Path
    entries: dict[str, CatalogEntry]
    problems: list[BibProblem]
    parsed_count: int = 0
    """Entries parsed by pybtex in this load; 0 when every entry came from the cache."""

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def get(self, key: str) -> CatalogEntry | None:
        return self.entries.get(key)


def load_catalog(bib_path: Path, cache_dir: Path | None = None) -> Catalog:
    """Load `bib_path`, reusing formatted entries from `cache_dir` and saving new ones there.

    Raises:
        OSError: the file cannot be read.
        UnicodeDecodeError: the file is not UTF-8.
    """
    text = bib_path.read_text(encoding="utf-8")
    cache_file = cache_dir / "entries.json" if cache_dir else None
    cached = _read_cache(cache_file)

    # `@string` macros make one entry depend on another, so such a file is always parsed whole.
    if re.search(r"^[ \t]*@[ \t]*string\b", text, re.IGNORECASE | re.MULTILINE):
        chunks = [(0, 1, text)]
    else:
        chunks = list(_split_entries(text))

    entries: dict[str, CatalogEntry] = {}
    problems: list[BibProblem] = []
    first_lines: dict[str, int] = {}
    fresh: dict[str, dict] = {}
    parsed_count = 0

    for _offset, first_line, chunk in chunks:
        digest = _hash(chunk)
        if digest in cached:
            found = [CatalogEntry(**record) for record in cached[digest]]
            chunk_problems: list[BibProblem] = []
        else:
            parsed = parse_bibliography(chunk, bib_path)
            parsed_count += len(parsed)
            found = [CatalogEntry.from_paper(paper) for paper in parsed]
            chunk_problems = [_shift(problem, first_line - 1) for problem in parsed.problems]
            # Only clean entries are cached, so a broken one is reported again on every build.
            if not chunk_problems:
                fresh[digest] = [asdict(entry) for entry in found]

        problems.extend(chunk_problems)

        for entry in found:
            # Cached lines are relative to the entry's own text, because the entry may have moved in the file.
            entry.line += first_line - 1
            if entry.key in first_lines:
                problems.append(
                    BibProblem(
                        bib_path,
                        entry.line,
                        entry.key,
                        f"duplicate key '{entry.key}', first defined on line {first_lines[entry.key]}",
                        "Rename or remove one of the two entries",
                    )
                )
                continue
            first_lines[entry.key] = entry.line
            entries[entry.key] = entry

    if cache_file is not None and fresh:
        kept = {digest: cached[digest] for _o, _l, chunk in chunks if (digest := _hash(chunk)) in cached}
        _write_cache(cache_file, {**kept, **fresh})

    return Catalog(bib_path, entries, problems, parsed_count)


def _split_entries(text: str):
    """Yield (offset, first line, text) for each entry; text before the first entry is skipped."""
    starts = [match.start() for match in _ENTRY_START.finditer(text)]
    if not starts:
        return

    # Count newlines from the previous entry only, because counting from the top of the file for every
    # entry makes splitting quadratic in the file size (seconds at 10,000 entries).
    line = text.count("\n", 0, starts[0]) + 1
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        chunk = text[start:end]
        yield start, line, chunk
        line += chunk.count("\n")


def _hash(chunk: str) -> str:
    return hashlib.sha256(chunk.encode("utf-8")).hexdigest()


def _shift(problem: BibProblem, lines: int) -> BibProblem:
    line = problem.line + lines if problem.line else problem.line
    message = re.sub(r"in line (\d+)", lambda match: f"in line {int(match.group(1)) + lines}", problem.message)
    return BibProblem(problem.path, line, problem.key, message, problem.hint)


def _read_cache(cache_file: Path | None) -> dict[str, list[dict]]:
    if cache_file is None or not cache_file.is_file():
        return {}
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # A damaged cache only costs a full parse; it is rewritten below.
        return {}
    if data.get("format") != CACHE_FORMAT:
        return {}
    return data.get("entries", {})


def _write_cache(cache_file: Path, entries: dict[str, list[dict]]) -> None:
    payload = {"format": CACHE_FORMAT, "entries": entries}
    atomic_write_text(cache_file, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))


def paper_slug(key: str) -> str:
    """Return the URL segment for a key: the key with each run of characters unsafe in a path replaced by `-`."""
    return _SLUG_UNSAFE.sub("-", key).strip(".-") or "paper"


def assign_slugs(keys: list[str], reserved: tuple[str, ...] = (TEMPLATE_SLUG,)) -> dict[str, str]:
    """Give every key a distinct URL segment, in key order.

    Two keys can map to the same segment (`möller2024` and `müller2024` both give `m-ller2024`), and
    segments that differ only in case collide on case-insensitive file systems. A later key then gets
    a numbered suffix, `m-ller2024-2`, so that no paper page overwrites another. `reserved` segments
    are never given out.
    """
    taken = {segment.casefold() for segment in reserved}
    slugs = {}
    for key in keys:
        base = paper_slug(key)
        slug, number = base, 1
        while slug.casefold() in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug.casefold())
        slugs[key] = slug
    return slugs
