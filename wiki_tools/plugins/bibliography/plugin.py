"""The `wiki/bibliography` plugin: read `papers.bib` and generate the paper hit list at build time."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File
from mkdocs.structure.toc import AnchorLink

from ...papers.library import Bibliography, load_bibliography
from .config import BibliographyConfig
from .pages import group_by_topic, render_hit_list, topic_anchor

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

log = get_plugin_logger("wiki/bibliography")


class BibliographyPlugin(BasePlugin[BibliographyConfig]):
    """Generate the hit-list page from a BibTeX file, grouped by topic keyword."""

    def __init__(self) -> None:
        self.bib_path: Path | None = None
        self.bibliography: Bibliography | None = None
        # (mtime, size) of the file behind `self.bibliography`, so `mkdocs serve` re-parses only after an edit.
        self._bib_signature: tuple[int, int] | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Keep this instance across `mkdocs serve` rebuilds, so the parsed bibliography survives them."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Resolve the BibTeX path against the folder of `mkdocs.yml` and load it when it changed."""
        root = Path(config.config_file_path).parent
        self.bib_path = (root / self.config.bib_file).resolve()
        self.bibliography = self._load(root)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Add the hit-list page unless `docs/` has an introduction file at its place."""
        if files.get_file_from_path(self.config.hit_list_uri) is None:
            content = f"# {self.config.hit_list_title}\n"
            files.append(File.generated(config, self.config.hit_list_uri, content=content))
        return files

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Append the rendered hit list to its page, with a table-of-contents entry per topic."""
        if page.file.src_uri != self.config.hit_list_uri or self.bibliography is None:
            return html

        groups = group_by_topic(self.bibliography, self.config.untagged_topic)
        self._attach_topics_to_toc(page, groups)
        return html + "\n" + render_hit_list(groups)

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder) -> LiveReloadServer:
        """Rebuild the site when the BibTeX file changes."""
        if self.bib_path is not None:
            server.watch(str(self.bib_path))
        return server

    def _load(self, root: Path) -> Bibliography:
        path = self.bib_path
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise PluginError(
                f"Bibliography file not found: {path}. Create it or set 'bib_file' of the "
                "'wiki/bibliography' plugin in mkdocs.yml."
            ) from None

        signature = (stat.st_mtime_ns, stat.st_size)
        if self.bibliography is not None and signature == self._bib_signature:
            return self.bibliography

        try:
            bibliography = load_bibliography(path)
        except UnicodeDecodeError as error:
            raise PluginError(f"{path} is not valid UTF-8 ({error}). Save the file as UTF-8.") from None

        # Problems lose entries, so they are errors. The build still runs, which keeps `mkdocs serve` usable.
        for problem in bibliography.problems:
            log.error(str(problem).replace(str(root) + "/", ""))
        log.debug("Read %d entries from %s", len(bibliography), path)

        self._bib_signature = signature
        return bibliography

    @staticmethod
    def _attach_topics_to_toc(page: Page, groups: dict) -> None:
        links = [AnchorLink(topic.capitalize(), topic_anchor(topic), 2) for topic in groups]
        if page.toc.items and page.toc.items[0].level == 1:
            page.toc.items[0].children.extend(links)
        else:
            page.toc.items.extend(links)
