"""The work behind `wiki-tools papers add` and `papers refresh`: fetch, then write `papers.bib` and the cache.

Both commands fetch everything before they write anything. A network failure or a malformed
response therefore raises before any file changes, and the files that are written are replaced
atomically, so an interrupted run leaves the previous versions whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..storage import atomic_write_bytes
from .arxiv_client import ArxivClient
from .arxiv_ids import ArxivId, InvalidArxivIdError, parse_arxiv_id
from .bibwriter import append_entries, arxiv_ids_in_bib, format_entry, make_citation_key, scan_entries, set_entry_fields
from .library import Paper, load_bibliography
from .metadata import (
    ArxivRecord,
    DriftReport,
    diff_metadata,
    load_metadata,
    prune_metadata,
    save_metadata,
    select_stale,
    titles_differ,
)

__all__ = ["AddReport", "BibUpdate", "RefreshReport", "add_papers", "refresh_papers"]

_PREPRINT_TYPES = {"misc", "unpublished", "online", "preprint", "techreport"}
_ARXIV_DOI_PREFIX = "10.48550/arxiv."


@dataclass
class AddReport:
    """The outcome of adding papers, input by input."""

    added: list[tuple[str, str, ArxivRecord]] = field(default_factory=list)
    """(input, new key, record) for each paper appended to the bibliography."""
    already_present: list[tuple[str, str]] = field(default_factory=list)
    """(input, existing key) for papers the bibliography already has."""
    repeated: list[str] = field(default_factory=list)
    """Inputs that name a paper given earlier in the same command."""
    invalid: list[str] = field(default_factory=list)
    """Messages for inputs that are not arXiv identifiers."""
    not_found: list[str] = field(default_factory=list)
    """Inputs that arXiv has no paper for."""
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(input, reason) for identifiers that arXiv rejected."""
    requests: int = 0

    @property
    def failed(self) -> bool:
        """True when an input could not be added, so the command should exit non-zero."""
        return bool(self.invalid or self.not_found or self.rejected)


@dataclass
class BibUpdate:
    """One entry that `update_bib` changed: its fields and type before and after."""

    key: str
    arxiv_id: str
    values: dict[str, str]
    """Fields written, by lower-case name."""
    previous_values: dict[str, str]
    """Values that the written fields had before, for those that existed."""
    entry_type: str
    new_entry_type: str | None = None
    """The type the entry was changed to, or None when it kept `entry_type`."""

    def describe(self) -> str:
        """List the changes, such as `doi 10.48550/arXiv.2001.08361 → 10.1/x; type @misc → @article; journal added`."""
        replaced = [
            f"{name} {self.previous_values[name]} → {value}"
            for name, value in self.values.items()
            if name in self.previous_values
        ]
        retyped = [f"type @{self.entry_type} → @{self.new_entry_type}"] if self.new_entry_type else []
        added = [f"{name} added ({value})" for name, value in self.values.items() if name not in self.previous_values]
        return "; ".join(replaced + retyped + added)


@dataclass
class RefreshReport:
    """The outcome of refreshing the metadata cache."""

    checked: int = 0
    """Papers in the bibliography with an arXiv identifier."""
    fetched: int = 0
    requests: int = 0
    drift: DriftReport = field(default_factory=DriftReport)
    not_found: list[tuple[str, str]] = field(default_factory=list)
    """(identifier, keys) that arXiv has no paper for."""
    rejected: list[tuple[str, str]] = field(default_factory=list)
    invalid_eprints: list[str] = field(default_factory=list)
    """Messages for entries whose `eprint` is not an arXiv identifier."""
    title_mismatches: list[tuple[str, str, str]] = field(default_factory=list)
    """(key, title in the bibliography, title on arXiv) where they differ beyond case and punctuation."""
    withdrawn_in_bib: list[tuple[str, str]] = field(default_factory=list)
    """(key, identifier) of entries whose paper arXiv marks as withdrawn."""
    orphans: list[str] = field(default_factory=list)
    """Cached identifiers that no entry uses any more, kept because `prune` was not asked for."""
    pruned: list[str] = field(default_factory=list)
    bib_updates: list[BibUpdate] = field(default_factory=list)
    """Entries that `update_bib` changed, with what changed."""
    keys_by_id: dict[str, list[str]] = field(default_factory=dict)
    """Keys of the entries that cite each arXiv identifier, to name papers by key in the report."""
    bib_problems: list[str] = field(default_factory=list)
    skipped_actions: list[str] = field(default_factory=list)
    """Requested actions that were not safe to carry out, with the reason."""

    @property
    def failed(self) -> bool:
        """True when a paper could not be refreshed or an action was skipped, so the command should exit non-zero."""
        return bool(self.not_found or self.rejected or self.invalid_eprints or self.skipped_actions)


