"""Options of the `wiki/katex` plugin."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config

from ..options import SiteFolder


class KatexConfig(Config):
    """Settings read from the `wiki/katex` entry under `plugins` in `mkdocs.yml`."""

    dist_dir = c.Type(str, default="node_modules/katex/dist")
    """KaTeX's `dist` folder as installed by `npm ci`, relative to `mkdocs.yml`."""
    site_dir = SiteFolder(default="assets/katex")
    """Folder of the built site that receives the KaTeX files."""
