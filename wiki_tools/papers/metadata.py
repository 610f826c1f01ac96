"""The committed cache of arXiv metadata: records, reading and writing, and the drift report.

The cache is one JSON file (by default `data/arxiv/metadata.json`) that `wiki-tools papers refresh`
writes and the site build only reads, so a build never needs the network. It is written for
readable diffs: sorted keys, two-space indent, one object per paper keyed by the arXiv identifier
without version, and every field present (null when arXiv has no value). A missing file is an
empty cache.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..storage import atomic_write_text
from .arxiv_ids import InvalidArxivIdError, parse_arxiv_id
from .latex import latex_to_text

__all__ = [
    "ArxivRecord",
    "DriftReport",
    "MetadataCacheError",
    "SCHEMA_VERSION",
    "diff_metadata",
    "dump_metadata",
    "load_metadata",
    "lookup_record",
    "prune_metadata",
    "save_metadata",
    "select_stale",
    "titles_differ",
]

SCHEMA_VERSION = 1
"""Version of the file layout, stored in the file so that a later layout can migrate old files."""

_WITHDRAWN = re.compile(r"\bwithdrawn\b", re.IGNORECASE)
_WITHDRAWN_ABSTRACT = re.compile(
    r"\s*(?:this (?:paper|article|submission|manuscript) (?:has been|is|was) )?withdrawn\b", re.IGNORECASE
)


class MetadataCacheError(ValueError):
    """Raised when the cache file cannot be read or does not have the expected layout.

    The file is left as it is, so that its author can repair it or restore it from version control.
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"Cannot read the arXiv metadata cache {path}: {problem.rstrip().rstrip('.')}. "
            "Fix it, restore it with git, or delete it and run 'wiki-tools papers refresh'."
        )
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class ArxivRecord:
    """The arXiv metadata of one paper, as stored in the cache."""

    arxiv_id: str
    """Identifier without version, such as `1706.03762`."""
    title: str
    authors: list[str]
    """Author names in the order arXiv lists them (`Ashish Vaswani`)."""
    abstract: str
    primary_category: str
    """Primary arXiv category, such as `cs.CL`."""
    categories: list[str]
    """Every category arXiv lists, the primary one included."""
    published: str
    """First submission (version 1) as an ISO 8601 UTC timestamp."""
    updated: str
    """Submission of the latest version as an ISO 8601 UTC timestamp."""
    version: int | None
    """Number of the latest version."""
    doi: str | None
    """DOI of the published version, when the authors registered one on arXiv."""
    journal_ref: str | None
    """Journal reference of the published version, such as `Nature 521, 436-444 (2015)`."""
    comment: str | None
    """The authors' comment, such as `15 pages, 5 figures`."""
    pdf_url: str | None
    withdrawn: bool
    """True when the comment or abstract states that the paper has been withdrawn."""
    fetched_at: str
    """When this record was fetched, as an ISO 8601 UTC timestamp."""

    @property
    def other_categories(self) -> list[str]:
        """The categories besides the primary one."""
        return [category for category in self.categories if category != self.primary_category]

    @property
    def published_date(self) -> str:
        """Day of first submission, `YYYY-MM-DD`."""
        return self.published[:10]

    @property
    def updated_date(self) -> str:
        """Day the latest version was submitted, `YYYY-MM-DD`."""
        return self.updated[:10]

    @property
    def version_label(self) -> str:
        """Short label of the latest version for paper pages: `v5, updated 2023-08-02`.

        A first version reads `v1, submitted 2017-06-12`, and a withdrawn paper `v3, withdrawn 2020-01-05`.
        """
        prefix = f"v{self.version}, " if self.version else ""
        if self.withdrawn:
            return f"{prefix}withdrawn {self.updated_date}"
        if self.version in (None, 1) or self.updated_date == self.published_date:
            return f"{prefix}submitted {self.published_date}"
        return f"{prefix}updated {self.updated_date}"

    @property
    def fetched_datetime(self) -> datetime:
        return _parse_timestamp(self.fetched_at)

    def to_json(self) -> dict[str, Any]:
        """Convert the record to a JSON object without the identifier, which is the object's key in the file."""
        data = asdict(self)
        del data["arxiv_id"]
        return data

    @classmethod
    def from_json(cls, arxiv_id: str, data: Mapping[str, Any]) -> ArxivRecord:
        """Build a record from its JSON object.

        Raises:
            ValueError: a field is missing or has the wrong type; the message names the field.
        """
        values: dict[str, Any] = {"arxiv_id": arxiv_id}
        for spec in fields(cls):
            if spec.name == "arxiv_id":
                continue
            if spec.name not in data:
                raise ValueError(f"field {spec.name!r} is missing")
            values[spec.name] = data[spec.name]
        _check_types(values)
        return cls(**values)


