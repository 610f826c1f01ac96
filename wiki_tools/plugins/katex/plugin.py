"""The `wiki/katex` plugin: copy KaTeX from its npm package into the site and load it on every page.

The files come from the version pinned in `package-lock.json`, installed by `npm ci`, so the
repository holds no copy of third-party code and the site requests nothing from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File

from .config import KatexConfig

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

log = get_plugin_logger("wiki/katex")

INIT_SCRIPT = Path(__file__).parent / "assets" / "katex-init.js"

# The files a page loads, relative to KaTeX's `dist` folder, plus the fonts that the style sheet names.
_STYLE_SHEET = "katex.min.css"
_SCRIPTS = ("katex.min.js", "contrib/auto-render.min.js")


class KatexPlugin(BasePlugin[KatexConfig]):
    """Serve KaTeX from the site itself and typeset math on every page."""

    def __init__(self) -> None:
        self.dist_dir: Path | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Find KaTeX's files and register its style sheet and scripts on every page."""
        root = Path(config.config_file_path).parent
        self.dist_dir = (root / self.config.dist_dir).resolve()
        if not (self.dist_dir / "katex.min.js").is_file():
            raise PluginError(
                f"KaTeX not found in {self.dist_dir}. Run 'npm ci' in {root} to install the "
                "version pinned in package-lock.json, or set 'dist_dir' of the 'wiki/katex' plugin."
            )

        prefix = self.config.site_dir.strip("/")
        config.extra_css.insert(0, f"{prefix}/{_STYLE_SHEET}")
        for script in (*_SCRIPTS, INIT_SCRIPT.name):
            config.extra_javascript.append(f"{prefix}/{script}")
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Add KaTeX's style sheet, scripts and fonts and the start-up script to the site's files."""
        prefix = self.config.site_dir.strip("/")
        sources = [self.dist_dir / name for name in (_STYLE_SHEET, *_SCRIPTS)]
        sources += sorted((self.dist_dir / "fonts").glob("*.woff2"))
        for source in sources:
            uri = f"{prefix}/{source.relative_to(self.dist_dir).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(source)))
        files.append(File.generated(config, f"{prefix}/{INIT_SCRIPT.name}", abs_src_path=str(INIT_SCRIPT)))
        return files
