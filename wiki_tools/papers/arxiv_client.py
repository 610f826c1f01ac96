"""Fetch arXiv metadata through the `arxiv` package: batched, rate-limited, retried, and strict about faults.

`ArxivClient` is an `arxiv.Client` whose page fetch is replaced, so that the package still builds
the query URLs, pages through results and turns Atom entries into `arxiv.Result` objects, while
this module decides how requests behave:

* up to 100 identifiers go into one request (`id_list`), so 250 papers take 3 requests;
* at least `delay_seconds` (3 s by default, as arXiv's terms of use ask) pass between the end of
  one response and the next request;
* timeouts, failed connections, HTTP 429 and 5xx responses are retried with exponential backoff;
* a response that is not a well-formed arXiv Atom feed raises `MalformedResponseError`, and an
  identifier that arXiv rejects (HTTP 400 with an error entry) is reported by name while the
  other identifiers of its batch are fetched again without it;
* an HTTP 400 whose error entries name no identifier of the request is split in halves only when
  they say that an identifier is malformed; any other 400 stops the fetch with one error;
* a fetch sends at most `MAX_REQUESTS_PER_BATCH` requests per batch of 100, retries included,
  so no input can cause hundreds of requests.

The package reports some problems only through its `arxiv` logger; they are restated here with the
request they belong to.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import arxiv
import requests
from arxiv._feed import ParsedFeed
from arxiv._feed import parse as parse_arxiv_feed
from lxml import etree
from tqdm import tqdm

from .. import __version__
from .arxiv_ids import InvalidArxivIdError, parse_arxiv_id
from .metadata import ArxivRecord, format_timestamp, is_withdrawn

__all__ = [
    "API_URL_VARIABLE",
    "DEFAULT_API_URL",
    "ArxivApiError",
    "ArxivClient",
    "ArxivRedirectError",
    "ArxivRejectedError",
    "ArxivRequestLimitError",
    "ArxivResponseError",
    "ArxivUnavailableError",
    "FetchResult",
    "MalformedResponseError",
    "resolve_api_url",
]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://export.arxiv.org/api/query"
API_URL_VARIABLE = "WIKI_ARXIV_API_URL"
"""Environment variable that overrides the API URL from `mkdocs.yml`, for mirrors and tests."""

MAX_IDS_PER_REQUEST = 100
DEFAULT_DELAY_SECONDS = 3.0
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_RETRIES = 3
MAX_REQUESTS_PER_BATCH = 20
"""Maximum number of requests, retries included, for one batch of up to 100 identifiers.

Halving a batch of 100 to isolate one unnamed bad identifier takes about 15 requests, which leaves
room for a few retries. A server that fails every request still gets at most 60 requests for 300 papers."""
MAX_RETRY_AFTER_SECONDS = 60.0
"""Upper bound on a server's `Retry-After`, so that one response cannot stall a refresh for hours."""

_NAMESPACES = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
_ERROR_ENTRY_ID = re.compile(r"https?://arxiv\.org/api/errors")
_REJECTED_ID = re.compile(r"incorrect id format for (?P<id>\S+)")
_MALFORMED_ID_REASON = re.compile(r"incorrect id|malformed id|invalid id|id_list", re.IGNORECASE)
_USER_AGENT = f"wiki-tools/{__version__} arxiv.py/{arxiv.__version__}"


# ---- Errors ----


class ArxivApiError(Exception):
    """Base class of the errors raised for one request to the arXiv API."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class ArxivUnavailableError(ArxivApiError):
    """Raised when the API cannot be reached or keeps failing (timeouts, refused connections, HTTP 429 and 5xx)."""

    def __init__(self, url: str, failure: str, attempts: int, status: int | None = None) -> None:
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        if status is None:
            message = (
                f"The arXiv API could not be reached: {failure} on the {_describe_request(url)} {tries}. "
                f"Check the network connection, or point {API_URL_VARIABLE} at a reachable mirror."
            )
        else:
            # The server responded, so the network works and only waiting or another mirror can help.
            message = (
                f"The arXiv API answered {failure} to the {_describe_request(url)} {tries}. "
                f"Try again later, or point {API_URL_VARIABLE} at a mirror."
            )
        super().__init__(url, message)
        self.failure = failure
        self.attempts = attempts
        self.status = status
        """Status of the last response, or None when the last attempt got no response."""


class ArxivResponseError(ArxivApiError):
    """Raised for an HTTP error status that retrying cannot fix, such as 404 from a wrong API URL."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(
            url,
            f"The arXiv API answered HTTP {status} to the {_describe_request(url)}. "
            f"Check 'arxiv_api_url' in mkdocs.yml and {API_URL_VARIABLE}.",
        )
        self.status = status


