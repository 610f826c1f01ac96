"""`wiki-tools papers`: add papers by arXiv identifier and refresh the cached arXiv metadata."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import requests

from ..papers.arxiv_client import ArxivApiError, ArxivClient, resolve_api_url
from ..papers.arxiv_sync import AddReport, RefreshReport, add_papers, refresh_papers
from ..papers.bibwriter import BibWriteError
from ..papers.metadata import MetadataCacheError
from ..storage import LockBusyError, locked, remove_stale_temporary_files
from . import SiteContext, pass_site

LOCK_TIMEOUT_SECONDS = 10.0


@dataclass
class PaperSettings:
    """Paths and the API client of one wiki, from the `wiki/bibliography` options in `mkdocs.yml`."""

    root: Path
    bib_path: Path
    metadata_path: Path
    lock_path: Path
    client: ArxivClient

    def show(self, path: Path) -> str:
        """Return `path` relative to the wiki's folder, the form editors use."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def _resolve_settings(site: SiteContext) -> PaperSettings:
    config = site.plugin_config("wiki/bibliography")
    try:
        client = ArxivClient(
            resolve_api_url(config.arxiv_api_url),
            delay_seconds=float(config.arxiv_delay_seconds),
            timeout_seconds=float(config.arxiv_timeout_seconds),
            max_retries=config.arxiv_max_retries,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return PaperSettings(
        root=site.root,
        bib_path=site.root / config.bib_file,
        metadata_path=site.root / config.metadata_file,
        # The lock sits in the ignored .cache/ folder, so it never shows up as a change to commit.
        lock_path=site.root / ".cache" / "wiki-tools" / "papers.lock",
        client=client,
    )


class _EchoHandler(logging.Handler):
    """Print log records (retries, notes on responses) to stderr, where click also writes its errors."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname.capitalize()}: {record.getMessage()}", err=True)


@contextmanager
def _log_to_stderr() -> Iterator[None]:
    """Show the package's log records for the length of one command, without a handler left behind."""
    package_log = logging.getLogger("wiki_tools.papers")
    handler = _EchoHandler(level=logging.INFO)
    previous_level, previous_propagate = package_log.level, package_log.propagate
    package_log.addHandler(handler)
    package_log.setLevel(logging.INFO)
    package_log.propagate = False
    try:
        yield
    finally:
        package_log.removeHandler(handler)
        package_log.setLevel(previous_level)
        package_log.propagate = previous_propagate


@contextmanager
def _guarded(settings: PaperSettings) -> Iterator[None]:
    """Hold the papers lock, show log records, and turn the domain's errors into one-line command errors."""
    try:
        with locked(settings.lock_path, timeout_seconds=LOCK_TIMEOUT_SECONDS), _log_to_stderr():
            _remove_leftovers(settings)
            yield
    except (ArxivApiError, MetadataCacheError, LockBusyError) as error:
        raise click.ClickException(f"{error} No file was changed.") from None
    except BibWriteError as error:
        raise click.ClickException(
            f"Cannot change {settings.show(settings.bib_path)}: {error}. No file was changed."
        ) from None
    except requests.RequestException as error:
        # requests' errors are OSErrors, so without this branch they would be blamed on the wiki's files.
        raise click.ClickException(f"The request to the arXiv API failed: {error}. No file was changed.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"Cannot read or write a file of the wiki: {error}") from None


def _remove_leftovers(settings: PaperSettings) -> None:
    """Delete the temporary files that a killed `papers add` or `refresh` left beside the files it writes."""
    for target in (settings.bib_path, settings.metadata_path):
        for leftover in remove_stale_temporary_files(target):
            click.echo(f"Removed {settings.show(leftover)}, left behind by an interrupted run.", err=True)


@click.group()
def papers() -> None:
    """Add papers by arXiv identifier and keep the cached arXiv metadata up to date.

    Both commands contact the arXiv API (WIKI_ARXIV_API_URL or the 'arxiv_api_url' option of
    wiki/bibliography selects it). The site build itself only reads the cache.
    """


@papers.command("add")
@click.argument("identifiers", nargs=-1, required=True, metavar="ID_OR_URL...")
@pass_site
def add(site: SiteContext, identifiers: tuple[str, ...]) -> None:
    """Fetch papers from arXiv and append a BibTeX entry for each to the bibliography.

    Accepts 1706.03762, 1706.03762v5, arXiv:1706.03762, arxiv.org/abs and /pdf links,
    hep-th/9901001, math.GT/0309136 and 10.48550/arXiv.1706.03762. Papers already in the
    bibliography are reported and not added again. Exits with status 1 when an input is invalid
    or not found; the other inputs are still added.

    Example: wiki-tools papers add https://arxiv.org/abs/2106.09685 arXiv:2005.11401
    """
    settings = _resolve_settings(site)
    with _guarded(settings):
        report = add_papers(list(identifiers), settings.bib_path, settings.metadata_path, settings.client)
    _print_add_report(report, settings)
    if report.failed:
        click.get_current_context().exit(1)


@papers.command("refresh")
@click.option(
    "--stale",
    "stale_days",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    help="Fetch only papers whose cached record is missing or older than DAYS days.",
)
@click.option("--prune", is_flag=True, help="Remove cached records of papers that are no longer in the bibliography.")
@click.option(
    "--update-bib",
    is_flag=True,
    help="Write arXiv's journal reference and DOI into entries that lack them, and replace arXiv's own "
    "DOI (10.48550/arXiv...) with the publisher's. Prints every change by entry key.",
)
@pass_site
def refresh(site: SiteContext, stale_days: float | None, prune: bool, update_bib: bool) -> None:
    """Fetch arXiv metadata for every entry with an eprint and rewrite the metadata cache.

    Ends with what changed since the last refresh: new versions, papers that gained a DOI or a
    journal reference, and withdrawn papers. Records of removed entries stay until --prune.

    Example: wiki-tools papers refresh --stale 30 --update-bib
    """
    settings = _resolve_settings(site)
    with _guarded(settings):
        report = refresh_papers(
            settings.bib_path,
            settings.metadata_path,
            settings.client,
            stale_days=stale_days,
            prune=prune,
            update_bib=update_bib,
        )
    _print_refresh_report(report, settings)
    if report.failed:
        click.get_current_context().exit(1)


# ---- Reports ----


def _print_add_report(report: AddReport, settings: PaperSettings) -> None:
    bib = settings.show(settings.bib_path)
    if report.added:
        click.echo(f"Added {_count(len(report.added), 'paper')} to {bib}:")
        for _raw, key, record in report.added:
            click.echo(f"  {key}  {record.title} (arXiv:{record.arxiv_id}v{record.version})")
        click.echo("Give each new entry a 'keywords' field: its first keyword is its topic on the hit list.")
    for raw, key in report.already_present:
        click.echo(f"Already in {bib}: {raw} is entry '{key}'; not added again.")
    for raw in report.repeated:
        click.echo(f"Given more than once: {raw}; added once.")
    for _raw, key, record in report.added:
        if record.withdrawn:
            click.echo(f"Warning: {key} (arXiv:{record.arxiv_id}) is withdrawn on arXiv: {record.comment}", err=True)
    _print_failures(report.invalid, report.not_found, report.rejected)
    if not report.added and not report.failed:
        click.echo(f"Nothing to add; {bib} is unchanged.")


def _print_refresh_report(report: RefreshReport, settings: PaperSettings) -> None:
    for problem in report.bib_problems:
        click.echo(f"Warning: {problem}", err=True)

    click.echo(
        f"Fetched {_count(report.fetched, 'paper')} of {report.checked} with an arXiv eprint "
        f"in {_count(report.requests, 'request')}."
    )
    _print_drift(report)

    for key, bib_title, arxiv_title in report.title_mismatches:
        click.echo(
            f"Warning: the title of '{key}' differs from arXiv's, so its eprint may be wrong: "
            f"{bib_title!r} in the bibliography, {arxiv_title!r} on arXiv.",
            err=True,
        )
    for key, arxiv_id in report.withdrawn_in_bib:
        click.echo(f"Warning: '{key}' cites arXiv:{arxiv_id}, which is withdrawn.", err=True)
    if report.bib_updates:
        click.echo(
            f"Updated {_count(len(report.bib_updates), 'entry', 'entries')} in {settings.show(settings.bib_path)}:"
        )
        for update in report.bib_updates:
            click.echo(f"  {update.key} (arXiv:{update.arxiv_id}): {update.describe()}")

    if report.orphans:
        click.echo(
            f"{_count(len(report.orphans), 'cached record')} no longer in the bibliography "
            f"(kept; run with --prune to remove): {', '.join(report.orphans)}"
        )
    if report.pruned:
        click.echo(f"Pruned {_count(len(report.pruned), 'record')}: {', '.join(report.pruned)}")

    _print_failures(
        report.invalid_eprints, [f"{arxiv_id} ({keys})" for arxiv_id, keys in report.not_found], report.rejected
    )
    for action in report.skipped_actions:
        click.echo(f"Error: skipped {action}.", err=True)
    if report.fetched or report.pruned:
        click.echo(f"Wrote {settings.show(settings.metadata_path)}.")


def _print_drift(report: RefreshReport) -> None:
    drift = report.drift

    def name(arxiv_id: str) -> str:
        # Editors know their papers by citation key, while the cache and arXiv know them by identifier.
        keys = ", ".join(report.keys_by_id.get(arxiv_id, []))
        return f"{keys} (arXiv:{arxiv_id})" if keys else f"arXiv:{arxiv_id}"

    changes = [
        *(f"  New version: {name(arxiv_id)} v{old} → v{new}" for arxiv_id, old, new in drift.new_versions),
        *(f"  New DOI: {name(arxiv_id)} {doi}" for arxiv_id, doi in drift.gained_doi),
        *(f"  New journal reference: {name(arxiv_id)} {reference}" for arxiv_id, reference in drift.gained_journal_ref),
        *(f"  Withdrawn: {name(arxiv_id)}" for arxiv_id in drift.withdrawn),
    ]
    if drift.added:
        changes.append(f"  First fetched: {_count(len(drift.added), 'paper')}")
    if changes:
        click.echo("Changes since the last refresh:")
        for line in changes:
            click.echo(line)
    else:
        click.echo("No changes since the last refresh.")


def _print_failures(invalid: list[str], not_found: list[str], rejected: list[tuple[str, str]]) -> None:
    for message in invalid:
        click.echo(f"Error: {message}", err=True)
    for name in not_found:
        click.echo(f"Error: no paper {name} on arXiv. Check the identifier.", err=True)
    for name, reason in rejected:
        click.echo(f"Error: arXiv rejected the identifier {name!r}: {reason.rstrip().rstrip('.')}.", err=True)


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
