"""Options of the `wiki/bibliography` plugin."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class BibliographyConfig(Config):
    """Settings read from the `wiki/bibliography` entry under `plugins` in `mkdocs.yml`."""

    bib_file = c.Type(str, default="papers.bib")
    """Path of the BibTeX file, relative to `mkdocs.yml`."""

    # Settings for the hit-list page
    hit_list_uri = c.Type(str, default="papers/index.md")
    """Where the generated hit list appears in the site. A Markdown file at this path in `docs/` becomes its introduction."""
    hit_list_title = c.Type(str, default="Paper hit list")
    """Title of the hit list when `docs/` has no introduction file for it."""
    untagged_topic = c.Type(str, default="Other")
    """Topic heading for entries without a `keywords` field."""