class ArxivRejectedError(ArxivApiError):
    """Raised for HTTP 400 or an error entry in the feed, which arXiv sends for a malformed identifier.

    `reasons` is empty when a 400 response has no error entries, as from a proxy in front of the API.
    """

    def __init__(self, url: str, status: int, reasons: list[str]) -> None:
        reason = "; ".join(reasons) or f"HTTP {status}"
        super().__init__(url, f"arXiv rejected the {_describe_request(url)}: {_without_full_stop(reason)}.")
        self.status = status
        self.reasons = reasons

    @property
    def rejected_ids(self) -> list[str]:
        """Identifiers that arXiv's error messages name (`incorrect id format for abc` names `abc`)."""
        return [match.group("id") for reason in self.reasons for match in _REJECTED_ID.finditer(reason)]

    @property
    def blames_an_id(self) -> bool:
        """True when an error entry reports that an identifier of the request is malformed."""
        return any(_MALFORMED_ID_REASON.search(reason) for reason in self.reasons)


class ArxivRedirectError(ArxivApiError):
    """Raised when the API URL redirects in a loop or more often than `requests` follows."""

    def __init__(self, url: str) -> None:
        super().__init__(
            url,
            f"The arXiv API redirected the {_describe_request(url)} too many times, probably in a loop. "
            f"Check 'arxiv_api_url' in mkdocs.yml and {API_URL_VARIABLE}.",
        )


class ArxivRequestLimitError(ArxivApiError):
    """Raised when a fetch has sent as many requests as it may, so that a failing server cannot cause a storm."""

    def __init__(self, url: str, sent: int) -> None:
        super().__init__(
            url,
            f"Stopped before the {_describe_request(url)}: this fetch already sent {sent} requests to the "
            "arXiv API, the most it may send for this many identifiers. Try again later, or add fewer "
            "papers at a time.",
        )
        self.sent = sent


class MalformedResponseError(ArxivApiError):
    """Raised when a response is not a well-formed arXiv Atom feed or an entry lacks required fields."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(
            url, f"Malformed arXiv API response to the {_describe_request(url)}: {_without_full_stop(problem)}."
        )
        self.problem = problem


def _without_full_stop(text: str) -> str:
    """Drop a final full stop from text that a message ends with its own, so it never reads `..`."""
    return text.rstrip().rstrip(".")


def _describe_request(url: str) -> str:
    """Name a request by its endpoint and identifiers, which are shorter to read than a 100-id query string."""
    parts = urlsplit(url)
    endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}"
    id_list = parse_qs(parts.query).get("id_list", [""])[0]
    ids = [identifier for identifier in id_list.split(",") if identifier]
    if not ids:
        return f"request to {endpoint}"
    first_ids = ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")
    return f"request to {endpoint} for {len(ids)} id{'s' if len(ids) != 1 else ''} ({first_ids})"


# ---- Configuration ----


def resolve_api_url(configured: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the API URL to use: `WIKI_ARXIV_API_URL` when set, else the configured one.

    Raises:
        ValueError: the URL is not an absolute http or https URL; the message names its source.
    """
    environ = os.environ if environ is None else environ
    override = environ.get(API_URL_VARIABLE, "").strip()
    url, source = (override, API_URL_VARIABLE) if override else (configured, "arxiv_api_url in mkdocs.yml")

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"Invalid arXiv API URL {url!r} from {source}: expected an absolute http or https URL "
            f"such as {DEFAULT_API_URL}."
        )
    return url


# ---- Results ----


@dataclass
class FetchResult:
    """Records and failures of one fetch, by identifier."""

    records: dict[str, ArxivRecord] = field(default_factory=dict)
    """Fetched records keyed by identifier without version."""
    not_found: list[str] = field(default_factory=list)
    """Well-formed identifiers for which arXiv returned no entry."""
    rejected: dict[str, str] = field(default_factory=dict)
    """Identifiers that arXiv rejected, with its reason."""


# ---- The client ----


