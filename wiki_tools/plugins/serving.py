"""Helpers for `mkdocs serve` shared by the wiki's plugins."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkdocs.livereload import LiveReloadServer

__all__ = ["watch_folder"]

log = logging.getLogger("mkdocs.plugins.wiki")


def watch_folder(server: LiveReloadServer, folder: Path) -> None:
    """Rebuild the site when anything in `folder` changes, creating the folder first if it is missing.

    A folder that the wiki's commands fill, such as `data/digest/`, does not exist in a fresh clone.
    MkDocs can only watch a path that exists, so without the folder a server started before the first
    `wiki-tools digest fetch` would never notice the fetch.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        log.info("Not watching %s for changes: %s", folder, error)
        return
    server.watch(str(folder))
