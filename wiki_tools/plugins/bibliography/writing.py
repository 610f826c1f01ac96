"""Write the generated paper pages, reusing unchanged ones across `mkdocs serve` rebuilds.

MkDocs 1.6 empties the site folder before every rebuild under `mkdocs serve`, so a wiki with 1,000
entries would create 1,000 folders and files again after an edit to one page, and creating them costs
more than rendering them. So under `serve` the writer moves the previous rebuild's paper pages out of
the site before MkDocs cleans it. Then it moves back each page whose HTML is unchanged, which takes one
rename in place of a `mkdir`, a file write and a later delete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["PageWriter"]


class PageWriter:
    """Write HTML files under one folder of the site, and under `serve` reuse the unchanged ones."""

    def __init__(self, reuse: bool = False) -> None:
        self.reuse = reuse
        """True under `mkdocs serve` without `--dirty`, where MkDocs empties the site before each rebuild."""
        self._folder: Path | None = None
        self._stash: Path | None = None
        # SHA-1 of the HTML at each path relative to the folder: from the previous build, and from this one.
        self._previous: dict[str, str] = {}
        self._current: dict[str, str] = {}

    def begin(self, site_dir: Path, folder: str) -> None:
        """Prepare to write pages under `site_dir/folder`. Call it in `on_pre_build`, before MkDocs cleans the site."""
        self.discard_stash()
        self._folder = site_dir / folder
        self._current = {}
        # An empty `folder` would mean moving the whole site, so pages are then always written afresh.
        if not self.reuse or not folder or not self._previous or not self._folder.is_dir():
            return

        # A sibling of the site folder is on the same file system, so moving the pages there is one rename.
        try:
            stash = Path(tempfile.mkdtemp(prefix=".wiki-papers-", dir=site_dir.parent))
        except OSError:
            return
        try:
            self._folder.rename(stash / "pages")
        except OSError:
            shutil.rmtree(stash, ignore_errors=True)
            return
        self._stash = stash / "pages"

    def write(self, relative: str, html: str) -> None:
        """Write `html` to `relative`, a path such as `key/index.html` under the folder given to `begin`."""
        destination = self._folder / relative
        if self.reuse:
            digest = hashlib.sha1(html.encode("utf-8")).hexdigest()
            self._current[relative] = digest
            if self._stash is not None and self._previous.get(relative) == digest and self._move_back(relative):
                return

        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(html, encoding="utf-8")

    def finish(self) -> None:
        """Remember what this build wrote, and delete the previous build's pages that were not reused."""
        self._previous = self._current if self.reuse else {}
        self._current = {}
        self.discard_stash()

    def discard_stash(self) -> None:
        """Delete the pages moved aside in `begin`, if any. Also call it in `on_shutdown`."""
        if self._stash is not None:
            shutil.rmtree(self._stash.parent, ignore_errors=True)
            self._stash = None

    def _move_back(self, relative: str) -> bool:
        """Move the previous build's file at `relative` back into the site, and tell whether that worked."""
        parts = Path(relative).parts
        # A `key/index.html` folder holds only that page, so the whole folder moves, which saves a `mkdir`.
        if len(parts) == 2 and parts[1] == "index.html":
            source, target = self._stash / parts[0], self._folder / parts[0]
        else:
            source, target = self._stash / relative, self._folder / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(source, target)
        except OSError:
            return False
        return True