class ArxivClient(arxiv.Client):
    """An `arxiv.Client` for fetching papers by identifier, with timeouts, backoff and strict parsing.

    Args:
        api_url: The query endpoint, `https://export.arxiv.org/api/query` unless a mirror is used.
        delay_seconds: Minimum pause between the end of one response and the next request.
            arXiv's terms of use require at least 3 s. Tests against a local server lower it.
        timeout_seconds: Time to wait for a connection and for each read before a try fails.
        max_retries: Extra tries of a request after a timeout, a failed connection or HTTP 429/5xx.
            The n-th retry waits `delay_seconds * 2 ** (n - 1)` or the server's `Retry-After`.
        show_progress: Draw a progress bar on stderr when a fetch needs more than one request.

    Raises:
        ValueError: `delay_seconds` is below 3 s for an arxiv.org host, `max_retries` is negative
            or `timeout_seconds` is not positive.
    """

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        delay_seconds: float = DEFAULT_DELAY_SECONDS,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        show_progress: bool = True,
    ) -> None:
        host = (urlsplit(api_url).hostname or "").lower()
        if (host == "arxiv.org" or host.endswith(".arxiv.org")) and delay_seconds < DEFAULT_DELAY_SECONDS:
            raise ValueError(
                f"A delay of {delay_seconds:g} s between requests to {host} breaks arXiv's terms of use, "
                f"which ask for at least {DEFAULT_DELAY_SECONDS:g} s. Lower it only for a mirror or a local server."
            )
        if max_retries < 0 or timeout_seconds <= 0:
            raise ValueError(
                f"Expected max_retries >= 0 and timeout_seconds > 0, got {max_retries} and {timeout_seconds:g}."
            )
        super().__init__(page_size=MAX_IDS_PER_REQUEST, delay_seconds=delay_seconds, num_retries=max_retries)
        self.api_url = api_url
        self.timeout_seconds = timeout_seconds
        self.show_progress = show_progress
        self.request_count = 0
        """Number of HTTP requests sent, retries included."""
        self._request_limit: int | None = None
        """Value of `request_count` at which the current fetch stops, or None outside `fetch`."""
        self._requests_before_fetch = 0
        self._last_response_at: float | None = None

        # The package formats its query URL from this attribute, so setting it is how a mirror is chosen.
        # Braces are doubled because the package calls str.format on it.
        separator = "&" if "?" in api_url else "?"
        self.query_url_format = api_url.replace("{", "{{").replace("}", "}}") + separator + "{}"

    def fetch(self, arxiv_ids: Sequence[str]) -> FetchResult:
        """Fetch the latest metadata of each identifier (without version), 100 per request.

        Raises:
            ArxivUnavailableError: a request kept failing; nothing fetched so far is returned.
            ArxivResponseError: the API answered an HTTP error status that retrying cannot fix.
            ArxivRejectedError: the API answered HTTP 400 without naming a malformed identifier.
            ArxivRedirectError: the API URL redirects in a loop.
            ArxivRequestLimitError: the fetch needed more than `MAX_REQUESTS_PER_BATCH` requests per batch.
            MalformedResponseError: a response was not a well-formed arXiv feed.
        """
        unique_ids = list(dict.fromkeys(arxiv_ids))
        batches = [
            unique_ids[start : start + MAX_IDS_PER_REQUEST] for start in range(0, len(unique_ids), MAX_IDS_PER_REQUEST)
        ]
        result = FetchResult()
        self._request_limit = self.request_count + MAX_REQUESTS_PER_BATCH * len(batches)
        self._requests_before_fetch = self.request_count

        progress = tqdm(
            total=len(unique_ids),
            desc="Fetching from arXiv",
            unit="paper",
            file=sys.stderr,
            disable=not self.show_progress or len(batches) < 2,
        )
        try:
            with progress:
                for batch in batches:
                    self._fetch_batch(batch, result)
                    progress.update(len(batch))
        finally:
            self._request_limit = None
        return result

    def _fetch_batch(self, batch: list[str], result: FetchResult) -> None:
        """Fetch one batch; an identifier that arXiv rejects is recorded and the rest are asked again.

        Raises:
            ArxivRejectedError: an HTTP 400 that blames no identifier, so splitting the batch cannot help.
        """
        pending = list(batch)
        while pending:
            try:
                records = self._request_records(pending)
            except ArxivRejectedError as error:
                named = [identifier for identifier in error.rejected_ids if identifier in pending]
                if named:
                    for identifier in named:
                        result.rejected[identifier] = "; ".join(error.reasons)
                        pending.remove(identifier)
                    continue

                # A 400 without an error entry about identifiers (a proxy's error page, say) would fail the
                # same way for every half, so splitting would only multiply requests and blame good ids.
                if not error.blames_an_id:
                    raise
                if len(pending) == 1:
                    result.rejected[pending[0]] = "; ".join(error.reasons)
                    return

                # The error names no identifier of this batch, so halve the batch until the culprit is alone.
                middle = len(pending) // 2
                self._fetch_batch(pending[:middle], result)
                self._fetch_batch(pending[middle:], result)
                return

            for identifier in pending:
                if identifier in records:
                    result.records[identifier] = records[identifier]
                else:
                    result.not_found.append(identifier)
            return

    def _request_records(self, arxiv_ids: list[str]) -> dict[str, ArxivRecord]:
        search = arxiv.Search(id_list=arxiv_ids, max_results=len(arxiv_ids))
        url = self._format_url(search, 0, self.page_size)
        fetched_at = format_timestamp(datetime.now(UTC))

        records: dict[str, ArxivRecord] = {}
        for item in self.results(search):
            record = record_from_result(item, fetched_at, url)
            if record.arxiv_id not in arxiv_ids:
                log.warning(
                    "arXiv returned %s, which the %s did not ask for; ignoring it.",
                    record.arxiv_id,
                    _describe_request(url),
                )
                continue
            records[record.arxiv_id] = record
        return records

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> ParsedFeed:
        """Fetch one page of results, retrying with backoff, and parse it strictly.

        This replaces the package's own fetch, which has no timeout, retries at once and treats a
        malformed feed as an empty page.
        """
        failure = ""
        status = None
        retry_after_seconds = 0.0
        for attempt in range(self.num_retries + 1):
            wait_seconds = self.delay_seconds
            if attempt:
                wait_seconds = max(self.delay_seconds * 2 ** (attempt - 1), retry_after_seconds)
                log.warning(
                    "%s on the %s; retrying in %.3g s (retry %d of %d).",
                    failure,
                    _describe_request(url),
                    wait_seconds,
                    attempt,
                    self.num_retries,
                )
            if self._request_limit is not None and self.request_count >= self._request_limit:
                raise ArxivRequestLimitError(url, self.request_count - self._requests_before_fetch)
            self._wait_since_last_response(wait_seconds)

            retry_after_seconds = 0.0
            status = None
            try:
                log.debug("Requesting %s", url)
                response = self._session.get(url, headers={"user-agent": _USER_AGENT}, timeout=self.timeout_seconds)
            except requests.Timeout:
                failure = f"timed out after {self.timeout_seconds:g} s"
                continue
            except requests.TooManyRedirects:
                raise ArxivRedirectError(url) from None
            except requests.ConnectionError as error:
                failure = f"connection failed ({_connection_reason(error)})"
                continue
            finally:
                self.request_count += 1
                self._last_response_at = time.monotonic()

            if response.status_code == 429 or response.status_code >= 500:
                status = response.status_code
                failure = f"HTTP {status}"
                retry_after_seconds = _retry_after_seconds(response)
                continue
            return _read_feed(url, response)

        raise ArxivUnavailableError(url, failure, self.num_retries + 1, status)

    def _wait_since_last_response(self, seconds: float) -> None:
        if self._last_response_at is None:
            return
        remaining = seconds - (time.monotonic() - self._last_response_at)
        if remaining > 0:
            time.sleep(remaining)


