"""`wiki-tools digest`: fetch the newsletter feeds into the digest archive."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from . import SiteContext, pass_site


@click.group()
def digest() -> None:
    """Newsletter digests: fetch the feeds listed under the wiki/digest plugin in mkdocs.yml."""


def _parse_feed_option(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    from ..digest.update import FeedSource

    sources = []
    for value in values:
        name, separator, url = value.partition("=")
        name, url = name.strip(), url.strip()
        if not separator or not name or not url:
            raise click.BadParameter(f"expected NAME=URL, received {value!r}", ctx=ctx, param=param)
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise click.BadParameter(f"expected an http or https URL, received {url!r}", ctx=ctx, param=param)
        sources.append(FeedSource(name, url, from_command_line=True))
    return sources


@digest.command("fetch")
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    metavar="NAME=URL",
    callback=_parse_feed_option,
    help="Fetch this feed instead of the configured ones; repeatable. Its items go into the same archive.",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    default=600,
    show_default=True,
    help="Seconds to wait for another fetch that holds the archive lock, then give up.",
)
@pass_site
def fetch(site: SiteContext, feeds: list, wait_seconds: float) -> None:
    """Fetch the feeds, add new items to the archive and report per feed.

    Exits with status 1 only when every feed failed.

    \b
    Example:
        wiki-tools digest fetch
        wiki-tools digest fetch --feed "Lil'Log=https://lilianweng.github.io/index.xml"
    """
    from ..digest.update import fetch_all
    from ..plugins.digest.config import feed_sources, fetch_settings
    from ..storage import LockBusyError

    config = site.plugin_config("wiki/digest")
    sources = feeds or feed_sources(config)
    if not sources:
        raise click.ClickException(
            "No feeds to fetch. List them under 'feeds' of the wiki/digest plugin or pass --feed."
        )
    archive_dir = site.root / config.archive_dir
    settings = fetch_settings(config, site.config.site_url)

    total = len(sources)
    done = 0

    def show_progress(outcome) -> None:
        nonlocal done
        done += 1
        click.echo(f"[{done:>{len(str(total))}}/{total}] {outcome.name}: {_status(outcome)}", err=True)

    click.echo(f"Fetching {_count(total, 'feed')} into {archive_dir} ...", err=True)
    try:
        report = fetch_all(
            sources,
            archive_dir,
            settings,
            summary_chars=config.summary_chars,
            lock_wait_seconds=wait_seconds,
            failing_after_runs=config.failing_after_runs,
            progress=show_progress,
        )
    except (LockBusyError, ValueError) as error:
        raise click.ClickException(str(error)) from None

    _print_report(report, advice="Check the URL given with --feed." if feeds else "Check its URL in mkdocs.yml.")
    if report.all_failed:
        raise SystemExit(1)


def _status(outcome) -> str:
    if outcome.status == "new":
        return f"{outcome.new_items} new of {_count(outcome.entries, 'entry')}"
    if outcome.status == "unchanged":
        return "unchanged (304 Not Modified)"
    if outcome.status == "deferred":
        return f"deferred: {outcome.reason}"
    return f"failed: {outcome.reason}"


def _count(number: int, noun: str) -> str:
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {noun[:-1]}ies" if noun.endswith("y") else f"{number} {noun}s"


def _print_report(report, advice: str) -> None:
    """Print one line per feed, the totals, and the feeds failing repeatedly followed by `advice`."""
    width = max(len(outcome.name) for outcome in report.outcomes)
    click.echo("")
    for outcome in report.outcomes:
        click.echo(f"{outcome.name:<{width}}  {_status(outcome)}")
        for note in outcome.notes:
            click.echo(f"{'':<{width}}  note: {note}")

    failed = sum(outcome.failed for outcome in report.outcomes)
    click.echo(
        f"\n{_count(report.new_items, 'new item')} from {_count(len(report.outcomes), 'feed')}, {failed} failed."
    )

    if report.failing:
        click.echo(f"\nFeeds failing {report.failing_after_runs} or more runs in a row:")
        for outcome in report.failing:
            since = f"last success {outcome.last_success}" if outcome.last_success else "never succeeded"
            click.echo(f"  {outcome.name}: {_count(outcome.error_streak, 'run')}, {since}. {advice}")
