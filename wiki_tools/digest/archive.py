"""The digest archive on disk: monthly JSON Lines files of items, a state file, and the fetch lock.

Layout of the archive folder (by default `data/digest/`):

    2026-11.jsonl   one item per line, every item published (or first seen) in that UTC month
    2026-12.jsonl
    state.json      per feed: ETag, Last-Modified, current URL, last fetch and success, error streak
    .fetch.lock     held while a fetch runs; not committed

Items are only ever added. Each monthly file is sorted by (published, feed, id) and every line is
written with sorted keys, so a run that adds nothing rewrites nothing, and a run that adds items
shows up in `git diff` as added lines only. A line that cannot be read is reported with its file and
line number, skipped by readers and kept, byte for byte, by every rewrite.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..storage import atomic_write_bytes, atomic_write_text, locked
from .items import Item, parse_timestamp

__all__ = [
    "ArchiveContents",
    "CorruptLine",
    "FeedState",
    "add_items",
    "archive_lock",
    "load_items",
    "load_state",
    "read_archive",
    "save_state",
    "serialise",
]

log = logging.getLogger(__name__)

MONTH_FILE = re.compile(r"^(\d{4})-(\d{2})\.jsonl$")
STATE_FILE = "state.json"
LOCK_FILE = ".fetch.lock"
# Temporary files left by a writer that was killed between writing and renaming (see storage.py).
_STALE_TEMPORARY = ".*.tmp"
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class CorruptLine:
    """A line of a monthly file that is not a valid item. It is skipped and never deleted."""

    path: Path
    line: int
    error: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: invalid archive line ({self.error}). Fix or remove the line by hand."


@dataclass
class ArchiveContents:
    """Every readable item of an archive, in file order, and the lines that could not be read."""

    items: list[Item]
    problems: list[CorruptLine]
    months: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Modification time (ns) and size of each monthly file, taken before the files were read, keyed
    by month such as `2026-11`. Every write replaces a monthly file, so the same values mean the same items."""


def serialise(item: Item) -> str:
    """Return the one-line JSON form of `item`: sorted keys, UTF-8 text, no spaces."""
    return json.dumps(item.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def month_files(archive_dir: Path) -> list[Path]:
    """Return the monthly files of the archive, oldest month first."""
    if not archive_dir.is_dir():
        return []
    return sorted(path for path in archive_dir.iterdir() if MONTH_FILE.match(path.name) and path.is_file())


def _read_month(path: Path) -> tuple[list[tuple[str, Item | None]], list[CorruptLine]]:
    """Read one monthly file into (raw line, item or None when corrupt) pairs and its problems."""
    lines: list[tuple[str, Item | None]] = []
    problems = []
    with path.open(encoding="utf-8", errors="surrogateescape", newline="\n") as stream:
        for number, raw in enumerate(stream, start=1):
            text = raw.rstrip("\n")
            if not text.strip():
                continue
            try:
                # The file is read with `surrogateescape`, so bytes that are not UTF-8 show up as
                # surrogates. Such a line is reported here rather than published as garbage.
                if _SURROGATE.search(text):
                    raise ValueError("contains bytes that are not valid UTF-8")
                record = json.loads(text)
                if not isinstance(record, dict):
                    raise TypeError(f"expected a JSON object, received {type(record).__name__}")
                # JSON can also escape a lone surrogate (`\ud800`), which no UTF-8 page can contain.
                # The full check runs only on the rare line where the pattern matches.
                if _ESCAPED_SURROGATE.search(text) and _has_surrogate(record):
                    raise ValueError("contains an escaped lone surrogate such as \\ud800, which is not a character")
                item = Item.from_json(record)
            except (ValueError, KeyError, TypeError, UnicodeError) as error:
                message = f"missing field {error}" if isinstance(error, KeyError) else str(error)
                problems.append(CorruptLine(path, number, message))
                lines.append((text, None))
                continue
            lines.append((text, item))
    return lines, problems


def _has_surrogate(value: Any) -> bool:
    """Tell whether any string in a decoded JSON value contains a surrogate code point."""
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(key) or _has_surrogate(entry) for key, entry in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(entry) for entry in value)
    return False


# Parsed archives keyed by folder, reused while no monthly file changed, so that several plugins
# in one build (and every rebuild of `mkdocs serve`) read the files once.
_cache: dict[Path, tuple[tuple, ArchiveContents]] = {}


