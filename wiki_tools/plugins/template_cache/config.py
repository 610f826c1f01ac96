"""Options of the `wiki/template-cache` plugin."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class TemplateCacheConfig(Config):
    """Settings read from the `wiki/template-cache` entry under `plugins` in `mkdocs.yml`."""

    cache_dir = c.Type(str, default=".cache/wiki-templates")
    """Folder for the compiled templates, relative to `mkdocs.yml`. An empty string keeps them in memory only."""
