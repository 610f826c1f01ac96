"""The `wiki/demos` plugin: render executed notebooks from the execution cache, executing only stale ones.

Demo sources live in `docs/<demos_dir>/` as jupytext percent scripts or notebooks. Each becomes a page
at the source's own path, so a guide page links `../demos/lora.py` and MkDocs resolves the link to
the demo page. The mkdocs-jupyter plugin is not used; its converter renders the stored outputs.
"""

from __future__ import annotations

import logging
import posixpath
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

from ...demos.cache import CorruptNotebookError, DemoCache
from ...demos.runner import DemoError, DemoOptions, RefreshOutcome, refresh_demo, run_command
from ...demos.source import DemoSource, discover_demos
from ...storage import atomic_write_text
from ..options import resolve_work_folder
from ..search_view import restore_after_search, trim_for_search
from ..serving import watch_folder
from .config import DemosConfig
from .pages import (
    STYLE_SHEET_URI,
    display_notebook,
    insert_after_title,
    join_markdown_cells,
    render_notebook,
    render_status,
    rewrite_links,
    search_view,
    split_markdown_cells,
)

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page
    from mkdocs.utils.templates import TemplateContext

log = get_plugin_logger("wiki/demos")


class DemoFile(File):
    """A demo source (`.py` or `.ipynb`) that MkDocs treats as a page, built to `<name>/index.html`."""

    def is_documentation_page(self) -> bool:
        return True


@dataclass
class DemoPage:
    """One demo during a build: its source, its refreshed status and the notebook its page shows."""

    source: DemoSource
    outcome: RefreshOutcome
    notebook: dict[str, Any]
    rendered: bool = False


