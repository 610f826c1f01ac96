"""One fetch run: download every feed concurrently, parse the bytes, add new items, update the state.

The order of the writes is what keeps the archive whole. New items are written first and the
state (with the new ETags) last. A run killed in between has stored the items but not the ETags,
so the next run fetches the feeds in full again and finds those items already stored. The
reverse order could record an ETag for items that never reached the archive, and the next 304
would hide them for good.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .archive import FeedState, add_items, archive_lock, load_state, save_state, stored_identities
from .fetch import FetchError, FetchSettings, fetch_feed
from .items import Item, format_timestamp, item_from_entry, parse_timestamp
from .sanitize import DEFAULT_SUMMARY_CHARS

__all__ = ["FeedOutcome", "FeedSource", "FetchReport", "fetch_all"]

log = logging.getLogger(__name__)

NEW = "new"
UNCHANGED = "unchanged"
FAILED = "failed"
DEFERRED = "deferred"


@dataclass(frozen=True)
class FeedSource:
    """One feed to fetch, from `mkdocs.yml` or from the `--feed` option."""

    name: str
    url: str
    tags: tuple[str, ...] = ()
    from_command_line: bool = False
    """True for a feed given with `--feed`, so that messages send the editor there instead of to `mkdocs.yml`."""

    def url_advice(self, configured: str) -> str:
        """Return `configured`, the advice for a feed in `mkdocs.yml`, or the `--feed` equivalent."""
        return "Check the URL given with --feed" if self.from_command_line else configured


@dataclass
class FeedOutcome:
    """The result of one run for one feed."""

    name: str
    url: str
    status: str
    """`new` (fetched and parsed, possibly with no new item), `unchanged` (304), `failed`, or
    `deferred` (skipped because the server asked, with Retry-After, not to be fetched yet)."""
    new_items: int = 0
    entries: int = 0
    """Entries in the fetched feed, stored or not."""
    reason: str = ""
    """Reason the feed failed or was deferred."""
    notes: list[str] = field(default_factory=list)
    """Things the editor may want to act on: a permanent redirect, a feed parsed despite errors."""
    error_streak: int = 0
    last_success: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == FAILED


@dataclass
class FetchReport:
    """The outcome of a run, one entry per feed, in the configured order."""

    outcomes: list[FeedOutcome]
    failing_after_runs: int = 3

    @property
    def new_items(self) -> int:
        return sum(outcome.new_items for outcome in self.outcomes)

    @property
    def all_failed(self) -> bool:
        """True when there were feeds and every one of them failed. This is the run's only error exit."""
        return bool(self.outcomes) and all(outcome.failed for outcome in self.outcomes)

    @property
    def failing(self) -> list[FeedOutcome]:
        """Feeds that failed in at least `failing_after_runs` runs in a row."""
        return [outcome for outcome in self.outcomes if outcome.error_streak >= self.failing_after_runs]


@dataclass
class _Download:
    """The result of fetching and parsing one feed in a worker thread."""

    source: FeedSource
    state: FeedState
    outcome: FeedOutcome
    items: list[Item] = field(default_factory=list)
    response: Any = None


