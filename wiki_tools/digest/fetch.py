"""HTTP for feeds, written to the habits of well-behaved feed readers.

One request per feed and attempt, with:
- conditional GET (`If-None-Match`, `If-Modified-Since`), so an unchanged feed costs a 304;
- an identifying User-Agent and `Accept-Encoding: gzip`;
- redirects followed, and reported as permanent when every hop was a 301 or 308;
- a time limit per attempt and a size limit on the decoded body, checked while it streams;
- retries with exponential backoff for timeouts, dropped connections, 429 and 5xx, honouring a
  `Retry-After` header up to `max_retry_after_seconds`;
- 410 Gone reported as such, so that the caller stops fetching the feed.

The caller parses the returned bytes, never the URL, so nothing here depends on feedparser.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import __version__

if TYPE_CHECKING:
    import requests

__all__ = ["DEFAULT_USER_AGENT", "FeedResponse", "FetchError", "FetchSettings", "fetch_feed"]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"wiki-tools/{__version__} (LLM research wiki newsletter digest; feed reader)"

_PERMANENT_REDIRECTS = {301, 308}
_RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
_READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class FetchSettings:
    """Limits and manners of the feed fetcher."""

    concurrency: int = 16
    """Feeds fetched at the same time. Feeds usually live on different hosts, so this bounds our own load."""
    timeout_seconds: float = 30.0
    """Time limit of one attempt, from connecting to the last byte of the body."""
    max_bytes: int = 10 * 1024 * 1024
    """Largest body accepted, after decompression. Large full-text feeds stay well under 1 MiB."""
    retries: int = 2
    """Attempts after the first one for a timeout, a dropped connection, a 429 or a 5xx response."""
    backoff_seconds: float = 2.0
    """Wait before the first retry. Each further retry waits twice as long, plus up to 10 % jitter."""
    max_retry_after_seconds: float = 60.0
    """Longest `Retry-After` waited for within a run. A longer one ends the attempts, and the feed is
    skipped until that time in later runs."""
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True)
class FeedResponse:
    """A successful response: 200 with a body, or 304 Not Modified without one."""

    status: int
    url: str
    """URL of the final response, after redirects. Relative links in the feed resolve against it."""
    permanent_url: str | None
    """The new address when every redirect was permanent and the URL changed, else None."""
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    attempts: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """A feed could not be fetched after every allowed attempt."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        gone: bool = False,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.attempts = attempts
        self.gone = gone
        """True when the server responded 410 Gone."""
        self.retry_after = retry_after
        """When the server allows the next request, from a `Retry-After` longer than we wait."""