# ---- Adding ----


def add_papers(
    inputs: Sequence[str],
    bib_path: Path,
    metadata_path: Path,
    client: ArxivClient,
    today: date | None = None,
) -> AddReport:
    """Fetch each pasted identifier and append a BibTeX entry for it, skipping papers already present.

    The new records also go into the metadata cache, so the next build shows their abstracts.

    Raises:
        ArxivApiError: the API could not be reached or sent an invalid response, so no file was changed.
        MetadataCacheError: the cache file is unreadable; no file was changed.
        BibWriteError: `papers.bib` has an entry whose braces never close; no file was changed.
        OSError, UnicodeDecodeError: `papers.bib` cannot be read as UTF-8.
    """
    report = AddReport()
    cache = load_metadata(metadata_path)
    text = bib_path.read_text(encoding="utf-8") if bib_path.exists() else ""
    present = arxiv_ids_in_bib(text)

    # Resolve every input first, so that bad ones are reported while the good ones still proceed.
    requested: dict[str, str] = {}
    for raw in inputs:
        try:
            identifier = parse_arxiv_id(raw)
        except InvalidArxivIdError as error:
            report.invalid.append(str(error))
            continue
        if identifier.base in requested:
            report.repeated.append(raw)
        elif identifier.base in present:
            report.already_present.append((raw, present[identifier.base]))
        else:
            requested[identifier.base] = raw

    result = client.fetch(list(requested))
    report.requests = client.request_count
    report.not_found = [requested[arxiv_id] for arxiv_id in result.not_found]
    report.rejected = [(requested[arxiv_id], reason) for arxiv_id, reason in result.rejected.items()]

    # Keys are chosen in input order, each one avoiding the file's keys and those chosen before it.
    taken = {span.key for span in scan_entries(text)}
    added_on = (today or date.today()).isoformat()
    entries = []
    for arxiv_id, raw in requested.items():
        record = result.records.get(arxiv_id)
        if record is None:
            continue
        key = make_citation_key(record, taken)
        taken.add(key)
        entries.append(format_entry(key, record, added_on))
        report.added.append((raw, key, record))

    # NOTE: the two files are replaced one after the other, so a crash between the writes leaves the
    # new entries without cached metadata until the next `papers refresh`.
    append_entries(bib_path, entries)
    if result.records:
        save_metadata(metadata_path, {**cache, **result.records})
    return report


# ---- Refreshing ----


def refresh_papers(
    bib_path: Path,
    metadata_path: Path,
    client: ArxivClient,
    *,
    stale_days: float | None = None,
    prune: bool = False,
    update_bib: bool = False,
    now: datetime | None = None,
) -> RefreshReport:
    """Fetch the metadata of every entry with an arXiv `eprint` and rewrite the cache.

    Args:
        stale_days: Fetch only papers whose record is missing or older than this many days.
        prune: Drop cached records that no entry of the bibliography uses.
        update_bib: Write arXiv's journal reference and DOI into entries that lack them, and replace
            arXiv's own DOI with the publisher's; `RefreshReport.bib_updates` lists each change.
        now: The current time, for the `stale_days` cut-off.

    Raises:
        ArxivApiError: the API could not be reached or sent an invalid response, so no file was changed.
        MetadataCacheError: the cache file is unreadable; no file was changed.
    """
    report = RefreshReport()
    cache = load_metadata(metadata_path)
    bibliography = load_bibliography(bib_path)
    report.bib_problems = [str(problem) for problem in bibliography.problems]

    # Group entries by identifier; two entries may cite the same paper.
    keys_by_id: dict[str, list[str]] = {}
    for paper in bibliography:
        identifier = _entry_arxiv_id(paper.fields, paper.key, bib_path, paper.line, report)
        if identifier is not None:
            keys_by_id.setdefault(identifier.base, []).append(paper.key)
    report.checked = len(keys_by_id)
    report.keys_by_id = keys_by_id

    targets = list(keys_by_id)
    if stale_days is not None:
        targets = select_stale(targets, cache, stale_days, now)
    result = client.fetch(targets)
    report.fetched = len(result.records)
    report.requests = client.request_count
    report.not_found = [(arxiv_id, ", ".join(keys_by_id[arxiv_id])) for arxiv_id in result.not_found]
    report.rejected = [(arxiv_id, reason) for arxiv_id, reason in result.rejected.items()]

    updated = {**cache, **result.records}
    report.drift = diff_metadata(cache, updated)
    _compare_with_bib(bibliography.papers, keys_by_id, result.records, report)

    # A broken bibliography hides entries from the parser, so their records would look unused.
    orphans = sorted(arxiv_id for arxiv_id in updated if arxiv_id not in keys_by_id)
    if prune and report.bib_problems:
        report.skipped_actions.append(f"--prune: {bib_path} has errors, so its entries cannot all be seen")
        report.orphans = orphans
    elif prune:
        updated, report.pruned = prune_metadata(updated, keys_by_id)
    else:
        report.orphans = orphans

    if result.records or report.pruned:
        save_metadata(metadata_path, updated)

    if update_bib:
        if report.bib_problems:
            report.skipped_actions.append(f"--update-bib: {bib_path} has errors; fix them first")
        else:
            _update_bib(bib_path, bibliography.papers, keys_by_id, result.records, report)
    return report


