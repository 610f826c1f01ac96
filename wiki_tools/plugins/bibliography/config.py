"""Options of the `wiki/bibliography` plugin."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class BibliographyConfig(Config):
    """Settings read from the `wiki/bibliography` entry under `plugins` in `mkdocs.yml`."""

    bib_file = c.Type(str, default="papers.bib")
    """Path of the BibTeX file, relative to `mkdocs.yml`."""
    cache_dir = c.Type(str, default=".cache/wiki-bibliography")
    """Folder for formatted entries, keyed by each entry's text, relative to `mkdocs.yml`. Safe to delete."""

    # Settings for the hit-list page
    hit_list_uri = c.Type(str, default="papers/index.md")
    """Where the generated hit list appears in the site. A Markdown file at this path in `docs/` becomes its introduction."""
    hit_list_title = c.Type(str, default="Paper hit list")
    """Title of the hit list when `docs/` has no introduction file for it."""
    untagged_topic = c.Type(str, default="Other")
    """Topic heading for entries without a `keywords` field."""

    # Settings for paper pages
    papers_dir = c.Type(str, default="papers")
    """Folder of the site that holds one page per entry, `papers/<key>/`. Notes go in `docs/<papers_dir>/<key>.md`."""
    related_max = c.Type(int, default=8)
    """How many entries sharing a keyword a paper page lists under "Related"."""

    # Settings for citations
    references_title = c.Type(str, default="References")
    """Heading of the section that ends every page with citations."""
    unknown_key = c.Choice(("warn", "info", "ignore"), default="warn")
    """How to report a citation of a key that `papers.bib` lacks. `warn` fails `mkdocs build --strict`."""
    orphan_notes = c.Choice(("warn", "info", "ignore"), default="warn")
    """How to report a notes file in the papers folder whose key `papers.bib` lacks."""
