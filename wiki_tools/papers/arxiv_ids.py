"""Parse and normalise the arXiv identifiers that people paste: bare ids, `arXiv:` ids, links and DOIs.

Every accepted form maps to one `ArxivId`, whose `base` (the identifier without its version) is the
key used in `papers.bib` (`eprint`) and in the metadata cache. Two identifier schemes exist:

* since April 2007, `YYMM.NNNN` (4 digits until December 2014, 5 digits from January 2015),
  as in `1706.03762`;
* before April 2007, `archive/YYMMNNN`, as in `hep-th/9901001`. Some papers write the subject
  class after the archive (`math.GT/0309136`). The class is not part of the identifier, so it
  is dropped: `math.GT/0309136` and `math/0309136` are the same paper.

Either scheme may carry a version suffix such as `v5`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["ArxivId", "InvalidArxivIdError", "parse_arxiv_id"]

_NEW_STYLE = re.compile(r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v(?P<version>\d+))?")
_OLD_STYLE = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subject>[a-z][a-z-]*))?/(?P<yymm>\d{4})(?P<number>\d{3})(?:v(?P<version>\d+))?",
    re.IGNORECASE,
)
_ARXIV_PREFIX = re.compile(r"arxiv\s*:\s*", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"(?:doi\s*:\s*)?10\.48550/arxiv\.(?P<id>.+)", re.IGNORECASE)

_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org"}
_DOI_HOSTS = {"doi.org", "dx.doi.org", "www.doi.org"}
# Pages of arxiv.org whose path ends in an identifier: /abs/ID, /pdf/ID(.pdf), /html/ID, /format/ID.
_ID_PAGES = {"abs", "pdf", "html", "format"}

FORMS_HINT = (
    "Use a form such as 1706.03762, 1706.03762v5, arXiv:1706.03762, https://arxiv.org/abs/1706.03762, "
    "hep-th/9901001 or 10.48550/arXiv.1706.03762."
)


class InvalidArxivIdError(ValueError):
    """Raised when a string is not an arXiv identifier in any accepted form."""

    def __init__(self, text: str, reason: str, hint: str = "") -> None:
        message = f"Invalid arXiv identifier {text!r}: {reason}."
        super().__init__(f"{message} {hint}" if hint else message)
        self.text = text
        self.reason = reason


@dataclass(frozen=True)
class ArxivId:
    """One arXiv identifier, normalised."""

    base: str
    """The identifier without version, such as `1706.03762` or `hep-th/9901001`."""
    version: int | None = None
    """The version number that was given (`5` for `1706.03762v5`), or None."""

    def __str__(self) -> str:
        return self.versioned

    @property
    def versioned(self) -> str:
        """The identifier with its version suffix when one was given."""
        return f"{self.base}v{self.version}" if self.version is not None else self.base

    @property
    def is_old_style(self) -> bool:
        """True for identifiers from before April 2007 (`archive/YYMMNNN`)."""
        return "/" in self.base

    @property
    def year(self) -> int:
        """The year of first submission, which both identifier schemes encode in their first two digits."""
        digits = self.base.split("/")[-1][:2]
        two_digit_year = int(digits)
        return 1900 + two_digit_year if two_digit_year >= 91 else 2000 + two_digit_year

    @property
    def abs_url(self) -> str:
        """The arXiv abstract page of the latest version."""
        return f"https://arxiv.org/abs/{self.base}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any accepted identifier form into an `ArxivId`.

    Accepted: `1706.03762`, `1706.03762v5`, `arXiv:1706.03762`, links to the abs, pdf and html pages
    on arxiv.org and export.arxiv.org (with or without `.pdf`), old-style `hep-th/9901001` and
    `math.GT/0309136`, and the DOI `10.48550/arXiv.1706.03762` (also as a doi.org link).

    Raises:
        InvalidArxivIdError: `text` matches none of the forms; the message names the input and why.
    """
    candidate = text.strip().strip("<>\"'")
    if not candidate:
        raise InvalidArxivIdError(text, "the value is empty")

    if _looks_like_url(candidate):
        candidate = _identifier_from_url(text, candidate)

    doi = _ARXIV_DOI.fullmatch(candidate)
    if doi:
        candidate = doi.group("id")
    elif candidate.startswith("10."):
        raise InvalidArxivIdError(text, "only arXiv's own DOIs (10.48550/arXiv.ID) name an arXiv paper")

    prefix = _ARXIV_PREFIX.match(candidate)
    if prefix:
        candidate = candidate[prefix.end() :]
    return _parse_bare_id(text, candidate)