def _check_types(values: dict[str, Any]) -> None:
    """Reject a record whose fields a hand edit or a merge conflict left with the wrong type."""
    text_fields = ("title", "abstract", "primary_category", "published", "updated", "fetched_at")
    optional_text = ("doi", "journal_ref", "comment", "pdf_url")
    for name in text_fields:
        if not isinstance(values[name], str):
            raise ValueError(f"field {name!r} must be a string, not {values[name]!r}")
    for name in optional_text:
        if values[name] is not None and not isinstance(values[name], str):
            raise ValueError(f"field {name!r} must be a string or null, not {values[name]!r}")
    for name in ("authors", "categories"):
        value = values[name]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"field {name!r} must be a list of strings, not {value!r}")
    version = values["version"]
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValueError(f"field 'version' must be an integer or null, not {version!r}")
    if not isinstance(values["withdrawn"], bool):
        raise ValueError(f"field 'withdrawn' must be true or false, not {values['withdrawn']!r}")
    try:
        _parse_timestamp(values["fetched_at"])
    except ValueError:
        raise ValueError(f"field 'fetched_at' is not an ISO 8601 timestamp: {values['fetched_at']!r}") from None


def is_withdrawn(comment: str | None, abstract: str) -> bool:
    """Tell whether arXiv marks a paper as withdrawn.

    The API has no withdrawn flag. A withdrawal is a new version whose comment, and often its
    abstract, states it: "This paper has been withdrawn by the author due to an error in Lemma 2".
    """
    # NOTE: any comment with the word "withdrawn" counts, so "an earlier claim was withdrawn" is a false positive.
    if comment and _WITHDRAWN.search(comment):
        return True
    return bool(_WITHDRAWN_ABSTRACT.match(abstract))


# ---- Reading and writing ----


def load_metadata(path: str | Path) -> dict[str, ArxivRecord]:
    """Read the metadata cache into records keyed by arXiv identifier without version (`1706.03762`).

    A missing file is an empty cache. This is the only function the site build needs.

    Raises:
        MetadataCacheError: the file is not valid JSON, not in the expected layout, or has an
            invalid record. The message names the file, and for a record its identifier.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise MetadataCacheError(path, str(error)) from None

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MetadataCacheError(
            path, f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None

    if not isinstance(data, dict) or not isinstance(data.get("papers"), dict):
        raise MetadataCacheError(path, "expected a JSON object with a 'papers' object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise MetadataCacheError(
            path, f"expected schema_version {SCHEMA_VERSION}, found {data.get('schema_version')!r}"
        )

    records: dict[str, ArxivRecord] = {}
    for arxiv_id, entry in data["papers"].items():
        if not isinstance(entry, dict):
            raise MetadataCacheError(path, f"the record for {arxiv_id!r} is not a JSON object")
        try:
            records[arxiv_id] = ArxivRecord.from_json(arxiv_id, entry)
        except ValueError as error:
            raise MetadataCacheError(path, f"invalid record for {arxiv_id!r}: {error}") from None
    return records


def lookup_record(records: Mapping[str, ArxivRecord], eprint: str) -> ArxivRecord | None:
    """Return the record for an `eprint` value in any form (`arXiv:1706.03762v5`, `math.GT/0309136`), or None.

    The cache is keyed by the normalised identifier without version, so a raw `eprint` must be parsed
    before the lookup: `math.GT/0309136` is stored as `math/0309136`.
    """
    try:
        identifier = parse_arxiv_id(eprint)
    except InvalidArxivIdError:
        return None
    return records.get(identifier.base)


def dump_metadata(records: Mapping[str, ArxivRecord]) -> str:
    """Serialise records to the cache's JSON text. Equal records always give byte-identical text."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "papers": {arxiv_id: record.to_json() for arxiv_id, record in records.items()},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save_metadata(path: str | Path, records: Mapping[str, ArxivRecord]) -> None:
    """Write the cache atomically, so a reader or an interrupted run finds the old file or the new one, never a mix."""
    atomic_write_text(path, dump_metadata(records))


