"""The `wiki/bibliography` plugin: citations, the hit list and a page for every paper.

Paper pages are not ordinary MkDocs pages, because a wiki with thousands of entries would spend most
of its build rendering the theme for each of them. Instead the plugin renders one hidden template page
through the theme and keeps its HTML as a shell. In `on_post_build` it writes every paper page from
that shell. All paper pages sit at the same depth, so the shell's relative links stay valid.
An entry with a notes file in `docs/papers/<key>.md` is the exception: that file is a real page,
and the generated parts are merged around the notes.
"""

from __future__ import annotations

import difflib
import gzip
import logging
import re
import shutil
from collections import defaultdict
from html import escape
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils import get_relative_url as _get_relative_url

from ...papers.catalog import TEMPLATE_SLUG, Catalog, assign_slugs, load_catalog
from ...papers.citations import CitationGroup, replace_citations
from ...papers.metadata import ArxivRecord, MetadataCacheError, load_metadata, lookup_record, titles_differ
from ...storage import atomic_write_text
from ..options import resolve_work_folder
from ..search_view import restore_after_search, trim_for_search
from ..serving import watch_folder
from .citing import TOKEN_PREFIX, PlacedCitations, citation_text, render_citation_group, render_references
from .config import BibliographyConfig
from .pages import (
    PAPER_SECTIONS,
    Backlink,
    PaperContext,
    group_by_topic,
    render_hit_list,
    render_paper_body,
    topic_anchor,
)
from .writing import PageWriter

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page
    from mkdocs.utils.templates import TemplateContext

log = get_plugin_logger("wiki/bibliography")

LEVELS = {"warn": logging.WARNING, "info": logging.INFO, "ignore": logging.DEBUG}
ASSETS = Path(__file__).parent / "assets"
ASSET_SITE_DIR = "assets/wiki"

# The hidden page whose rendered HTML becomes the shell of every paper page.
TEMPLATE_NAME = TEMPLATE_SLUG
TITLE_TOKEN = "WikiPaperTitleToken"
HEAD_TOKEN = "<!--wiki-paper-head-->"
TAIL_TOKEN = "<!--wiki-paper-tail-->"


def get_relative_url(url: str, other: str) -> str:
    """Return `url` relative to page URL `other`, keeping the trailing slash of a folder URL."""
    relative = _get_relative_url(url, other)
    if (url == "" or url.endswith("/")) and not relative.endswith("/"):
        relative += "/"
    return relative


