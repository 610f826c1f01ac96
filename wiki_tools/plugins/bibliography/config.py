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

    # Settings for arXiv metadata
    arxiv_api_url = c.Type(str, default="https://export.arxiv.org/api/query")
    """Query endpoint of the arXiv API that `wiki-tools papers` uses. The environment variable `WIKI_ARXIV_API_URL` overrides it."""
    arxiv_delay_seconds = c.Type((int, float), default=3.0)
    """Minimum pause between two requests to the API. arXiv asks for at least 3 s, so smaller values are only accepted for hosts other than arxiv.org."""
    arxiv_timeout_seconds = c.Type((int, float), default=30.0)
    """How long to wait for the API to connect or send data before a try counts as failed and is retried."""
    arxiv_max_retries = c.Type(int, default=3)
    """How many times a request is retried after a timeout, a failed connection or an HTTP 429 or 5xx answer."""
    metadata_file = c.Type(str, default="data/arxiv/metadata.json")
    """Path of the committed arXiv metadata cache, relative to `mkdocs.yml`. `papers refresh` writes it and the build only reads it."""