# ---- Selecting and pruning ----


def select_stale(
    arxiv_ids: Iterable[str],
    records: Mapping[str, ArxivRecord],
    max_age_days: float,
    now: datetime | None = None,
) -> list[str]:
    """Return the identifiers whose record is missing or was fetched more than `max_age_days` days ago."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=max_age_days)
    stale = []
    for arxiv_id in arxiv_ids:
        record = records.get(arxiv_id)
        if record is None or record.fetched_datetime < cutoff:
            stale.append(arxiv_id)
    return stale


def prune_metadata(
    records: Mapping[str, ArxivRecord], keep_ids: Iterable[str]
) -> tuple[dict[str, ArxivRecord], list[str]]:
    """Drop the records whose identifier is not in `keep_ids`; return the kept records and the dropped ids."""
    keep = set(keep_ids)
    kept = {arxiv_id: record for arxiv_id, record in records.items() if arxiv_id in keep}
    dropped = sorted(arxiv_id for arxiv_id in records if arxiv_id not in keep)
    return kept, dropped


# ---- The drift report ----


@dataclass
class DriftReport:
    """Changes on arXiv between two versions of the cache, paper by paper."""

    new_versions: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    """(identifier, old version, new version) for papers with a newer version."""
    gained_doi: list[tuple[str, str]] = field(default_factory=list)
    """(identifier, DOI) for papers that gained or changed their DOI."""
    gained_journal_ref: list[tuple[str, str]] = field(default_factory=list)
    """(identifier, journal reference) for papers that gained or changed their journal reference."""
    withdrawn: list[str] = field(default_factory=list)
    """Papers that are withdrawn now but were not before."""
    added: list[str] = field(default_factory=list)
    """Papers that have a record for the first time."""

    def __bool__(self) -> bool:
        return bool(self.new_versions or self.gained_doi or self.gained_journal_ref or self.withdrawn or self.added)


def diff_metadata(old: Mapping[str, ArxivRecord], new: Mapping[str, ArxivRecord]) -> DriftReport:
    """Compare two caches and list new versions, gained DOIs and journal references, and withdrawals."""
    report = DriftReport()
    for arxiv_id in sorted(new):
        after = new[arxiv_id]
        before = old.get(arxiv_id)
        if before is None:
            report.added.append(arxiv_id)
            if after.withdrawn:
                report.withdrawn.append(arxiv_id)
            continue

        if (after.version or 0) > (before.version or 0):
            report.new_versions.append((arxiv_id, before.version, after.version))
        if after.doi and after.doi != before.doi:
            report.gained_doi.append((arxiv_id, after.doi))
        if after.journal_ref and after.journal_ref != before.journal_ref:
            report.gained_journal_ref.append((arxiv_id, after.journal_ref))
        if after.withdrawn and not before.withdrawn:
            report.withdrawn.append(arxiv_id)
    return report


# ---- Titles ----


def titles_differ(bib_title: str, arxiv_title: str) -> bool:
    """Tell whether two titles differ beyond case, punctuation, spacing, accents and LaTeX markup.

    The build uses this to warn when a `.bib` entry's `eprint` probably names the wrong paper:
    `{BERT}: Pre-training of Deep...` and `BERT: Pre-Training of Deep...` are the same title,
    while `Attention Is All You Need` and `Deep Residual Learning` are not.
    """
    return _comparable_title(bib_title) != _comparable_title(arxiv_title)


def _comparable_title(title: str) -> str:
    # LaTeX treats a bare `&` as an alignment mark and drops it, so spell it out first.
    text = latex_to_text(title.replace("\\&", " and ").replace("&", " and "))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(character for character in text if not unicodedata.combining(character))
    return "".join(character for character in text.casefold() if character.isalnum())


# ---- Timestamps ----


def format_timestamp(moment: datetime) -> str:
    """Format a moment as `2023-08-02T17:54:12Z`, the form used throughout the cache."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
