"""Options of the `wiki/demos` plugin."""

from __future__ import annotations

from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config, ValidationError


class PositiveSeconds(c.Type[int]):
    """A whole number of seconds greater than zero."""

    def __init__(self, default: int | None = None) -> None:
        super().__init__(int, default=default)

    def run_validation(self, value: object) -> int:
        # YAML `true` is a bool, which Python counts as the int 1.
        if isinstance(value, bool):
            raise ValidationError(f"Expected a whole number of seconds greater than 0, got {value!r}.")
        seconds = super().run_validation(value)
        if seconds <= 0:
            raise ValidationError(f"Expected a whole number of seconds greater than 0, got {seconds}.")
        return seconds


class DemoConfig(Config):
    """Per-demo settings under `demos: {NAME: ...}`. An option left out takes the plugin-wide value."""

    allow_errors = c.Optional(c.Type(bool))
    """Keep executing after a cell raises and show the error in the page, instead of stopping the build."""
    allow_stale = c.Optional(c.Type(bool))
    """When the demo is stale and cannot be executed, or its execution fails, show the last good outputs with a notice."""
    cell_timeout = c.Optional(PositiveSeconds())
    """Seconds that one cell may run before the execution fails."""


class DemoSettings(c.SubConfig[DemoConfig]):
    """The settings of one demo, which reject option names that `DemoConfig` does not define."""

    def run_validation(self, value: object) -> Any:
        # MkDocs only warns about an unknown sub-option, and `DictOfItems` drops that warning, so a
        # misspelled option would be ignored without a word.
        if isinstance(value, dict):
            valid = sorted(name for name, _ in DemoConfig._schema)
            unknown = sorted(str(key) for key in value if key not in valid)
            if unknown:
                raise ValidationError(f"Unknown option {unknown[0]!r}. Valid options for one demo: {', '.join(valid)}.")
        return super().run_validation(value)


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
    cell_timeout = PositiveSeconds(default=600)
    """Seconds that one cell may run before the execution fails."""
    allow_errors = c.Type(bool, default=False)
    """Keep executing after a cell raises and show the error in the page, instead of stopping the build."""
    allow_stale = c.Type(bool, default=False)
    """When a demo is stale and cannot be executed, or its execution fails, show the last good outputs with a notice."""
    demos = c.DictOfItems(DemoSettings(), default={})
    """Settings for single demos, keyed by the demo's file name without suffix."""