class DemosPlugin(BasePlugin[DemosConfig]):
    """Execute stale demos and render every demo from the execution cache."""

    def __init__(self) -> None:
        self.root = Path(".")
        self.demos: dict[str, DemoPage] = {}
        self.styles: list[str] = []
        # Parse and render cache files that this build read or wrote. The others are deleted after the build.
        self.used_cache_files: set[Path] = set()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Resolve the plugin's folders against the folder of `mkdocs.yml`."""
        self.root = Path(config.config_file_path).parent.resolve()
        work_dir = resolve_work_folder(self.config.work_dir, config, "work_dir", "wiki/demos")
        if work_dir is None:
            raise PluginError(
                "Option 'work_dir' of the 'wiki/demos' plugin is empty. Name a folder, such as '.cache/demos'."
            )
        self.work_dir = work_dir
        self.cache = DemoCache(self.root / self.config.cache_dir, self.root, self.work_dir / "validated.json")
        self.demos_folder = Path(config.docs_dir) / self.config.demos_dir
        self._check_folders()
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Turn each demo source into a page, executing the stale ones first."""
        try:
            sources = discover_demos(self.demos_folder)
        except ValueError as error:
            raise PluginError(str(error)) from None
        if not sources:
            # Links to demo sources would stay links to raw `.py` files, so a wrong `demos_dir` must not pass --strict.
            found = "contains no demo (.py or .ipynb file)" if self.demos_folder.is_dir() else "does not exist"
            log.warning(
                "Demos folder %s %s, so no demo page is built. Set 'demos_dir' of the 'wiki/demos' plugin to the "
                "folder inside docs_dir that contains the demos, or remove the plugin.",
                _shown(self.demos_folder, self.root),
                found,
            )
        self._check_demo_names(sources)

        self.demos = {}
        self.styles = []
        self.used_cache_files = set()
        for source in sources:
            source.load(self.work_dir / "sources")
            self.used_cache_files.add(self.work_dir / "sources" / f"{source.digest}.json")
            self.demos[source.name] = self._refresh(source)

            uri = source.path.relative_to(config.docs_dir).as_posix()
            original = files.get_file_from_path(uri)
            page_file = DemoFile(uri, config.docs_dir, config.site_dir, config.use_directory_urls)
            if original is not None:
                # Keeps the author's `exclude_docs` and `not_in_nav` settings for the source.
                page_file.inclusion = original.inclusion
                files.remove(original)
            files.append(page_file)
        return files

    def on_page_read_source(self, *, page: Page, config: MkDocsConfig) -> str | None:
        """Give a demo page its Markdown cells as the page's Markdown, so `on_page_markdown` handlers see them."""
        demo = self._demo_for(page)
        if demo is None:
            return None
        # NOTE: a line number that another plugin logs for this page counts lines of the joined Markdown
        # cells, not of the `.py` source.
        return join_markdown_cells(demo.notebook)

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        """Render a demo page from its notebook instead of from Markdown."""
        demo = self._demo_for(page)
        if demo is not None:
            page.render = types.MethodType(_make_render(self, demo), page)
        return page

    @event_priority(1)
    def _offer_search_view(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        # Priority 1 runs just before Material's search plugin, which indexes `page.content` at priority 0.
        if self._demo_for(page) is not None and "material/search" in config.plugins:
            trim_for_search(page, search_view)
        return context

    @event_priority(-1)
    def _restore_content(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        restore_after_search(page)
        return context

    on_page_context = CombinedEvent(_offer_search_view, _restore_content)
    """Let the search plugin index a demo page without the highlighting spans, then restore the page."""

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the style sheet that every demo page links, and delete cache files of old versions of the demos."""
        if self.styles:
            atomic_write_text(Path(config.site_dir) / STYLE_SHEET_URI, "\n".join(self.styles) + "\n")

        # A page skipped by `mkdocs build --dirty` used no cache file, so its files would be deleted by mistake.
        rendered = {page.source.name for page in self.demos.values() if page.rendered}
        if rendered != set(self.demos):
            return
        for folder in ("sources", "html"):
            for path in (self.work_dir / folder).glob("*.json"):
                if path not in self.used_cache_files:
                    path.unlink(missing_ok=True)

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Any) -> LiveReloadServer:
        """Rebuild the site when `wiki-tools demos run` stores new outputs in the execution cache."""
        if self.demos:
            # A build that executes a stale demo writes here too, which costs one more rebuild that finds it fresh.
            watch_folder(server, self.cache.folder)
        return server

    def options_for(self, name: str) -> DemoOptions:
        """Return the execution options of demo `name`: its own settings over the plugin-wide ones."""
        own = self.config.demos.get(name)

        def pick(option: str) -> Any:
            value = own[option] if own is not None else None
            return self.config[option] if value is None else value

        return DemoOptions(
            kernel_name=self.config.kernel_name,
            cell_timeout_seconds=pick("cell_timeout"),
            allow_errors=pick("allow_errors"),
            allow_stale=pick("allow_stale"),
        )

    def _refresh(self, source: DemoSource) -> DemoPage:
        options = self.options_for(source.name)
        try:
            outcome = refresh_demo(
                source,
                self.cache,
                options,
                lock_dir=self.work_dir / "locks",
                retry_failed=False,
                on_cell=_log_cell_progress(source.name),
            )
        except DemoError as error:
            raise PluginError(str(error)) from None

        corrupt = outcome.status.corrupt
        if outcome.executed:
            log.info("Executed demo '%s' in %.1f s", source.name, outcome.duration_seconds)
            if corrupt is not None:
                log.info("Replaced the corrupt cached notebook %s (%s)", corrupt.shown_path, corrupt.reason)
        elif corrupt is not None:
            log.warning("Demo '%s': %s; run '%s --force'", source.name, corrupt, run_command(source.name))
        if outcome.notice and outcome.status.record is None:
            # With allow_stale the author accepted a page without outputs, so this is only reported.
            level = logging.INFO if options.allow_stale else logging.WARNING
            log.log(
                level,
                "Demo '%s' has never been executed successfully, so its page shows no outputs: %s",
                source.name,
                outcome.notice,
            )
        elif outcome.notice:
            # INFO and not WARNING: the author allowed stale outputs, and the page shows the notice.
            log.info("Demo '%s' shows stale outputs: %s", source.name, outcome.notice)

        try:
            executed = self.cache.load_executed(source.name)
        except CorruptNotebookError:
            # Reported above. The page shows the source without outputs.
            executed = None
        notebook = display_notebook(source, executed, fresh=outcome.status.is_fresh)
        return DemoPage(source, outcome, notebook)

    def _check_folders(self) -> None:
        """Create the cache and work folders, so that a folder that cannot exist fails before any demo runs."""
        if not self.demos_folder.is_dir():
            # Without demos nothing is written, and `on_files` warns about the missing folder.
            return
        for option, folder in (("cache_dir", self.cache.folder), ("work_dir", self.work_dir)):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise PluginError(
                    f"Option '{option}' of the 'wiki/demos' plugin: cannot create the folder "
                    f"{self.config[option]!r} ({error.strerror or error}). Set it to a writable folder."
                ) from None

    def _check_demo_names(self, sources: list[DemoSource]) -> None:
        known = {source.name for source in sources}
        for name in self.config.demos:
            if name not in known:
                raise PluginError(
                    f"Demo {name!r} under 'demos' of the 'wiki/demos' plugin has no source in {self.demos_folder}. "
                    f"Known demos: {', '.join(sorted(known)) or 'none'}."
                )

    def _demo_for(self, page: Page) -> DemoPage | None:
        if not isinstance(page.file, DemoFile):
            return None
        return self.demos.get(Path(page.file.src_uri).stem)


def _make_render(plugin: DemosPlugin, demo: DemoPage) -> Any:
    """Return a `Page.render` replacement that renders the demo's notebook with the page's Markdown cells."""

    def render(page: Page, config: MkDocsConfig, files: Files) -> None:
        notebook = split_markdown_cells(page.markdown or "", demo.notebook)
        rendered = render_notebook(notebook, plugin.work_dir / "html", plugin.used_cache_files)
        demo.rendered = True
        for style in rendered.styles:
            if style not in plugin.styles:
                plugin.styles.append(style)

        status = demo.outcome.status
        boxes = render_status(demo.source.name, status.record, demo.outcome.notice, status.is_fresh)
        style_link = f'<link rel="stylesheet" href="{get_relative_url(STYLE_SHEET_URI, page.url)}">'
        content, missing = rewrite_links(rendered.html, lambda path: _page_url(page, files, path))
        for target in missing:
            log.warning(
                "Doc file '%s' contains a link '%s', but the target is not found among documentation files.",
                page.file.src_uri,
                target,
            )
        page.content = style_link + "\n" + insert_after_title(content, boxes)
        page.toc = get_toc(rendered.toc_tokens)
        if rendered.title and "title" not in page.meta:
            page.meta["title"] = rendered.title

    return render


def _page_url(page: Page, files: Files, path: str) -> str | None:
    """Return the URL of the page at `path`, relative to the demo's source, as seen from `page`; None if not found."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), path))
    file = files.get_file_from_path(target)
    if file is None:
        return None
    return file.url_relative_to(page.file)


def _shown(path: Path, root: Path) -> str:
    """Return `path` relative to `root` when it lies inside, for messages."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _log_cell_progress(name: str) -> Any:
    def report(index: int, count: int) -> None:
        log.debug("Demo '%s': executing cell %d of %d", name, index + 1, count)

    return report