class BibliographyPlugin(BasePlugin[BibliographyConfig]):
    """Render citations, the hit list and one page per entry of a BibTeX file."""

    def __init__(self) -> None:
        self.bib_path: Path | None = None
        self.catalog: Catalog | None = None
        self._loaded_records: dict[str, ArxivRecord] | None = None
        # (mtime, size) of the file behind `self.catalog`, so `mkdocs serve` re-reads it only after an edit.
        self._bib_signature: tuple[int, int] | None = None
        self.metadata_path: Path | None = None
        self.records: dict[str, ArxivRecord] = {}
        self._metadata_signature: tuple[int, int] | None = None
        self.page_writer = PageWriter()
        # Key -> {page src_uri: [page, number of citations]}, filled while pages are read.
        self.cited_on: dict[str, dict[str, list]] = defaultdict(dict)
        self.keep_citations = False

    # Events ------------------------------------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Keep this instance across `mkdocs serve` rebuilds, so the loaded bibliography survives them."""
        self.page_writer = PageWriter(reuse=command == "serve" and not dirty)
        # A dirty rebuild reads only the edited pages, so the other pages' citations must be remembered.
        # NOTE: `mkdocs build --dirty` starts a new process with nothing remembered, so its paper pages
        # list only the citing pages that it read again.
        self.keep_citations = dirty

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Load the bibliography when it changed and reset the state of one build."""
        root = Path(config.config_file_path).parent
        self.root = root
        self.site_config = config
        self.bib_path = (root / self.config.bib_file).resolve()
        catalog = self._load_catalog(root)
        self.metadata_path = (root / self.config.metadata_file).resolve()
        records = self._load_metadata()
        if catalog is not self.catalog or records is not self._loaded_records:
            self.records = self._match_records(catalog, records)
        self.catalog, self._loaded_records = catalog, records

        self.papers_dir = self.config.papers_dir.strip("/")
        self.slugs = assign_slugs(list(self.catalog.entries))
        self.keys_by_slug = {slug: key for key, slug in self.slugs.items()}
        self.template_file: File | None = None
        self.shell: str | None = None
        self.notes_pages: dict[str, Page] = {}
        if not self.keep_citations:
            self.cited_on = defaultdict(dict)
        self.page_references: dict[str, list[str]] = {}
        # Page src_uri -> the citations replaced by tokens in its Markdown until `on_page_content`.
        self.placed: dict[str, PlacedCitations] = {}
        # Token prefix -> the citations of its page, kept for the whole build to clean up copied tokens.
        self.placed_by_prefix: dict[str, PlacedCitations] = {}

        config.extra_css.append(f"{ASSET_SITE_DIR}/bibliography.css")
        config.extra_javascript.append(f"{ASSET_SITE_DIR}/hit-list.js")
        config.extra_javascript.append(f"{ASSET_SITE_DIR}/citation-cards.js")
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Move the previous rebuild's paper pages aside under `serve`, before MkDocs cleans the site."""
        self.page_writer.begin(Path(config.site_dir), self.papers_dir)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Add the hit list, the paper-page template and the assets, and find the editor's notes files."""
        if files.get_file_from_path(self.config.hit_list_uri) is None:
            files.append(File.generated(config, self.config.hit_list_uri, content=f"# {self.config.hit_list_title}\n"))

        # The heading is raw HTML, so that its id is fixed without relying on the attr_list extension.
        template = (
            f"---\ntitle: {TITLE_TOKEN}\nsearch:\n  exclude: true\n---\n\n"
            f'<h1 id="paper-title">{TITLE_TOKEN}</h1>\n\n{HEAD_TOKEN}\n\n{TAIL_TOKEN}\n'
        )
        self.template_file = File.generated(config, f"{self.papers_dir}/{TEMPLATE_NAME}.md", content=template)
        self.template_file.inclusion = self.template_file.inclusion.NOT_IN_NAV
        files.append(self.template_file)

        for name in ("bibliography.css", "hit-list.js", "citation-cards.js"):
            files.append(File.generated(config, f"{ASSET_SITE_DIR}/{name}", abs_src_path=str(ASSETS / name)))

        self._find_notes_files(files)
        if self.keep_citations:
            # A page deleted since an earlier dirty rebuild no longer cites anything.
            for pages in self.cited_on.values():
                for src_uri in [uri for uri in pages if files.get_file_from_path(uri) is None]:
                    del pages[src_uri]
        return files

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Replace citations with linked labels, and frame a notes file with its paper's metadata."""
        if page.file is self.template_file:
            return markdown

        key = self._notes_key(page)
        # A notes page also shows its entry's title, so the citation tokens must not occur in that either.
        title = self.catalog.entries[key].title if key is not None else ""
        markdown = self._render_citations(markdown, page, title)
        if key is None:
            return markdown

        # A notes page shows the entry's title as its heading, then the notes under a heading of their own.
        self.notes_pages[key] = page
        entry = self.catalog.entries[key]
        notes = re.sub(r"\A\s*#\s[^\n]*\n", "", markdown, count=1)
        return f"# {_escape_markdown(entry.title)}\n\n{HEAD_TOKEN}\n\n## Notes\n\n{notes}\n\n{TAIL_TOKEN}\n"

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Put the citations into the page, and add the hit list and each citing page's References section."""
        placed = self.placed.pop(page.file.src_uri, None)
        if placed:
            html = placed.insert(html)
            self._uncount(page, placed.literal_keys)

        if page.file is self.template_file or self._notes_key(page) is not None:
            self._attach_toc(page, [AnchorLink(title, anchor, 2) for anchor, title in PAPER_SECTIONS])

        if page.file.src_uri == self.config.hit_list_uri:
            groups = group_by_topic(self.catalog, self.config.untagged_topic)
            hrefs = {key: self._paper_href(key, page.url) for key in self.slugs}
            html += "\n" + render_hit_list(groups, hrefs)
            sections = [("reading-progress", "Reading progress"), ("to-read-next", "To read next")]
            links = [AnchorLink(title, anchor, 2) for anchor, title in sections if f'id="{anchor}"' in html]
            links += [AnchorLink(topic.capitalize(), topic_anchor(topic), 2) for topic in groups]
            self._attach_toc(page, links)

        keys = self.page_references.get(page.file.src_uri)
        if keys:
            hrefs = {key: self._paper_href(key, page.url) for key in keys}
            html += "\n" + render_references(keys, self.catalog.entries, hrefs, self.config.references_title)
            self._attach_toc(page, [AnchorLink(self.config.references_title, "references", 2)])
        return html

    @event_priority(1)
    def _hide_cards_from_search(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        # Priority 1 runs just before Material's search plugin, which indexes `page.content`. A hover
        # card repeats the cited paper's title, authors and abstract, which would make every citing
        # page a hit for the paper's words. The paper's own page is in the index for those.
        if page.content and "wiki-cite__card" in page.content:
            trim_for_search(page, lambda html: _CARD.sub("", html))
        return context

    @event_priority(-1)
    def _restore_cards(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        restore_after_search(page)
        return context

    on_page_context = CombinedEvent(_hide_cards_from_search, _restore_cards)
    """Index citing pages for search without the text of their hover cards."""

    # Runs last, so that the captured shell already contains what other plugins add to a page.
    @event_priority(-100)
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Keep the template page's HTML as the paper-page shell, and fill in the notes pages."""
        # A plugin that renders a page's Markdown itself, such as the blog plugin's post excerpts, copies
        # its tokens to another page, where the citations become plain text.
        for prefix in set(TOKEN_PREFIX.findall(output)) if "WikiCite" in output else ():
            if prefix in self.placed_by_prefix:
                output = self.placed_by_prefix[prefix].insert(output, plain=True)

        if page.file is self.template_file:
            self.shell = output
            return output

        key = self._notes_key(page)
        if key is None:
            return output
        head, tail = render_paper_body(self.catalog.entries[key], self._paper_context(key, page.url))
        return output.replace(HEAD_TOKEN, head, 1).replace(TAIL_TOKEN, tail, 1)

    # Runs before the search plugin writes its index, so that the paper pages can be added to it.
    @event_priority(50)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write a page for every entry without a notes file, then drop the template page."""
        if self.shell is None or self.template_file is None:
            raise PluginError("The paper-page template was not rendered, so no paper page could be written.")

        site_dir = Path(config.site_dir)
        template_url = self.template_file.url
        written = []
        for key, slug in self.slugs.items():
            if key in self.notes_pages:
                continue
            url = template_url.replace(TEMPLATE_NAME, slug)
            head, tail = render_paper_body(self.catalog.entries[key], self._paper_context(key, url))
            html = self.shell.replace(TEMPLATE_NAME, slug).replace(TITLE_TOKEN, escape(self.catalog.entries[key].title))
            html = html.replace(HEAD_TOKEN, head, 1).replace(TAIL_TOKEN, tail, 1)
            dest_uri = self.template_file.dest_uri.replace(TEMPLATE_NAME, slug)
            self.page_writer.write(dest_uri.removeprefix(f"{self.papers_dir}/"), html)
            written.append(url)
        self.page_writer.finish()

        template_output = site_dir / self.template_file.dest_uri
        if template_output.name == "index.html":
            shutil.rmtree(template_output.parent, ignore_errors=True)
        else:
            template_output.unlink(missing_ok=True)
        self._update_sitemap(site_dir, config, template_url, written)
        self._add_to_search_index(config, written)
        log.info("Wrote %d paper pages", len(written))

    def on_shutdown(self) -> None:
        """Delete the paper pages that `serve` moved aside, if a failed rebuild left them."""
        self.page_writer.discard_stash()

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder) -> LiveReloadServer:
        """Rebuild the site when the BibTeX file or the arXiv metadata changes."""
        if self.bib_path is not None and self.bib_path.exists():
            server.watch(str(self.bib_path))
        if self.metadata_path is not None:
            # The folder, because `wiki-tools papers refresh` creates the file in a fresh clone.
            watch_folder(server, self.metadata_path.parent)
        return server

    # Helpers -----------------------------------------------------------------------------------------------

    def _load_catalog(self, root: Path) -> Catalog:
        path = self.bib_path
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise PluginError(
                f"Bibliography file not found: {path}. Create it or set 'bib_file' of the "
                "'wiki/bibliography' plugin in mkdocs.yml."
            ) from None

        signature = (stat.st_mtime_ns, stat.st_size)
        if self.catalog is not None and signature == self._bib_signature:
            return self.catalog

        try:
            cache_dir = resolve_work_folder(self.config.cache_dir, self.site_config, "cache_dir", "wiki/bibliography")
            catalog = load_catalog(path, cache_dir)
        except UnicodeDecodeError as error:
            raise PluginError(f"{path} is not valid UTF-8 ({error}). Save the file as UTF-8.") from None

        # Problems lose entries, so they are errors. The build still runs, which keeps `mkdocs serve` usable.
        for problem in catalog.problems:
            log.error(str(problem).replace(f"{root}/", ""))
        for entry in catalog:
            if entry.missing_fields:
                log.warning(
                    "%s:%d: entry '%s' lacks required fields: %s. Add them, because pages show the key in their place.",
                    self.config.bib_file,
                    entry.line,
                    entry.key,
                    ", ".join(entry.missing_fields),
                )
        log.debug("Read %d entries from %s, %d parsed and the rest cached", len(catalog), path, catalog.parsed_count)

        self._bib_signature = signature
        return catalog

    def _load_metadata(self) -> dict[str, ArxivRecord]:
        path = self.metadata_path
        try:
            stat = path.stat()
        except FileNotFoundError:
            log.debug("No arXiv metadata cache at %s, so paper pages show only the .bib fields", path)
            return {}

        signature = (stat.st_mtime_ns, stat.st_size)
        if self._loaded_records is not None and signature == self._metadata_signature:
            return self._loaded_records

        try:
            records = load_metadata(path)
        except MetadataCacheError as error:
            # The message already ends with a full stop and the advice on how to repair the file.
            log.error("%s", error)
            records = {}
        self._metadata_signature = signature
        return records

    def _match_records(self, catalog: Catalog, records: dict[str, ArxivRecord]) -> dict[str, ArxivRecord]:
        """Map entry keys to their cached arXiv records, warning where the titles disagree."""
        matched = {}
        for entry in catalog:
            record = lookup_record(records, entry.arxiv_id) if entry.arxiv_id else None
            if record is None:
                continue
            matched[entry.key] = record
            if titles_differ(entry.title, record.title):
                log.warning(
                    "%s:%d: entry '%s' is titled %r, but arXiv %s is %r. The eprint is probably wrong: "
                    "check it, or fix the title.",
                    self.config.bib_file,
                    entry.line,
                    entry.key,
                    entry.title,
                    record.arxiv_id,
                    record.title,
                )
        return matched

    def _find_notes_files(self, files: Files) -> None:
        self.notes_files: dict[str, str] = {}
        prefix = f"{self.papers_dir}/"
        level = LEVELS[self.config.orphan_notes]
        for file in files.documentation_pages():
            uri = file.src_uri
            if not uri.startswith(prefix) or uri == self.config.hit_list_uri or "/" in uri[len(prefix) :]:
                continue
            if file.generated_by:
                continue
            slug = Path(uri).stem
            key = self.keys_by_slug.get(slug)
            if key is None:
                log.log(
                    level,
                    "Notes file 'docs/%s' has no entry '%s' in %s. Rename the file after an existing key or add the entry.",
                    uri,
                    slug,
                    self.config.bib_file,
                )
                continue
            self.notes_files[uri] = key

    def _notes_key(self, page: Page) -> str | None:
        return self.notes_files.get(page.file.src_uri)

    def _render_citations(self, markdown: str, page: Page, added_text: str = "") -> str:
        """Replace the citations in `markdown`, choosing tokens that occur neither there nor in `added_text`."""
        entries = self.catalog.entries
        cited_keys: list[str] = []
        card_numbers = count(1)
        placed = PlacedCitations(f"{markdown}\n{added_text}")
        for pages in self.cited_on.values():
            # Citations counted when a dirty rebuild read this page before are counted again below.
            pages.pop(page.file.src_uri, None)

        lines = markdown.splitlines()

        def render(group: CitationGroup) -> str | None:
            if group.is_malformed:
                log.log(
                    LEVELS[self.config.unknown_key],
                    "docs/%s:%d: malformed citation %r. Write [@key], [@a; @b] or [@key, p. 5].",
                    page.file.src_uri,
                    group.line,
                    group.text,
                )
                return None
            unknown = [key for key in group.keys if key not in entries]
            if unknown:
                for key in unknown:
                    self._report_unknown_key(page, group.line, key)
                return None
            for key in group.keys:
                if key not in cited_keys:
                    cited_keys.append(key)
                counts = self.cited_on[key].setdefault(page.file.src_uri, [page, 0])
                counts[1] += 1
            hrefs = {key: self._paper_href(key, page.url) for key in group.keys}
            abstracts = {key: self._abstract(key) for key in group.keys}

            # A heading's text becomes the table of contents and the page title, which must not carry a card
            # or a token, so a heading gets plain links right away.
            if _is_heading(lines, group.line):
                return render_citation_group(group, entries, hrefs, abstracts, card_numbers, card=False)
            html = render_citation_group(group, entries, hrefs, abstracts, card_numbers)
            return placed.hold(html, citation_text(group, entries), group.text, list(group.keys))

        if "[" not in markdown or "@" not in markdown:
            return markdown
        markdown = replace_citations(markdown, render)
        if cited_keys:
            self.page_references[page.file.src_uri] = cited_keys
        if placed:
            self.placed[page.file.src_uri] = placed
            self.placed_by_prefix[placed.prefix] = placed
        return markdown

    def _uncount(self, page: Page, keys: list[str]) -> None:
        """Take back citations of `keys` that the page shows as written in code or math, one per entry."""
        uri = page.file.src_uri
        for key in keys:
            counts = self.cited_on.get(key, {}).get(uri)
            if counts is None:
                continue
            counts[1] -= 1
            if counts[1] <= 0:
                del self.cited_on[key][uri]
        references = self.page_references.get(uri)
        if references:
            self.page_references[uri] = [key for key in references if uri in self.cited_on.get(key, {})]

    def _report_unknown_key(self, page: Page, line: int, key: str) -> None:
        closest = difflib.get_close_matches(key, list(self.catalog.entries), n=1, cutoff=0.6)
        hint = f"Did you mean '{closest[0]}'?" if closest else f"Add the entry to {self.config.bib_file}."
        log.log(
            LEVELS[self.config.unknown_key],
            "docs/%s:%d: unknown citation key '%s'. %s",
            page.file.src_uri,
            line,
            key,
            hint,
        )

    def _abstract(self, key: str) -> str:
        record = self.records.get(key)
        return record.abstract if record and record.abstract else self.catalog.entries[key].abstract

    def _paper_href(self, key: str, from_url: str) -> str:
        url = self.template_file.url.replace(TEMPLATE_NAME, self.slugs[key])
        return get_relative_url(url, from_url)

    def _paper_context(self, key: str, page_url: str) -> PaperContext:
        backlinks = [
            Backlink(cited_page.title or src_uri, get_relative_url(cited_page.url, page_url), count)
            for src_uri, (cited_page, count) in self.cited_on.get(key, {}).items()
        ]
        backlinks.sort(key=lambda link: link.title.casefold())
        record = self.records.get(key)

        # The digest plugin, when enabled, lists the newsletter items that mention this paper.
        digest = self.site_config.plugins.get("wiki/digest")
        mentions = digest.mentions_html(key, page_url) if hasattr(digest, "mentions_html") else ""

        return PaperContext(
            mentions_html=mentions,
            abstract=self._abstract(key),
            version_label=record.version_label if record else "",
            categories=[record.primary_category, *record.other_categories] if record else [],
            backlinks=backlinks,
            related=[(entry, self._paper_href(entry.key, page_url)) for entry in self._related(key)],
            hit_list_href=get_relative_url(self._hit_list_url(), page_url),
            topics=self._topics(),
        )

    def _related(self, key: str) -> list:
        index = self._keyword_index()
        entry = self.catalog.entries[key]
        scores: dict[str, int] = {}
        for keyword in entry.keywords:
            # The lists are sorted newest first, so the first few of each contain the best candidates.
            for other in index.get(keyword, [])[: self.config.related_max + 1]:
                if other.key != key:
                    scores[other.key] = scores.get(other.key, 0) + 1
        # Most shared keywords first, and newest first among equals.
        ranked = sorted(scores, key=lambda other: (scores[other], self.catalog.entries[other].year), reverse=True)
        return [self.catalog.entries[other] for other in ranked[: self.config.related_max]]

    def _keyword_index(self) -> dict[str, list]:
        if getattr(self, "_index_for", None) is not self.catalog:
            index: dict[str, list] = defaultdict(list)
            for entry in self.catalog:
                for keyword in entry.keywords:
                    index[keyword].append(entry)
            for entries in index.values():
                entries.sort(key=lambda entry: (entry.year, entry.key), reverse=True)
            self._index, self._index_for = index, self.catalog
        return self._index

    def _topics(self) -> set[str]:
        """Return the topics that head a group on the hit list: the first keyword of each entry."""
        if getattr(self, "_topics_for", None) is not self.catalog:
            self._topic_set = {entry.keywords[0] for entry in self.catalog if entry.keywords}
            self._topics_for = self.catalog
        return self._topic_set

    def _hit_list_url(self) -> str:
        uri = self.config.hit_list_uri
        return uri[: -len("index.md")] if uri.endswith("index.md") else uri.removesuffix(".md") + "/"

    def _add_to_search_index(self, config: MkDocsConfig, urls: list[str]) -> None:
        # NOTE: this relies on Material's search plugin keeping its entries in `search_index.entries`
        # (true of Material 9.5 to 9.8). With another search plugin, paper pages are simply not indexed.
        search = config.plugins.get("search") or config.plugins.get("material/search")
        entries = getattr(getattr(search, "search_index", None), "entries", None)
        if not isinstance(entries, list):
            log.debug("No Material search index found, so paper pages are not searchable")
            return
        keys_by_url = {self.template_file.url.replace(TEMPLATE_NAME, slug): key for key, slug in self.slugs.items()}
        for url in urls:
            entry = self.catalog.entries[keys_by_url[url]]
            text = " ".join(part for part in (entry.author_text, entry.venue, entry.year, self._abstract(entry.key)) if part)
            # Material's search shows both fields as HTML, so a title such as `n < 5` must be escaped.
            entries.append({"location": url, "title": escape(entry.title), "text": escape(text)})

    @staticmethod
    def _attach_toc(page: Page, links: list[AnchorLink]) -> None:
        if page.toc.items and page.toc.items[0].level == 1:
            page.toc.items[0].children.extend(links)
        else:
            page.toc.items.extend(links)

    def _update_sitemap(self, site_dir: Path, config: MkDocsConfig, template_url: str, urls: list[str]) -> None:
        sitemap = site_dir / "sitemap.xml"
        if not sitemap.is_file():
            return
        text = sitemap.read_text(encoding="utf-8")
        base = (config.site_url or "").rstrip("/") + "/"
        pattern = re.compile(r"\s*<url>\s*<loc>[^<]*" + re.escape(template_url) + r"</loc>.*?</url>", re.DOTALL)
        additions = "".join(f"\n    <url>\n         <loc>{escape(base + url)}</loc>\n    </url>" for url in urls)
        text = pattern.sub(lambda match: additions, text, count=1)
        atomic_write_text(sitemap, text)
        gzipped = site_dir / "sitemap.xml.gz"
        if gzipped.exists():
            gzipped.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


# The indentation, blockquote markers and list markers that may precede a heading's text on its line.
_BLOCK_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[-*+]|\d+[.)])(?=[ \t]|$))*[ \t]*")
_SETEXT_UNDERLINE = re.compile(r"^(?:=+|-+)[ \t]*$")


def _is_heading(lines: list[str], number: int) -> bool:
    """Return whether line `number` (1-based) of `lines` is a heading: `# Text`, or text underlined with = or -.

    Headings inside blockquotes and list items count too, because the table of contents lists them.
    """
    if not 0 < number <= len(lines):
        return False
    text = _BLOCK_PREFIX.sub("", lines[number - 1])
    if text.startswith("#"):
        return True
    underline = _BLOCK_PREFIX.sub("", lines[number]) if number < len(lines) else ""
    return bool(text.strip()) and _SETEXT_UNDERLINE.match(underline) is not None


# A hover card as `render_citation_group` writes it: a span of spans that hold escaped text only.
_CARD = re.compile(r'<span class="wiki-cite__card"[^>]*>(?:<span[^>]*>[^<]*</span>)*</span>')


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)