def _signature(paths: list[Path]) -> tuple:
    signature = []
    for path in paths:
        stat = path.stat()
        signature.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(signature)


def read_archive(archive_dir: str | Path) -> ArchiveContents:
    """Read every monthly file, skipping and reporting corrupt lines. A missing folder is an empty archive.

    The result is cached until a monthly file changes, so callers must not modify it.
    """
    folder = Path(archive_dir).resolve()
    paths = month_files(folder)
    signature = _signature(paths)
    cached = _cache.get(folder)
    if cached is not None and cached[0] == signature:
        return cached[1]

    items = []
    problems = []
    for path in paths:
        lines, found = _read_month(path)
        items.extend(item for _, item in lines if item is not None)
        problems.extend(found)
    months = {name.removesuffix(".jsonl"): (mtime, size) for name, mtime, size in signature}
    contents = ArchiveContents(items, problems, months)
    _cache[folder] = (signature, contents)
    return contents


def load_items(archive_dir: str | Path) -> list[Item]:
    """Return every readable item of the archive, oldest month first. Corrupt lines are skipped.

    This is the reader for other plugins (such as the paper pages' "Mentioned in the digests"
    list). It shares its cache with `read_archive`, so a second call in one build costs nothing.
    """
    return read_archive(archive_dir).items


def add_items(archive_dir: Path, items: Iterable[Item]) -> dict[str, int]:
    """Add `items` that the archive does not hold yet, and return how many were added per month.

    The caller must hold `archive_lock`. Identity is (feed, id): an item already stored, even with
    other content, is left as it is. Every changed monthly file is replaced atomically.
    """
    by_month: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_month[item.month].append(item)

    added: dict[str, int] = {}
    for month, new_items in sorted(by_month.items()):
        path = archive_dir / f"{month}.jsonl"
        lines, problems = _read_month(path) if path.exists() else ([], [])
        for problem in problems:
            log.warning("%s", problem)
        count = _merge_month(path, lines, new_items)
        if count:
            added[month] = count
    return added


def _merge_month(path: Path, lines: list[tuple[str, Item | None]], new_items: list[Item]) -> int:
    """Write the sorted union of the stored lines and `new_items` to `path`, returning how many were new."""
    known = {(item.feed, item.id) for _, item in lines if item is not None}
    fresh: dict[tuple[str, str], Item] = {}
    for item in new_items:
        identity = (item.feed, item.id)
        if identity not in known and identity not in fresh:
            fresh[identity] = item
    if not fresh:
        return 0

    # A corrupt line sorts with the valid line before it, so it keeps its neighbours and is never lost.
    keyed = []
    previous_key: tuple[str, ...] = ("",)
    for text, item in lines:
        if item is not None:
            previous_key = item.sort_key
        keyed.append((previous_key, text))
    keyed.extend((item.sort_key, serialise(item)) for item in fresh.values())
    keyed.sort(key=lambda pair: pair[0])

    # Lines were read with `surrogateescape`, so undecodable bytes in a corrupt line are written back unchanged.
    content = "".join(text + "\n" for _, text in keyed)
    atomic_write_bytes(path, content.encode("utf-8", errors="surrogateescape"))
    return len(fresh)


def stored_identities(archive_dir: Path) -> set[tuple[str, str]]:
    """Return the (feed, id) pairs already in the archive, read fresh from disk."""
    identities = set()
    for path in month_files(archive_dir):
        lines, _ = _read_month(path)
        identities.update((item.feed, item.id) for _, item in lines if item is not None)
    return identities


