"""Options of the `wiki/bibliography` plugin."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config

from ..options import SiteFolder, WholeNumber


class BibliographyConfig(Config):
    """Settings read from the `wiki/bibliography` entry under `plugins` in `mkdocs.yml`."""

    bib_file = c.Type(str, default="papers.bib")
    """Path of the BibTeX file, relative to `mkdocs.yml`."""
    cache_dir = c.Type(str, default=".cache/wiki-bibliography")
    """Folder for formatted entries, keyed by each entry's text, relative to `mkdocs.yml`. Safe to delete."""

    # Settings for the hit-list page
    hit_list_uri = c.Type(str, default="papers/index.md")
    """Source path of the generated hit list in the site. A Markdown file at this path in `docs/` becomes its introduction."""
    hit_list_title = c.Type(str, default="Paper hit list")
    """Title of the hit list when `docs/` has no introduction file for it."""
    untagged_topic = c.Type(str, default="Other")
    """Topic heading for entries without a `keywords` field."""

    # Settings for paper pages
    papers_dir = SiteFolder(default="papers")
    """Folder of the site that contains one page per entry, `papers/<key>/`. Notes go in `docs/<papers_dir>/<key>.md`."""
    related_max = WholeNumber(default=8)
    """How many entries sharing a keyword a paper page lists under "Related"."""

    # Settings for citations
    references_title = c.Type(str, default="References")
    """Heading of the section that ends every page with citations."""
    unknown_key = c.Choice(("warn", "info", "ignore"), default="warn")
    """How to report a citation of a key that `papers.bib` lacks. `warn` fails `mkdocs build --strict`."""
    orphan_notes = c.Choice(("warn", "info", "ignore"), default="warn")
    """How to report a notes file in the papers folder whose key `papers.bib` lacks."""

    # Settings for arXiv metadata
    arxiv_api_url = c.Type(str, default="https://export.arxiv.org/api/query")
    """Query endpoint of the arXiv API that `wiki-tools papers` uses. The environment variable `WIKI_ARXIV_API_URL` overrides it."""
    arxiv_delay_seconds = c.Type((int, float), default=3.0)
    """Minimum pause between two requests to the API. arXiv's terms of use require at least 3 s, so smaller values are accepted only for hosts other than arxiv.org."""
    arxiv_timeout_seconds = c.Type((int, float), default=30.0)
    """How long to wait for the API to connect or send data before a try counts as failed and is retried."""
    arxiv_max_retries = c.Type(int, default=3)
    """How many times a request is retried after a timeout, a failed connection or an HTTP 429 or 5xx response."""
    metadata_file = c.Type(str, default="data/arxiv/metadata.json")
    """Path of the committed arXiv metadata cache, relative to `mkdocs.yml`. `papers refresh` writes it and the build only reads it."""
