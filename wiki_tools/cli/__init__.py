"""The `wiki-tools` command line: one click group, with one module per command group.

Like `mkdocs`, every command reads `mkdocs.yml` from the current folder, and `-f/--config-file`
selects another file. Commands only parse options, call one domain function and print its report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig


class SiteContext:
    """The wiki that a command works on: its `mkdocs.yml` and, loaded on first use, the validated config."""

    def __init__(self, config_file: Path) -> None:
        self.config_file = config_file
        self._config: MkDocsConfig | None = None

    @property
    def root(self) -> Path:
        """Folder of `mkdocs.yml`, against which the plugins resolve their relative paths."""
        return self.config_file.parent

    @property
    def config(self) -> MkDocsConfig:
        """The MkDocs config, validated exactly as `mkdocs build` validates it."""
        if self._config is None:
            if not self.config_file.is_file():
                raise click.ClickException(
                    f"Config file '{self.config_file}' not found. Run wiki-tools from the wiki's folder or pass -f PATH."
                )

            # Imported here so that `wiki-tools --help` stays fast.
            from mkdocs.config import load_config
            from mkdocs.exceptions import ConfigurationError

            try:
                self._config = load_config(config_file=str(self.config_file))
            except ConfigurationError as error:
                raise click.ClickException(f"Invalid {self.config_file}: {error}") from None
        return self._config

    def plugin_config(self, name: str) -> Any:
        """Return the validated options of plugin `name` (such as `wiki/digest`) from `mkdocs.yml`.

        Raises:
            click.ClickException: the plugin is not enabled in `mkdocs.yml`.
        """
        plugin = self.config.plugins.get(name)
        if plugin is None:
            raise click.ClickException(f"Plugin '{name}' is not enabled in {self.config_file}. Add it under 'plugins'.")
        return plugin.config


pass_site = click.make_pass_decorator(SiteContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-f",
    "--config-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default="mkdocs.yml",
    show_default=True,
    help="The wiki's MkDocs configuration file.",
)
@click.version_option(__version__, "-V", "--version")
@click.pass_context
def cli(ctx: click.Context, config_file: Path) -> None:
    """Maintain the LLM research wiki: papers, newsletter digests and executed demos."""
    # The file is only read when a command needs it, so that `--help` works outside a wiki folder.
    ctx.obj = SiteContext(config_file.resolve())


# Command groups, one module each, registered after `cli` exists because they import `pass_site` from here.
from .check import check  # noqa: E402
from .demos import demos  # noqa: E402
from .digest import digest  # noqa: E402
from .papers import papers  # noqa: E402

cli.add_command(check)
cli.add_command(digest)
cli.add_command(papers)
cli.add_command(demos)