@contextmanager
def archive_lock(archive_dir: Path, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the archive's fetch lock, waiting up to `wait_seconds` for another run to finish.

    Raises:
        LockBusyError: another fetch still holds the lock after `wait_seconds`.
    """
    archive_dir.mkdir(parents=True, exist_ok=True)
    with locked(archive_dir / LOCK_FILE, timeout_seconds=wait_seconds):
        _remove_stale_temporaries(archive_dir)
        yield


def _remove_stale_temporaries(archive_dir: Path) -> None:
    # Under the lock no writer is alive, so any temporary file belongs to a run that was killed.
    for path in archive_dir.glob(_STALE_TEMPORARY):
        log.info("Removing %s, left by an interrupted fetch", path)
        path.unlink(missing_ok=True)


@dataclass
class FeedState:
    """Per-feed memory of the fetcher between runs. None of it is archive content."""

    configured_url: str = ""
    """The URL from `mkdocs.yml` when this state was recorded. If the editor changes it, the state starts over."""
    url: str = ""
    """URL to fetch: the configured URL, or its target after a permanent redirect."""
    etag: str | None = None
    last_modified: str | None = None
    last_fetch: str | None = None
    last_success: str | None = None
    error_streak: int = 0
    """Failed runs in a row since the last success."""
    last_error: str | None = None
    gone: bool = False
    """True after a 410 Gone response. The feed is skipped until its URL changes in `mkdocs.yml`."""
    retry_not_before: str | None = None
    """UTC time before which the server asked (with Retry-After) not to be fetched again."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        return {**record.pop("extra"), **record}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> tuple[FeedState, list[str]]:
        """Rebuild a feed's state, returning it and the problems of the fields left at their defaults.

        A field with the wrong type or form is treated as missing, so that one hand edit costs at
        most that feed's conditional-GET headers or error streak, and never crashes a run.
        """
        names = {item.name for item in fields(cls)} - {"extra"}
        known = {}
        problems = []
        for key, value in record.items():
            if key not in names:
                continue
            problem = _state_field_problem(key, value)
            if problem is None:
                known[key] = value
            else:
                problems.append(f"field {key!r} is invalid ({json.dumps(value)[:80]}: {problem})")
        state = cls(**known, extra={key: value for key, value in record.items() if key not in names})
        if not state.url:
            state.url = state.configured_url
        return state, problems


def _state_field_problem(name: str, value: Any) -> str | None:
    """Return why `value` is not valid for the state field `name`, or None when it is."""
    if name in ("configured_url", "url"):
        return None if isinstance(value, str) else "expected a string"
    if name in ("etag", "last_modified", "last_error"):
        return None if value is None or isinstance(value, str) else "expected a string or null"
    if name in ("last_fetch", "last_success", "retry_not_before"):
        if value is None:
            return None
        if not isinstance(value, str):
            return "expected a UTC time such as 2026-12-04T09:30:00Z or null"
        try:
            parse_timestamp(value)
        except ValueError as error:
            return str(error)
        return None
    if name == "error_streak":
        # `bool` is a subclass of `int` in Python, so it is excluded by name.
        valid = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if valid else "expected a whole number of 0 or more"
    if name == "gone":
        return None if isinstance(value, bool) else "expected true or false"
    return None


def load_state(archive_dir: Path) -> dict[str, FeedState]:
    """Read the state file. A missing file is an empty state.

    A state file that is not a JSON object of feeds is renamed to `state.json.corrupt` and replaced
    by an empty state. A feed record or field of the wrong type is treated as missing, with a
    warning. Only conditional-GET headers and error streaks are lost, never an item.

    Raises:
        ValueError: `state.json` is a folder, which the run could neither read nor replace.
    """
    path = archive_dir / STATE_FILE
    if not path.exists():
        return {}
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not the fetcher's state file. Move it away and run the fetch again.")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        feeds = records["feeds"]
        if not isinstance(feeds, dict):
            raise TypeError(f"'feeds' must be an object, not {type(feeds).__name__}")
    except (ValueError, KeyError, TypeError) as error:
        backup = path.with_name(f"{STATE_FILE}.corrupt")
        log.warning("%s is invalid (%s). Moved it to %s and starting with an empty state.", path, error, backup)
        path.replace(backup)
        return {}

    states = {}
    for name, record in feeds.items():
        if not isinstance(record, dict):
            log.warning("%s: the state of feed %r is not a JSON object, so the feed starts over.", path, name)
            continue
        state, problems = FeedState.from_json(record)
        for problem in problems:
            log.warning("%s: feed %r: %s. Ignoring it; the next run saves a valid value.", path, name, problem)
        states[name] = state
    return states


def save_state(archive_dir: Path, states: dict[str, FeedState]) -> None:
    """Replace the state file atomically. Keys are sorted so that the file diffs cleanly."""
    document = {"feeds": {name: states[name].to_json() for name in sorted(states)}}
    atomic_write_text(
        archive_dir / STATE_FILE, json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