# ---- Reading responses ----


def _read_feed(url: str, response: requests.Response) -> ParsedFeed:
    """Check that a response is a well-formed arXiv feed without error entries, then parse it with the package."""
    # The package parses with lxml's recover mode, which accepts a truncated document as a shorter feed.
    # Parsing strictly first turns a broken response into an error instead of silently missing papers.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        root = etree.fromstring(response.content, parser=parser)
        syntax_error = None
    except etree.XMLSyntaxError as error:
        root, syntax_error = None, error

    if response.status_code != requests.codes.ok:
        reasons = _error_reasons(root) if root is not None else []
        if response.status_code == 400:
            raise ArxivRejectedError(url, response.status_code, reasons)
        raise ArxivResponseError(url, response.status_code)
    if root is None:
        raise MalformedResponseError(url, f"invalid XML ({syntax_error})")
    if root.tag != f"{{{_NAMESPACES['atom']}}}feed":
        raise MalformedResponseError(url, f"expected an Atom <feed> element, found <{etree.QName(root).localname}>")

    reasons = _error_reasons(root)
    if reasons:
        raise ArxivRejectedError(url, response.status_code, reasons)

    total = root.findtext("opensearch:totalResults", namespaces=_NAMESPACES)
    if total is None or not total.strip().isdigit():
        raise MalformedResponseError(url, f"opensearch:totalResults is missing or not a number ({total!r})")

    entry_count = len(root.findall("atom:entry", _NAMESPACES))
    with _arxiv_log_captured() as notes:
        feed = parse_arxiv_feed(response.content)
    if len(feed.results) != entry_count:
        detail = "; ".join(notes) or "entries were skipped"
        skipped = entry_count - len(feed.results)
        raise MalformedResponseError(url, f"{skipped} of {entry_count} entries are incomplete ({detail})")
    for note in notes:
        log.warning("While reading the %s: %s", _describe_request(url), note)
    return feed