class _AttemptFailed(Exception):
    def __init__(self, reason: str, *, status: int | None = None, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


def fetch_feed(
    url: str,
    settings: FetchSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FeedResponse:
    """Fetch `url` with conditional GET, retrying transient failures.

    Raises:
        FetchError: every attempt failed, the response was not retryable, or the server responded 410 Gone.
    """
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "application/atom+xml, application/rss+xml, application/rdf+xml, application/xml;q=0.9, "
        "text/xml;q=0.9, */*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    attempt = 0
    while True:
        attempt += 1
        try:
            response = _attempt(url, headers, settings)
            return FeedResponse(**response, attempts=attempt)
        except _AttemptFailed as failure:
            if failure.status == 410:
                # The caller adds the fix, because only it knows where the URL was set.
                reason = f"{failure.reason}: later runs skip this feed"
                raise FetchError(reason, status=410, attempts=attempt, gone=True) from None
            if not failure.retryable:
                raise FetchError(failure.reason, status=failure.status, attempts=attempt) from None

            wait = settings.backoff_seconds * 2 ** (attempt - 1) * (1 + random.uniform(0, 0.1))
            if failure.retry_after is not None:
                if failure.retry_after > settings.max_retry_after_seconds:
                    not_before = datetime.now(UTC).timestamp() + failure.retry_after
                    raise FetchError(
                        f"{failure.reason}, and the server asks to wait {failure.retry_after:.0f} s (Retry-After)",
                        status=failure.status,
                        attempts=attempt,
                        retry_after=datetime.fromtimestamp(not_before, UTC),
                    ) from None
                wait = max(wait, failure.retry_after)

            if attempt > settings.retries:
                suffix = f" after {attempt} attempts" if attempt > 1 else ""
                raise FetchError(failure.reason + suffix, status=failure.status, attempts=attempt) from None
            log.info("Fetching %s failed (%s); retrying in %.1f s", url, failure.reason, wait)
            time.sleep(wait)


def _attempt(url: str, headers: dict[str, str], settings: FetchSettings) -> dict:
    """Make one request and read the body within the time and size limits."""
    # Imported here: requests takes about 40 ms to import, and a site build loads this module but never fetches.
    import requests

    # NOTE: the deadline is checked between reads, and each read may wait up to `timeout_seconds`
    # itself, so a server that stalls just before the deadline can stretch an attempt to about twice it.
    deadline = time.monotonic() + settings.timeout_seconds
    session = requests.Session()
    session.max_redirects = settings.max_redirects
    try:
        try:
            response = session.get(url, headers=headers, timeout=settings.timeout_seconds, stream=True)
        except requests.Timeout:
            raise _AttemptFailed(f"timed out after {settings.timeout_seconds:g} s", retryable=True) from None
        except requests.TooManyRedirects:
            raise _AttemptFailed(f"more than {settings.max_redirects} redirects", retryable=False) from None
        except (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL, requests.exceptions.MissingSchema):
            raise _AttemptFailed(f"invalid URL {url!r}", retryable=False) from None
        except requests.ConnectionError as error:
            raise _AttemptFailed(f"connection failed ({_root_cause(error)})", retryable=True) from None

        with response:
            return _read_response(url, response, settings, deadline)
    finally:
        session.close()


def _read_response(url: str, response: requests.Response, settings: FetchSettings, deadline: float) -> dict:
    import requests

    status = response.status_code
    if status not in (200, 304):
        retry_after = _retry_after_seconds(response.headers.get("Retry-After")) if status in (429, 503) else None
        reason = f"HTTP {status} {response.reason or ''}".strip()
        raise _AttemptFailed(reason, status=status, retryable=status in _RETRYABLE_STATUS, retry_after=retry_after)

    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > settings.max_bytes:
        raise _AttemptFailed(
            f"body of {int(declared)} bytes exceeds the limit of {settings.max_bytes}", retryable=False
        )

    chunks = []
    size = 0
    if status == 200:
        try:
            while True:
                # `read1` returns as soon as any data arrives, so the deadline is checked even when a
                # server sends a byte at a time.
                chunk = response.raw.read1(_READ_SIZE, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > settings.max_bytes:
                    raise _AttemptFailed(f"body exceeds the limit of {settings.max_bytes} bytes", retryable=False)
                if time.monotonic() > deadline:
                    raise _AttemptFailed(f"timed out after {settings.timeout_seconds:g} s", retryable=True)
                chunks.append(chunk)
        except (requests.ConnectionError, requests.Timeout, OSError) as error:
            raise _AttemptFailed(f"connection failed while reading ({_root_cause(error)})", retryable=True) from None
        except Exception as error:  # urllib3 raises its own errors for broken gzip or chunked encoding.
            if type(error).__module__.startswith("urllib3"):
                retryable = "timed out" in str(error).lower()
                raise _AttemptFailed(f"invalid response body ({_root_cause(error)})", retryable=retryable) from None
            raise

    history = response.history
    permanent = bool(history) and all(hop.status_code in _PERMANENT_REDIRECTS for hop in history)
    final_url = response.url
    return {
        "status": status,
        "url": final_url,
        "permanent_url": final_url if permanent and final_url != url else None,
        "body": b"".join(chunks),
        "content_type": response.headers.get("Content-Type", ""),
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
    }


def _retry_after_seconds(value: str | None) -> float | None:
    """Read `Retry-After` as seconds from now: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _root_cause(error: BaseException) -> str:
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    if error.args and isinstance(error.args[-1], BaseException):
        error = error.args[-1]
    return str(error) or type(error).__name__
