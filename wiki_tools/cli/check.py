"""`wiki-tools check`: report bibliography and citation problems without building the site."""

from __future__ import annotations

from pathlib import Path

import click

from ..check import check_wiki
from . import SiteContext, pass_site


@click.command()
@click.option("-q", "--quiet", is_flag=True, help="Print errors only, not the entries that no page cites.")
@pass_site
def check(site: SiteContext, quiet: bool) -> None:
    """Check papers.bib and the citations in every page, without building the site.

    Reports unknown citation keys, duplicate keys, BibTeX syntax errors, entries missing required
    fields, notes files with no entry and titles that differ from the cached arXiv title as errors,
    and entries that no page cites as information.
    Exits with status 1 when there is an error, so it can run in CI or a pre-commit hook.

    \b
    Example:
        wiki-tools check
    """
    options = site.plugin_config("wiki/bibliography")
    report = check_wiki(
        site.root,
        site.root / options.bib_file,
        Path(site.config.docs_dir),
        options.papers_dir,
        options.hit_list_uri,
        site.root / options.metadata_file,
    )

    for finding in report.findings:
        if quiet and finding.level == "info":
            continue
        click.echo(str(finding), err=finding.level == "error")

    errors = len(report.errors)
    click.echo(
        f"Checked {report.entry_count} entries and {report.citation_count} citations in {report.page_count} pages: "
        f"{errors} error{'s' if errors != 1 else ''}."
    )
    if errors:
        raise SystemExit(1)
