"""The `wiki/digest` plugin: turn the digest archive into weekly pages, an index, candidates and a feed.

The build reads only the archive on disk and never touches the network; `wiki-tools digest fetch`
fills the archive.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, InclusionLevel
from mkdocs.structure.nav import Section
from mkdocs.structure.toc import AnchorLink

from ...digest.archive import read_archive
from ...digest.mentions import (
    Bibliography,
    Candidate,
    Mention,
    TopicMatcher,
    hit_list_candidates,
    index_bibliography,
    paper_mentions,
    papers_cited_by,
)
from ...papers.catalog import paper_slug
from ...papers.library import load_bibliography
from ..bibliography.plugin import get_relative_url
from ..options import resolve_work_folder
from ..search_view import restore_after_search, trim_for_search
from ..serving import watch_folder
from .config import DigestConfig, topics
from .pages import (
    PageLinks,
    Week,
    group_by_week,
    render_atom,
    render_candidates,
    render_index,
    render_paper_mentions,
    render_week,
)
from .week_cache import RenderedWeek, WeekCache, week_key

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page
    from mkdocs.utils.templates import TemplateContext

log = get_plugin_logger("wiki/digest")

ASSETS = Path(__file__).parent / "assets"
STYLESHEET = "assets/wiki-digest/digest.css"

_LEVELS = {"warn": logging.WARNING, "info": logging.INFO, "ignore": logging.DEBUG}


class DigestPlugin(BasePlugin[DigestConfig]):
    """Generate the digest pages from the JSON Lines archive written by `wiki-tools digest fetch`."""

    def __init__(self) -> None:
        self.root = Path()
        self.archive_dir = Path()
        self.weeks: dict[str, Week] = {}
        self.all_weeks: list[Week] = []
        self.candidates: list[Candidate] = []
        self.mentions: dict[str, list[Mention]] = {}
        self.site_config: MkDocsConfig | None = None
        self.bibliography_index: tuple[dict[str, str], dict[str, str]] = ({}, {})
        self.matcher = TopicMatcher(())
        self.paper_pages = False
        # Rendered weeks by label, kept across `mkdocs serve` rebuilds because the instance is.
        self.rendered_weeks: dict[str, RenderedWeek] = {}
        self.week_cache = WeekCache(self.rendered_weeks, None)
        self.months: dict[str, tuple[int, int]] = {}
        self._week_context: Any = None

    @property
    def index_uri(self) -> str:
        return f"{self.config.digest_dir}/index.md"

    @property
    def candidates_uri(self) -> str:
        return f"{self.config.digest_dir}/candidates.md"

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Keep this instance across `mkdocs serve` rebuilds, so the parsed archive cache survives them."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Resolve the archive folder against the folder of `mkdocs.yml`."""
        self.root = Path(config.config_file_path).parent
        self.archive_dir = (self.root / self.config.archive_dir).resolve()
        self.matcher = TopicMatcher(topics(self.config))
        folder = resolve_work_folder(self.config.cache_dir, config, "cache_dir", "wiki/digest")
        self.week_cache = WeekCache(self.rendered_weeks, folder)
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Read the archive and add the index, the candidates page and one page per week."""
        contents = read_archive(self.archive_dir)
        level = _LEVELS[self.config.corrupt_lines]
        for problem in contents.problems:
            log.log(level, "%s", str(problem).replace(str(self.root) + "/", ""))

        self.months = contents.months
        self._week_context = None
        bibliography = self._bibliography(config)
        self.bibliography_index = index_bibliography(bibliography)
        self.all_weeks = group_by_week(contents.items)
        self.candidates = hit_list_candidates(contents.items, bibliography, self.config.candidate_min_mentions)
        self.mentions = paper_mentions(contents.items, bibliography) if bibliography is not None else {}
        self.site_config = config
        log.debug("Read %d items in %d weeks from %s", len(contents.items), len(self.all_weeks), self.archive_dir)

        files.append(File.generated(config, STYLESHEET, abs_src_path=str(ASSETS / "digest.css")))

        # An introduction written in docs/ at the index's or candidates' place is kept; the lists follow it.
        for uri, title in (
            (self.index_uri, "Newsletter digests"),
            (self.candidates_uri, "Candidates for the hit list"),
        ):
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, content=f"# {title}\n"))

        # Week pages stay out of the navigation, because hundreds of entries would make every page
        # slow to render. The index links to each of them.
        self.weeks = {}
        for week in self.all_weeks:
            uri = self._week_uri(week)
            self.weeks[uri] = week
            if files.get_file_from_path(uri) is None:
                # Material's search plugin skips pages whose front matter sets `search: {exclude: true}`.
                front_matter = "" if self.config.search_weeks else "---\nsearch:\n  exclude: true\n---\n"
                content = f"{front_matter}# {week.title}\n"
                files.append(File.generated(config, uri, content=content, inclusion=InclusionLevel.NOT_IN_NAV))
        return files

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        """Add the index and the candidates page under the `nav_section` section, unless `nav` lists them."""
        pages = [files.get_file_from_path(uri).page for uri in (self.index_uri, self.candidates_uri)]
        pages = [page for page in pages if page is not None and page not in nav.pages]
        if not pages:
            return nav

        section = _find_section(nav.items, self.config.nav_section)
        if section is None:
            log.info(
                "No navigation section titled %r for the digest pages. Add '%s' and '%s' to 'nav' in mkdocs.yml.",
                self.config.nav_section,
                self.index_uri,
                self.candidates_uri,
            )
            return nav

        for page in pages:
            page.parent = section
            section.children.append(page)
        _relink_pages(nav)
        return nav

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Append the generated lists to the digest pages."""
        uri = page.file.src_uri
        if uri == self.index_uri:
            return html + "\n" + self._render_index(page, config, files)
        if uri == self.candidates_uri:
            return html + "\n" + render_candidates(self.candidates, self.config.candidate_min_mentions)
        week = self.weeks.get(uri)
        if week is None:
            return html

        key = self._week_key(week, files)
        rendered = self.week_cache.get(week.label, key)
        if rendered is None:
            body, sections = render_week(week, self._links(page, files), self.matcher)
            rendered = RenderedWeek(key, body, sections)
            self.week_cache.put(week.label, rendered)
        _attach_toc(page, rendered.sections)
        return html + "\n" + rendered.html

    @event_priority(1)
    def _empty_excluded_week(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        # Priority 1 runs just before Material's search plugin. For a page left out of the index, that
        # plugin still scans the whole HTML for `data-search-*` attributes, about 1.4 ms for a week
        # page here, and week pages have none. So it gets an empty page until the next handler restores it.
        search = page.meta.get("search") or {}
        if page.file.src_uri in self.weeks and isinstance(search, dict) and search.get("exclude"):
            trim_for_search(page, lambda html: "")
        return context

    @event_priority(-1)
    def _restore_week(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        restore_after_search(page)
        return context

    on_page_context = CombinedEvent(_empty_excluded_week, _restore_week)
    """Spare Material's search plugin the HTML of week pages that it leaves out of the index."""

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Announce the Atom feed in the head of the digest pages, so that feed readers discover it."""
        uri = page.file.src_uri
        if not config.site_url or (uri != self.index_uri and uri not in self.weeks):
            return output
        href = escape(get_relative_url(self._feed_path(), page.file.url))
        title = escape(f"{config.site_name}: newsletter digests")
        link = f'<link rel="alternate" type="application/atom+xml" title="{title}" href="{href}">'
        return output.replace("</head>", f"{link}\n</head>", 1)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the Atom feed of the newest weeks to `<digest_dir>.xml` at the site root."""
        site_url = config.site_url
        if not site_url:
            log.info("No Atom feed of the digests: set 'site_url' in mkdocs.yml, because feed links must be absolute.")
            return

        base = site_url if site_url.endswith("/") else site_url + "/"
        index_url = base + self._file_url(config, self.index_uri)
        document = render_atom(
            self.all_weeks[: self.config.feed_weeks],
            site_name=config.site_name,
            feed_url=base + self._feed_path(),
            index_url=index_url,
            week_url=lambda week: base + self._file_url(config, self._week_uri(week)),
            updated_when_empty=_build_time(),
        )
        target = Path(config.site_dir) / self._feed_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(document)

    def mentions_html(self, key: str, from_url: str) -> str:
        """Return the "Mentioned in the digests" section for the paper `key`, or "" when no item cites it.

        For the `wiki/bibliography` plugin's paper pages: `from_url` is the paper page's URL, such as
        `papers/hu2021lora/`, and the section links each item's week page relative to it. Valid from
        `on_files` on, so it can be called while pages are built or in `on_post_build`.
        """
        config = self.site_config
        if config is None:
            return ""

        def week_url(label: str) -> str:
            return get_relative_url(self._file_url(config, f"{self.config.digest_dir}/{label}.md"), from_url)

        return render_paper_mentions(self.mentions.get(key, []), week_url)

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder) -> LiveReloadServer:
        """Rebuild the site when the archive changes, including its first fetch."""
        watch_folder(server, self.archive_dir)
        return server

    def _bibliography(self, config: MkDocsConfig) -> Bibliography | None:
        # Reuse the bibliography plugin's parsed file when it is enabled, to parse papers.bib once.
        plugin = config.plugins.get("wiki/bibliography")
        self.paper_pages = plugin is not None
        loaded = getattr(plugin, "catalog", None)
        if loaded is not None:
            return loaded

        path = self.root / self.config.bib_file
        if not path.is_file():
            log.info("No bibliography at %s, so digest items link to no paper.", path)
            return None
        return load_bibliography(path)

    def _week_uri(self, week: Week) -> str:
        return f"{self.config.digest_dir}/{week.label}.md"

    def _feed_path(self) -> str:
        # The feed sits at the site root because Material's instant navigation requests `sitemap.xml` from
        # the folder of every `<link rel="alternate">` in a page, and only the root has a sitemap.
        return f"{self.config.digest_dir.strip('/').replace('/', '-')}.xml"

    @staticmethod
    def _file_url(config: MkDocsConfig, uri: str) -> str:
        return File(uri, "", "", use_directory_urls=config.use_directory_urls).url

    def _render_index(self, page: Page, config: MkDocsConfig, files: Files) -> str:
        base = page.file.url

        def week_url(week: Week) -> str:
            return get_relative_url(self._file_url(config, self._week_uri(week)), base)

        candidates_url = get_relative_url(self._file_url(config, self.candidates_uri), base)
        feed_url = get_relative_url(self._feed_path(), base) if config.site_url else None
        return render_index(self.all_weeks, week_url, candidates_url, feed_url)

    def _week_key(self, week: Week, files: Files) -> str:
        """Return the cache key of `week`: its monthly files and what the links of every week depend on."""
        if self._week_context is None:
            topic_urls = {}
            for topic in self.matcher.topics:
                target = files.get_file_from_path(topic.page)
                topic_urls[topic.page] = target.url if target is not None else None
            slugs = getattr(self.site_config.plugins.get("wiki/bibliography"), "slugs", {})
            self._week_context = {
                "topics": [[topic.page, topic.title, list(topic.keywords)] for topic in self.matcher.topics],
                "topic_urls": topic_urls,
                "paper_pages": self.paper_pages,
                "paper_url": self.config.paper_url,
                "slugs": slugs,
                "bibliography": self.bibliography_index,
                "page_url": self._file_url(self.site_config, self._week_uri(week)).replace(week.label, "{week}"),
            }
        # An item is stored in the file of its month, so a week's items change only with these files.
        sunday = week.monday + timedelta(days=6)
        months = {month: self.months.get(month) for month in (f"{week.monday:%Y-%m}", f"{sunday:%Y-%m}")}
        return week_key(week.label, months, self._week_context)

    def _links(self, page: Page, files: Files) -> PageLinks:
        base = page.file.url
        topic_urls = {}
        for topic in self.matcher.topics:
            target = files.get_file_from_path(topic.page)
            if target is not None:
                topic_urls[topic.page] = get_relative_url(target.url, base)

        paper_urls: dict[str, str | None] = {}

        def paper(key: str) -> str | None:
            # Paper pages are written by the bibliography plugin after the build, so they are not in
            # `files`. Every cited key comes from papers.bib, so its page exists when that plugin runs.
            if not self.paper_pages:
                return None
            if key not in paper_urls:
                # The bibliography plugin numbers colliding slugs, so ask it first.
                slugs = getattr(self.site_config.plugins.get("wiki/bibliography"), "slugs", {})
                url = self.config.paper_url.format(key=key, slug=slugs.get(key) or paper_slug(key))
                paper_urls[key] = get_relative_url(url, base)
            return paper_urls[key]

        index = self.bibliography_index
        return PageLinks(paper=paper, topics=topic_urls, cited_keys=lambda item: papers_cited_by(item, index))


def _build_time() -> datetime:
    """Return the time in `SOURCE_DATE_EPOCH` when it is set, so that builds are reproducible, else now."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (ValueError, OverflowError, OSError):
            log.warning(
                "SOURCE_DATE_EPOCH=%r is invalid: expected whole seconds since 1970-01-01 UTC. "
                "The feed's update time is the current time instead.",
                value,
            )
    return datetime.now(UTC).replace(microsecond=0)


def _find_section(items: list, title: str) -> Section | None:
    for item in items:
        if isinstance(item, Section):
            if item.title == title:
                return item
            found = _find_section(item.children, title)
            if found is not None:
                return found
    return None


def _relink_pages(nav: Navigation) -> None:
    """Rebuild the page order and previous/next links after pages were added to the navigation."""
    pages = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, Section):
                walk(item.children)
            elif getattr(item, "is_page", False):
                pages.append(item)

    walk(nav.items)
    nav.pages[:] = pages
    for index, page in enumerate(pages):
        page.previous_page = pages[index - 1] if index else None
        page.next_page = pages[index + 1] if index + 1 < len(pages) else None


def _attach_toc(page: Page, sections: list[tuple[str, str]]) -> None:
    links = [AnchorLink(title, anchor, 2) for title, anchor in sections]
    if page.toc.items and page.toc.items[0].level == 1:
        page.toc.items[0].children.extend(links)
    else:
        page.toc.items.extend(links)