def fetch_all(
    feeds: Iterable[FeedSource],
    archive_dir: Path,
    settings: FetchSettings | None = None,
    *,
    summary_chars: int = DEFAULT_SUMMARY_CHARS,
    lock_wait_seconds: float = 600,
    failing_after_runs: int = 3,
    progress: Callable[[FeedOutcome], None] | None = None,
    now: datetime | None = None,
) -> FetchReport:
    """Fetch `feeds` into the archive in `archive_dir` and report per feed.

    `now` is the run's time: the first-seen time of undated items and the fetch time in the state.
    `progress` is called in the calling thread each time a feed finishes.

    Raises:
        LockBusyError: another fetch held the archive lock for longer than `lock_wait_seconds`.
    """
    sources = _unique_sources(feeds)
    archive_dir = Path(archive_dir)
    settings = settings or FetchSettings()

    with archive_lock(archive_dir, lock_wait_seconds):
        run_time = (now or datetime.now(UTC)).replace(microsecond=0)
        states = load_state(archive_dir)
        known = stored_identities(archive_dir)

        downloads = []
        pending = []
        for source in sources:
            state = states.get(source.name)
            if state is None or state.configured_url != source.url:
                state = FeedState(configured_url=source.url, url=source.url)
            states[source.name] = state
            skipped = _skipped_download(source, state, run_time)
            if skipped is not None:
                downloads.append(skipped)
                if progress:
                    progress(skipped.outcome)
            else:
                pending.append((source, state))

        # Network and parsing run in threads. Everything that reads or writes the archive stays in this thread.
        new_items = []
        with ThreadPoolExecutor(max_workers=max(1, settings.concurrency)) as pool:
            futures = [
                pool.submit(_download, source, state, settings, run_time, summary_chars) for source, state in pending
            ]
            for future in as_completed(futures):
                download = future.result()
                downloads.append(download)
                fresh = _unseen(download.items, known)
                download.outcome.new_items = len(fresh)
                new_items.extend(fresh)
                if progress:
                    progress(download.outcome)

        by_name = {download.source.name: download for download in downloads}
        added = add_items(archive_dir, new_items)
        log.info("Added %d items in %d monthly files", sum(added.values()), len(added))

        # The state is saved even if recording one feed fails, because items were written above and
        # a state left unsaved would make every later run repeat the same failure.
        try:
            for source in sources:
                _record(by_name[source.name], run_time)
        finally:
            save_state(archive_dir, states)

    return FetchReport([by_name[source.name].outcome for source in sources], failing_after_runs)


def _unique_sources(feeds: Iterable[FeedSource]) -> list[FeedSource]:
    sources: dict[str, FeedSource] = {}
    for source in feeds:
        if source.name in sources:
            raise ValueError(f"Feed name {source.name!r} is used twice. Give every feed its own name.")
        sources[source.name] = source
    return list(sources.values())


def _unseen(items: list[Item], known: set[tuple[str, str]]) -> list[Item]:
    """Return the items whose (feed, id) is not in `known`, and add them to it."""
    fresh = []
    for item in items:
        identity = (item.feed, item.id)
        if identity not in known:
            known.add(identity)
            fresh.append(item)
    return fresh


def _skipped_download(source: FeedSource, state: FeedState, now: datetime) -> _Download | None:
    outcome = FeedOutcome(source.name, state.url, FAILED, error_streak=state.error_streak)
    outcome.last_success = state.last_success
    if state.gone:
        outcome.reason = (
            f"the server responded 410 Gone at {state.last_fetch}, so the feed is no longer fetched. "
            + source.url_advice("Remove it from mkdocs.yml or give it a new URL")
        )
        return _Download(source, state, outcome)
    if state.retry_not_before and parse_timestamp(state.retry_not_before) > now:
        outcome.status = DEFERRED
        outcome.reason = f"the server asked not to be fetched before {state.retry_not_before} (Retry-After)"
        return _Download(source, state, outcome)
    return None


def _download(
    source: FeedSource, state: FeedState, settings: FetchSettings, run_time: datetime, summary_chars: int
) -> _Download:
    """Fetch and parse one feed. Runs in a worker thread and touches nothing on disk.

    An unexpected error fails this feed only, so that one strange feed cannot stop the daily run.
    """
    # NOTE: no test reaches the two `except Exception` branches of this module. An empty body used
    # to raise here and is now checked before parsing; no other such input is known.
    download = _Download(source, state, FeedOutcome(source.name, state.url, FAILED))
    try:
        _fetch_and_parse(download, settings, run_time, summary_chars)
    except Exception as error:  # Reported per feed, with the traceback in the log.
        log.exception("Processing feed %r from %s failed", source.name, state.url)
        download.items = []
        download.outcome.status = FAILED
        download.outcome.reason = f"could not be processed ({type(error).__name__}: {error})"
    return download