def _looks_like_url(candidate: str) -> bool:
    if "://" in candidate:
        return True
    host = candidate.split("/", 1)[0].lower()
    return host in _ARXIV_HOSTS or host in _DOI_HOSTS


def _identifier_from_url(text: str, candidate: str) -> str:
    """Return the identifier part of an arxiv.org or doi.org link."""
    if "://" not in candidate:
        candidate = "https://" + candidate
    parts = urlsplit(candidate)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path).strip("/")

    if parts.scheme not in ("http", "https"):
        raise InvalidArxivIdError(text, f"expected an http or https link, not {parts.scheme!r}")
    if host in _DOI_HOSTS:
        return path
    if host not in _ARXIV_HOSTS:
        raise InvalidArxivIdError(text, f"the link points to {host!r}, not to arxiv.org")

    page, _, identifier = path.partition("/")
    if page not in _ID_PAGES or not identifier:
        raise InvalidArxivIdError(text, "an arxiv.org link must point to an /abs/, /pdf/ or /html/ page")
    return identifier.removesuffix(".pdf")


def _parse_bare_id(text: str, candidate: str) -> ArxivId:
    new_style = _NEW_STYLE.fullmatch(candidate)
    if new_style:
        return _make_new_style(text, new_style)

    old_style = _OLD_STYLE.fullmatch(candidate)
    if old_style:
        return _make_old_style(text, old_style)

    raise InvalidArxivIdError(text, "not a known identifier form", FORMS_HINT)


def _make_new_style(text: str, match: re.Match[str]) -> ArxivId:
    yymm, number = match.group("yymm"), match.group("number")
    _check_month(text, yymm)

    # The scheme started in April 2007, and the number grew from 4 to 5 digits in January 2015.
    if yymm < "0704":
        raise InvalidArxivIdError(text, "identifiers of the form YYMM.NNNN start in April 2007 (0704)")
    if yymm < "1501" and len(number) != 4:
        raise InvalidArxivIdError(text, "identifiers from before 2015 have a 4-digit number after the dot")
    if yymm >= "1501" and len(number) != 5:
        raise InvalidArxivIdError(text, "identifiers from 2015 on have a 5-digit number after the dot")

    return ArxivId(f"{yymm}.{number}", _version(text, match))


def _make_old_style(text: str, match: re.Match[str]) -> ArxivId:
    yymm = match.group("yymm")
    _check_month(text, yymm)

    # Old-style numbers run from August 1991 to March 2007. Comparing "YYMM" as years 1991..2007 keeps the order.
    year = int(yymm[:2])
    sortable = (1900 + year if year >= 91 else 2000 + year) * 100 + int(yymm[2:])
    if not 199108 <= sortable <= 200703:
        raise InvalidArxivIdError(text, "old-style identifiers (archive/YYMMNNN) run from 9108 to 0703")

    archive = match.group("archive").lower()
    return ArxivId(f"{archive}/{yymm}{match.group('number')}", _version(text, match))


def _check_month(text: str, yymm: str) -> None:
    month = int(yymm[2:])
    if not 1 <= month <= 12:
        raise InvalidArxivIdError(text, f"the month {yymm[2:]} in {yymm!r} does not exist")


def _version(text: str, match: re.Match[str]) -> int | None:
    version = match.group("version")
    if version is None:
        return None
    if int(version) < 1:
        raise InvalidArxivIdError(text, "versions start at v1")
    return int(version)