def _entry_arxiv_id(
    fields: dict[str, str], key: str, bib_path: Path, line: int, report: RefreshReport
) -> ArxivId | None:
    eprint = fields.get("eprint", "").strip()
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "arxiv")).strip().lower()
    if not eprint or prefix != "arxiv":
        return None
    try:
        return parse_arxiv_id(eprint)
    except InvalidArxivIdError as error:
        report.invalid_eprints.append(f"{bib_path}:{line} in entry '{key}': {error}")
        return None


def _compare_with_bib(
    papers: dict[str, Paper], keys_by_id: dict[str, list[str]], records: dict[str, ArxivRecord], report: RefreshReport
) -> None:
    """Note entries whose title differs from arXiv's, which suggests a wrong `eprint`, and withdrawn papers."""
    for arxiv_id, record in records.items():
        for key in keys_by_id.get(arxiv_id, []):
            paper = papers[key]
            if titles_differ(paper.fields.get("title", ""), record.title):
                report.title_mismatches.append((key, paper.title, record.title))
            if record.withdrawn:
                report.withdrawn_in_bib.append((key, arxiv_id))


def _update_bib(
    bib_path: Path,
    papers: dict[str, Paper],
    keys_by_id: dict[str, list[str]],
    records: dict[str, ArxivRecord],
    report: RefreshReport,
) -> None:
    """Write the journal reference and DOI that arXiv has into entries, one entry at a time, noting each change."""
    original = bib_path.read_bytes()
    text = original.decode("utf-8")
    for arxiv_id, record in records.items():
        for key in keys_by_id.get(arxiv_id, []):
            paper = papers[key]
            values, entry_type = _venue_fields(paper, record)
            if values:
                text = set_entry_fields(text, key, values, entry_type)
                previous = {name: paper.fields[name].strip() for name in values if name in paper.fields}
                report.bib_updates.append(BibUpdate(key, arxiv_id, values, previous, paper.entry_type, entry_type))

    if report.bib_updates:
        atomic_write_bytes(bib_path, text.encode("utf-8"))


def _venue_fields(paper: Paper, record: ArxivRecord) -> tuple[dict[str, str], str | None]:
    """Return the fields to write into one entry and its new type, if the type must change.

    A journal reference becomes `journal` only when the entry names no venue yet. A DOI is written
    when the entry has none, or when it has arXiv's own DOI and arXiv now lists the publisher's.
    """
    values: dict[str, str] = {}
    entry_type = None
    if record.journal_ref and not any(name in paper.fields for name in ("journal", "booktitle")):
        values["journal"] = record.journal_ref
        if paper.entry_type in _PREPRINT_TYPES:
            entry_type = "article"

    current_doi = paper.fields.get("doi", "").strip()
    if record.doi and record.doi.lower() != current_doi.lower():
        if not current_doi or current_doi.lower().startswith(_ARXIV_DOI_PREFIX):
            values["doi"] = record.doi
    return values, entry_type