def _error_reasons(root: etree._Element) -> list[str]:
    """Return the messages of the error entries that arXiv puts in a feed for a rejected query."""
    reasons = []
    for entry in root.iterfind("atom:entry", _NAMESPACES):
        entry_id = entry.findtext("atom:id", default="", namespaces=_NAMESPACES)
        if _ERROR_ENTRY_ID.match(entry_id.strip()):
            summary = entry.findtext("atom:summary", default="", namespaces=_NAMESPACES).strip()
            reasons.append(summary or entry_id.strip())
    return reasons


@contextmanager
def _arxiv_log_captured() -> Iterator[list[str]]:
    """Collect the warnings that the `arxiv` package logs, instead of letting them reach stderr unexplained."""
    notes: list[str] = []

    class _Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.append(record.getMessage())

    package_log = logging.getLogger("arxiv")
    collector = _Collector(level=logging.WARNING)
    previous_propagate = package_log.propagate
    package_log.addHandler(collector)
    package_log.propagate = False
    try:
        yield notes
    finally:
        package_log.removeHandler(collector)
        package_log.propagate = previous_propagate


def _retry_after_seconds(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "").strip()
    if not value.isdigit():
        return 0.0
    return min(float(value), MAX_RETRY_AFTER_SECONDS)


def _connection_reason(error: requests.ConnectionError) -> str:
    """Reduce requests' nested connection error to its last, most specific cause."""
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "Temporary failure in name resolution" in text:
        return "host name not found"
    return text.rsplit(": ", 1)[-1].rstrip("')\"") or type(error).__name__


# ---- Records ----


def record_from_result(result: arxiv.Result, fetched_at: str, url: str) -> ArxivRecord:
    """Turn a parsed `arxiv.Result` into a cache record.

    Raises:
        MalformedResponseError: the entry's `<id>` is not an arXiv abstract URL or it has no title.
    """
    try:
        identifier = parse_arxiv_id(result.entry_id)
    except InvalidArxivIdError:
        raise MalformedResponseError(url, f"entry id {result.entry_id!r} is not an arXiv abstract URL") from None
    title = _collapse_spaces(result.title)
    if not title:
        raise MalformedResponseError(url, f"entry {identifier} has no <title>")

    abstract = _collapse_spaces(result.summary)
    comment = _collapse_spaces(result.comment or "") or None
    return ArxivRecord(
        arxiv_id=identifier.base,
        title=title,
        authors=[_collapse_spaces(author.name) for author in result.authors],
        abstract=abstract,
        primary_category=result.primary_category or (result.categories[0] if result.categories else ""),
        categories=list(result.categories),
        published=format_timestamp(result.published),
        updated=format_timestamp(result.updated),
        version=identifier.version,
        doi=_collapse_spaces(result.doi or "") or None,
        journal_ref=_collapse_spaces(result.journal_ref or "") or None,
        comment=comment,
        pdf_url=result.pdf_url,
        withdrawn=is_withdrawn(comment, abstract),
        fetched_at=fetched_at,
    )


def _collapse_spaces(text: str) -> str:
    """Join the hard-wrapped lines that older API responses put in titles and abstracts."""
    return " ".join(text.split())
