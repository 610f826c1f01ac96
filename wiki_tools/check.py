"""The checks behind `wiki-tools check`: the bibliography and its citations, without building the site."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .papers.catalog import assign_slugs, load_catalog
from .papers.citations import find_citations
from .papers.metadata import MetadataCacheError, load_metadata, lookup_record, titles_differ

__all__ = ["CheckReport", "Finding", "check_wiki"]

# Page sources that can cite: Markdown pages and the demos (jupytext scripts and notebooks).
_PAGE_SUFFIXES = (".md", ".py", ".ipynb")


@dataclass(frozen=True)
class Finding:
    """One result of a check, with its severity and where it was found."""

    level: str
    """`error`, `warning` or `info`."""
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.location}: {self.message}"


@dataclass
class CheckReport:
    """Everything `check_wiki` found, and counts for the summary line."""

    findings: list[Finding] = field(default_factory=list)
    entry_count: int = 0
    page_count: int = 0
    citation_count: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == "error"]

    def add(self, level: str, location: str, message: str) -> None:
        self.findings.append(Finding(level, location, message))


def check_wiki(
    root: Path,
    bib_file: Path,
    docs_dir: Path,
    papers_dir: str = "papers",
    hit_list_uri: str = "papers/index.md",
    metadata_file: Path | None = None,
) -> CheckReport:
    """Check `bib_file` and every page under `docs_dir` that can cite it.

    Reports unknown citation keys, duplicate keys, syntax errors, entries missing required fields,
    notes files with no entry, entries whose title differs from the cached arXiv title, a corrupt
    metadata cache (all errors) and entries that no page cites (information).
    """
    report = CheckReport()
    try:
        catalog = load_catalog(bib_file)
    except FileNotFoundError:
        report.add("error", _relative(bib_file, root), "file not found. Create it or set 'bib_file' in mkdocs.yml")
        return report
    except UnicodeDecodeError as error:
        report.add("error", _relative(bib_file, root), f"not valid UTF-8 ({error}). Save the file as UTF-8")
        return report
    report.entry_count = len(catalog)

    for problem in catalog.problems:
        report.add("error", _relative(problem.path, root) + (f":{problem.line}" if problem.line else ""), _problem_text(problem))

    for entry in catalog:
        if entry.missing_fields:
            location = f"{_relative(bib_file, root)}:{entry.line}"
            report.add("error", location, f"entry '{entry.key}' lacks required fields: {', '.join(entry.missing_fields)}")

    if metadata_file is not None:
        _check_metadata(report, catalog, metadata_file, bib_file, root)

    cited: set[str] = set()
    keys = list(catalog.entries)
    for path in sorted(docs_dir.rglob("*")):
        if path.suffix not in _PAGE_SUFFIXES or not path.is_file() or any(part.startswith(".") for part in path.relative_to(docs_dir).parts):
            continue
        report.page_count += 1
        for group in find_citations(_citable_text(path)):
            if group.is_malformed:
                report.add("error", f"{_relative(path, root)}:{group.line}", f"malformed citation {group.text!r}. Write [@key], [@a; @b] or [@key, p. 5]")
            for key in group.keys:
                report.citation_count += 1
                if key in catalog:
                    cited.add(key)
                    continue
                closest = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
                hint = f"Did you mean '{closest[0]}'?" if closest else f"Add it to {bib_file.name}."
                report.add("error", f"{_relative(path, root)}:{group.line}", f"unknown citation key '{key}'. {hint}")

    notes_dir = docs_dir / papers_dir
    hit_list = docs_dir / hit_list_uri
    # Notes files are named after each entry's URL segment, exactly as the build looks for them.
    slugs = set(assign_slugs(list(catalog.entries)).values())
    if notes_dir.is_dir():
        for path in sorted(notes_dir.glob("*.md")):
            if path == hit_list or path.stem in slugs:
                continue
            report.add("error", _relative(path, root), f"notes file has no entry '{path.stem}' in {bib_file.name}")

    for entry in catalog:
        if entry.key not in cited:
            report.add("info", f"{_relative(bib_file, root)}:{entry.line}", f"entry '{entry.key}' is not cited on any page")
    return report


def _check_metadata(report: CheckReport, catalog, metadata_file: Path, bib_file: Path, root: Path) -> None:
    """Report a corrupt arXiv metadata cache, and entries whose title differs from the cached one."""
    try:
        records = load_metadata(metadata_file)
    except MetadataCacheError as error:
        report.add("error", _relative(metadata_file, root), f"{error.problem}. Restore the file from git, then run 'wiki-tools papers refresh'")
        return

    for entry in catalog:
        record = lookup_record(records, entry.arxiv_id) if entry.arxiv_id else None
        if record is not None and titles_differ(entry.title, record.title):
            report.add(
                "error",
                f"{_relative(bib_file, root)}:{entry.line}",
                f"entry '{entry.key}' is titled {entry.title!r}, but arXiv {record.arxiv_id} is {record.title!r}. "
                "The eprint is probably wrong: check it, or fix the title",
            )


def _citable_text(path: Path) -> str:
    """Return the text of a page in which citations are searched; for a notebook, its Markdown cells."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".ipynb":
        return text
    try:
        cells = json.loads(text).get("cells", [])
    except ValueError:
        return ""
    return "\n".join("".join(cell.get("source", "")) for cell in cells if cell.get("cell_type") == "markdown")


def _problem_text(problem) -> str:
    entry = f"entry '{problem.key}': " if problem.key else ""
    return f"{entry}{problem.message}" + (f". {problem.hint}" if problem.hint else "")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
