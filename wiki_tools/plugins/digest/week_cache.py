"""Rendered week pages kept between builds, so that a build renders only the weeks that changed.

Five years of digests are about 260 week pages and 50,000 items, and rendering them takes more than
a second. Nearly all of those weeks are over: their items no longer change. A rendered week is stored
under a key made of everything its HTML depends on: its monthly archive files, the links and topics
of the site, and the source of the code that renders it. The store is kept in memory for the
rebuilds of one `mkdocs serve` and in a folder for later builds.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ...storage import atomic_write_text

__all__ = ["RenderedWeek", "WeekCache", "week_key"]

log = logging.getLogger("mkdocs.plugins.wiki.digest")

# The modules whose code shapes a week page's HTML. Their source is part of every key, so that an
# edit to them renders every week again without anyone having to remember a version number.
_RENDERING_MODULES = ("items.py", "mentions.py", "sanitize.py")


@dataclass
class RenderedWeek:
    """A week page's generated HTML and the (title, anchor) pairs of its sections."""

    key: str
    html: str
    sections: list[tuple[str, str]]


def week_key(label: str, months: dict[str, Any], context: Any) -> str:
    """Return the cache key of week `label` from its monthly files' signatures and the site `context`.

    `context` is any JSON value that describes the links and settings shared by all weeks.
    """
    data = {"week": label, "months": months, "context": context, "renderer": _renderer_fingerprint()}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


class WeekCache:
    """Rendered weeks in `memory` and, unless `folder` is None, in one JSON file per week in `folder`."""

    def __init__(self, memory: dict[str, RenderedWeek], folder: Path | None) -> None:
        self.memory = memory
        self.folder = folder
        self._write_failed = False

    def get(self, label: str, key: str) -> RenderedWeek | None:
        """Return the week stored under `key`, or None when it is missing or was stored under another key."""
        found = self.memory.get(label)
        if found is None and self.folder is not None:
            found = self._read(label)
        if found is None or found.key != key:
            return None
        self.memory[label] = found
        return found

    def put(self, label: str, rendered: RenderedWeek) -> None:
        """Store `rendered` as the current version of week `label`."""
        self.memory[label] = rendered
        if self.folder is None or self._write_failed:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.folder / f"{label}.json", json.dumps(asdict(rendered), ensure_ascii=False))
        except OSError as error:
            # The cache only saves time, so a folder that cannot be written costs speed and nothing else.
            self._write_failed = True
            log.info("Rendered weeks are not stored in %s (%s). Builds render them again.", self.folder, error)

    def _read(self, label: str) -> RenderedWeek | None:
        try:
            data = json.loads((self.folder / f"{label}.json").read_text(encoding="utf-8"))
            return RenderedWeek(
                key=str(data["key"]),
                html=str(data["html"]),
                sections=[(str(title), str(anchor)) for title, anchor in data["sections"]],
            )
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            # Missing, damaged or from another version of this code: the week is rendered again.
            return None


@cache
def _renderer_fingerprint() -> str:
    package = Path(__file__).resolve().parent
    sources = [package / "pages.py", *(package.parent.parent / "digest" / name for name in _RENDERING_MODULES)]
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.read_bytes())
    digest.update(version("nh3").encode("utf-8"))
    return digest.hexdigest()