def _fetch_and_parse(download: _Download, settings: FetchSettings, run_time: datetime, summary_chars: int) -> None:
    source, state, outcome = download.source, download.state, download.outcome
    try:
        response = fetch_feed(state.url, settings, etag=state.etag, last_modified=state.last_modified)
    except FetchError as error:
        outcome.reason = error.reason
        if error.gone:
            outcome.reason += ". " + source.url_advice("Remove it from mkdocs.yml or give it a new URL")
        download.response = error
        return

    download.response = response
    if response.permanent_url:
        outcome.notes.append(
            f"moved permanently to {response.permanent_url}; later runs fetch the new URL. "
            + source.url_advice("Update the feed's url in mkdocs.yml to match")
        )
    if response.not_modified:
        outcome.status = UNCHANGED
        return

    # feedparser returns a result without `version` for zero bytes, so an empty body is caught here.
    # A body of only whitespace or a byte order mark reaches feedparser, which reports it as invalid.
    if not response.body:
        outcome.reason = f"empty response (HTTP {response.status} with no body), so there is nothing to parse"
        return

    # Imported here: a site build loads this module for its settings but never parses a feed.
    import feedparser

    # feedparser gets the received bytes and the charset from Content-Type. It neither resolves nor
    # sanitises: a relative GUID must stay as written to remain a stable identity, and nh3 is the
    # one sanitiser (see `item_from_entry`).
    parsed = feedparser.parse(
        response.body,
        response_headers={"content-type": response.content_type},
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no RSS or Atom document found"
        outcome.reason = f"not a valid feed ({problem})"
        return
    if parsed.bozo:
        outcome.notes.append(f"parsed despite an error in the feed: {parsed.get('bozo_exception')}")

    items = []
    skipped = 0
    broken = 0
    for index, entry in enumerate(parsed.entries):
        try:
            item = item_from_entry(
                entry, feed=source.name, base_url=response.url, seen_at=run_time, summary_chars=summary_chars
            )
        except Exception:  # One odd entry must not cost the feed's other items.
            log.exception("Entry %d of feed %r could not be normalised", index + 1, source.name)
            broken += 1
            continue
        if item is None:
            skipped += 1
        else:
            items.append(item)
    items = _first_of_each_identity(items, source.name)
    if skipped:
        outcome.notes.append(f"skipped {skipped} {_entries(skipped)} without id, link, title or text")
    if broken:
        outcome.notes.append(f"skipped {broken} {_entries(broken)} that could not be normalised (see the log)")

    outcome.status = NEW
    outcome.entries = len(parsed.entries)
    download.items = items


def _first_of_each_identity(items: list[Item], feed: str) -> list[Item]:
    """Return `items` without the entries whose id repeats an earlier entry of the same response.

    Feed readers treat the GUID as the entry's identity, so a repeated GUID is the same entry
    listed twice, and they show it once without a message. This keeps the first one, which is the
    newest in the usual newest-first order, and logs the rest at debug level only, because the
    editor can do nothing about a publisher's duplicate.
    """
    seen: set[str] = set()
    kept = []
    repeated = []
    for item in items:
        if item.id in seen:
            repeated.append(item.id)
        else:
            seen.add(item.id)
            kept.append(item)
    if repeated:
        log.debug(
            "Feed %r listed %d entries with an id seen earlier in it, kept the first: %s", feed, len(repeated), repeated
        )
    return kept


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


def _record(download: _Download, run_time: datetime) -> None:
    """Update the feed's state from this run's outcome."""
    state = download.state
    outcome = download.outcome
    response = download.response
    stamp = format_timestamp(run_time)

    if outcome.status == DEFERRED or response is None and state.gone:
        return
    state.last_fetch = stamp

    if outcome.status in (NEW, UNCHANGED):
        state.error_streak = 0
        state.last_error = None
        state.last_success = stamp
        state.retry_not_before = None
        if response.permanent_url:
            state.url = response.permanent_url
        if outcome.status == NEW:
            # Validators are kept only with content that parsed, so a broken feed is fetched in full
            # again next time instead of hiding behind a 304.
            state.etag = response.etag
            state.last_modified = response.last_modified
    else:
        state.error_streak += 1
        state.last_error = outcome.reason
        if isinstance(response, FetchError):
            state.gone = response.gone
            if response.retry_after is not None:
                state.retry_not_before = format_timestamp(response.retry_after)

    outcome.error_streak = state.error_streak
    outcome.last_success = state.last_success
