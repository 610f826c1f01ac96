"""`wiki-tools demos`: execute the executed demos and store their outputs in the execution cache."""

from __future__ import annotations

import time
from pathlib import Path

import click

from . import SiteContext, pass_site


@click.group()
def demos() -> None:
    """Execute the code demos under docs/demos/ and store their outputs."""


@demos.command("run")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--force", is_flag=True, help="Execute even demos whose stored outputs are current.")
@pass_site
def run(site: SiteContext, names: tuple[str, ...], force: bool) -> None:
    """Execute stale demos (all, or the NAMEs given) and store them in the execution cache.

    A demo is stale when its code cells, the kernel or the version of a package it imports changed
    since its stored execution. Each demo reports its progress cell by cell (a bar in a terminal,
    otherwise a line per code cell with the time elapsed) and its total time.

    Example: wiki-tools demos run lora --force
    """
    # Imported here so that `wiki-tools --help` does not load the demos machinery.
    from tqdm import tqdm

    from ..demos.runner import DemoError, MissingPackagesError, refresh_demo
    from ..demos.source import discover_demos
    from ..plugins.demos.plugin import DemosPlugin

    plugin = site.config.plugins.get("wiki/demos")
    if not isinstance(plugin, DemosPlugin):
        raise click.ClickException(f"Plugin 'wiki/demos' is not enabled in {site.config_file}. Add it under 'plugins'.")
    plugin.on_config(site.config)

    sources = discover_demos(plugin.demos_folder)
    known = {source.name: source for source in sources}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise click.ClickException(
            f"No demo named {', '.join(map(repr, unknown))} in {plugin.demos_folder}. "
            f"Known demos: {', '.join(known) or 'none'}."
        )
    selected = [known[name] for name in names] if names else sources

    failures = 0
    for position, source in enumerate(selected, start=1):
        source.load(plugin.work_dir / "sources")
        label = f"[{position}/{len(selected)}] {source.name}"
        progress = tqdm(total=len(source.cells), desc=label, unit="cell", leave=False, disable=None)

        started = time.perf_counter()

        def advance(
            index: int, count: int, progress: tqdm = progress, label: str = label, started: float = started
        ) -> None:
            # Without a terminal tqdm stays silent, so a log gets a line per code cell instead of a bar.
            if progress.disable:
                click.echo(f"{label}: cell {index + 1} of {count}, {time.perf_counter() - started:.1f} s elapsed")
            progress.n = index
            progress.refresh()

        try:
            outcome = refresh_demo(
                source,
                plugin.cache,
                plugin.options_for(source.name),
                lock_dir=plugin.work_dir / "locks",
                force=force,
                on_cell=advance,
            )
        except DemoError as error:
            progress.close()
            failures += 1
            # The build's message suggests this very command, which the user has just run.
            message = error.describe("run this command again") if isinstance(error, MissingPackagesError) else error
            click.echo(f"{label}: FAILED after {time.perf_counter() - started:.1f} s\n  {message}", err=True)
            continue
        progress.close()

        if outcome.executed:
            stored = _relative(plugin.cache.executed_path(source.name), site.root)
            click.echo(f"{label}: executed in {outcome.duration_seconds:.1f} s, stored in {stored}")
        elif outcome.notice:
            failures += 1
            click.echo(f"{label}: not updated. {outcome.notice}", err=True)
        else:
            click.echo(f"{label}: up to date (cache key {outcome.status.cache_key[:12]}); --force executes it anyway")

    if failures:
        raise click.ClickException(f"{failures} of {len(selected)} demos failed.")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
