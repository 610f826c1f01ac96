"""Options of the `wiki/demos` plugin."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class DemoConfig(Config):
    """Per-demo settings under `demos: {NAME: ...}`. An option left out takes the plugin-wide value."""

    allow_errors = c.Optional(c.Type(bool))
    """Keep executing after a cell raises and show the error in the page, instead of stopping the build."""
    allow_stale = c.Optional(c.Type(bool))
    """When the demo is stale and cannot be executed, or its execution fails, show the last good outputs with a notice."""
    cell_timeout = c.Optional(c.Type(int))
    """Seconds that one cell may run before the execution fails."""


class DemosConfig(Config):
    """Settings read from the `wiki/demos` entry under `plugins` in `mkdocs.yml`."""

    demos_dir = c.Type(str, default="demos")
    """Folder inside `docs_dir` whose `.py` (jupytext percent) and `.ipynb` files are demos."""
    cache_dir = c.Type(str, default="data/demos")
    """Committed folder of executed notebooks, relative to `mkdocs.yml`."""
    work_dir = c.Type(str, default=".cache/demos")
    """Uncommitted folder for parsed sources, rendered HTML and locks, relative to `mkdocs.yml`."""
    kernel_name = c.Type(str, default="python3")
    """Jupyter kernel that executes the demos."""

    # Defaults for every demo, which `demos` can override one by one.
    cell_timeout = c.Type(int, default=600)
    """Seconds that one cell may run before the execution fails."""
    allow_errors = c.Type(bool, default=False)
    """Keep executing after a cell raises and show the error in the page, instead of stopping the build."""
    allow_stale = c.Type(bool, default=False)
    """When a demo is stale and cannot be executed, or its execution fails, show the last good outputs with a notice."""
    demos = c.DictOfItems(c.SubConfig(DemoConfig), default={})
    """Settings for single demos, keyed by the demo's file name without suffix."""
