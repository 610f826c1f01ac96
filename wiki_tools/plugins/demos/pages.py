"""Turn a demo's source and its stored execution into the HTML of its page.

The notebook is rendered with mkdocs-jupyter's converter (`mkdocs_jupyter.convert.nb2html`), so demo
pages look exactly like pages of the mkdocs-jupyter plugin, whose own plugin stays disabled. Three
things are added around it:

- The Markdown cells travel through MkDocs' `on_page_markdown` event as one document with a marker
  comment before each cell, so other plugins (citations) change them as they change Markdown pages.
- Rendered HTML is cached under the work folder, keyed by the notebook after those changes, so a
  warm build imports neither nbconvert nor jupytext.
- The converter's `<style>` blocks (about 600 kB, the same on every demo) move into one shared style
  sheet, and its MathJax and Mermaid loaders, which would fetch scripts from a CDN, are removed.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ...demos.cache import ExecutionRecord
from ...demos.source import DemoSource
from ...storage import atomic_write_text

__all__ = [
    "STYLE_SHEET_URI",
    "RenderedDemo",
    "display_notebook",
    "join_markdown_cells",
    "render_notebook",
    "render_status",
    "rewrite_links",
    "search_view",
    "split_markdown_cells",
]

STYLE_SHEET_URI = "assets/demos/notebook.css"
"""Path of the shared notebook style sheet in the built site."""

# Raise when the post-processing below changes, so that cached HTML is rendered again.
_RENDER_VERSION = 1

_CELL_MARKER = "<!-- wiki-demos cell {index} -->"
_END_MARKER = "<!-- wiki-demos end -->"
_MARKER_LINE = re.compile(r"^<!-- wiki-demos (?:cell (\d+)|end) -->\n?", re.MULTILINE)

_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
# nbconvert's lab template loads MathJax from a CDN (a `<script src="">` when no URL is set) and imports
# Mermaid from a CDN as an ES module. KaTeX typesets the math here, and the demos draw no Mermaid diagrams.
_MATHJAX_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
_MODULE_SCRIPT = re.compile(r"<script type=\"module\">.*?</script>", re.DOTALL)
# Span tags, nearly all of them one per highlighted code token in nbconvert's output.
_SPAN_TAG = re.compile(r"</?span\b[^>]*>")
# A relative link to a page source: no scheme, not absolute, not only a fragment.
_SOURCE_LINK = re.compile(r'(<a\s[^>]*?href=)"(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)([^"]*?\.(?:md|py|ipynb)(?:#[^"]*)?)"')


@dataclass
class RenderedDemo:
    """A demo notebook converted to HTML, with what the page needs besides the HTML."""

    html: str
    styles: list[str]
    """The `<style>` contents taken out of the HTML, for the shared style sheet."""
    toc_tokens: list[dict[str, Any]]
    title: str | None


def display_notebook(source: DemoSource, executed: dict[str, Any] | None, *, fresh: bool) -> dict[str, Any]:
    """Return the notebook to show, as nbformat JSON.

    A fresh demo shows the current Markdown cells with the stored outputs of its code cells, which are
    the same code cells, so prose edits appear without an execution. A stale demo shows the stored
    execution as it was, because its old code and its outputs belong together. A demo that never ran
    shows its source without outputs.
    """
    if executed is not None and not fresh:
        return copy.deepcopy(executed)

    notebook = {"cells": [], "metadata": dict(source.metadata), "nbformat": 4, "nbformat_minor": 4}
    stored_code = [cell for cell in (executed or {}).get("cells", []) if cell["cell_type"] == "code"]
    code_index = 0
    for cell in source.cells:
        entry: dict[str, Any] = {"cell_type": cell.cell_type, "metadata": dict(cell.metadata), "source": cell.source}
        if cell.cell_type == "code":
            stored = stored_code[code_index] if code_index < len(stored_code) else {}
            entry["outputs"] = stored.get("outputs", [])
            entry["execution_count"] = stored.get("execution_count")
            code_index += 1
        notebook["cells"].append(entry)
    return notebook


def join_markdown_cells(notebook: dict[str, Any]) -> str:
    """Join the notebook's Markdown cells into one Markdown document, each after a marker comment."""
    parts = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            parts.append(f"{_CELL_MARKER.format(index=index)}\n{_cell_text(cell)}\n")
    parts.append(_END_MARKER + "\n")
    return "\n".join(parts)


def split_markdown_cells(markdown: str, notebook: dict[str, Any]) -> dict[str, Any]:
    """Put the Markdown cells of `markdown` (from `join_markdown_cells`, possibly changed) back into a copy of `notebook`.

    Text that a plugin put before the first marker or after the end marker, such as a References
    section, becomes a Markdown cell of its own at the start or the end.
    """
    result = copy.deepcopy(notebook)
    pieces = _MARKER_LINE.split(markdown)
    # `split` with one group yields: text before the first marker, then (cell index or None, text) pairs.
    leading, rest = pieces[0], pieces[1:]
    trailing = ""
    for index_text, text in zip(rest[::2], rest[1::2], strict=True):
        if index_text is None:
            trailing = text
            continue
        index = int(index_text)
        if 0 <= index < len(result["cells"]) and result["cells"][index]["cell_type"] == "markdown":
            result["cells"][index]["source"] = text.rstrip("\n")

    if leading.strip():
        result["cells"].insert(0, _markdown_cell(leading))
    if trailing.strip():
        result["cells"].append(_markdown_cell(trailing))
    return result


def render_notebook(notebook: dict[str, Any], cache_dir: Path, used: set[Path] | None = None) -> RenderedDemo:
    """Convert `notebook` to HTML with mkdocs-jupyter, through a cache keyed by the notebook and the converter versions.

    The cache file's path is added to `used`, so that the caller can delete the files no page used.
    """
    key = _render_key(notebook)
    cache_file = cache_dir / f"{key}.json"
    if used is not None:
        used.add(cache_file)
    try:
        return RenderedDemo(**json.loads(cache_file.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        pass

    rendered = _convert(notebook, cache_dir)
    atomic_write_text(cache_file, json.dumps(rendered.__dict__))
    return rendered


def render_status(name: str, record: ExecutionRecord | None, notice: str | None, is_fresh: bool) -> str:
    """Return the HTML boxes shown above a demo: its execution status and, when outputs are not current, a notice.

    A demo without a successful execution has no outputs to call out of date, so the notice, such as
    the cell that failed, goes into its status box instead.
    """
    if record is None:
        summary = "This demo has not been executed yet, so it shows no outputs."
        if notice:
            summary += " " + html.escape(notice)
            notice = None
        attributes = f'data-demo="{html.escape(name)}" data-passed="false"'
    else:
        passed = "passed" if record.passed else _describe_errors(record)
        summary = (
            f"Last executed {_format_time(record.executed_at)}, in {record.duration_seconds:.1f} s, {passed}. "
            f"Cache key <code>{record.cache_key[:12]}</code>."
        )
        attributes = (
            f'data-demo="{html.escape(name)}" data-cache-key="{record.cache_key}" '
            f'data-passed="{str(record.passed).lower()}" data-fresh="{str(is_fresh).lower()}"'
        )
    boxes = [
        (
            f'<div class="admonition info demo-status" {attributes}>\n'
            f'<p class="admonition-title">Executed demo</p>\n<p>{summary}</p>\n</div>'
        )
    ]
    if notice:
        boxes.append(
            '<div class="admonition warning demo-notice">\n<p class="admonition-title">Outputs are not current</p>\n'
            f"<p>{html.escape(notice)}</p>\n</div>"
        )
    return "\n".join(boxes)


def rewrite_links(content: str, resolve: Callable[[str], str | None]) -> tuple[str, list[str]]:
    """Replace relative links to `.md`, `.py` and `.ipynb` sources with `resolve(path)`, the page URL.

    nbconvert keeps the links of Markdown cells as written, such as `../tuning/lora.md`, while MkDocs
    turns those of Markdown pages into page URLs. Returns the new HTML and the links `resolve` did not find.
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        target = html.unescape(match.group(2))
        path, _, fragment = target.partition("#")
        url = resolve(path)
        if url is None:
            missing.append(target)
            return match.group(0)
        return f'{match.group(1)}"{html.escape(url + ("#" + fragment if fragment else ""))}"'

    return _SOURCE_LINK.sub(replace, content), missing


def search_view(content: str) -> str:
    """Return a demo page's HTML without its `<span>` tags, for the search index only.

    Material's search plugin parses each page's HTML with Python's `html.parser` and keeps no `<span>`
    in its index. The Pygments highlighting of the code cells puts a `<span>` around every token, so the
    spans make up most of a demo page's tags and most of the time the search plugin spends on it.
    Without them the index gets the same text, apart from a few spaces where tags separated words.
    """
    return _SPAN_TAG.sub("", content)


def insert_after_title(content: str, block: str) -> str:
    """Insert `block` after the page's first `<h1>`, or at the top when the page has none."""
    end = content.find("</h1>")
    if end == -1:
        return block + "\n" + content
    end += len("</h1>")
    return content[:end] + "\n" + block + "\n" + content[end:]


def _convert(notebook: dict[str, Any], cache_dir: Path) -> RenderedDemo:
    # Imported here: nbconvert takes about half a second to import and a warm build renders nothing.
    from mkdocs_jupyter.convert import nb2html

    # nb2html reads a file, so the notebook goes through a temporary one next to the cache.
    path = cache_dir / f".render-{_render_key(notebook)[:16]}.ipynb"
    atomic_write_text(path, json.dumps(notebook))
    try:
        body = nb2html(str(path), custom_mathjax_url="", include_requirejs=False)
    finally:
        path.unlink(missing_ok=True)

    styles = [style.strip() for style in _STYLE_BLOCK.findall(body)]
    body = _STYLE_BLOCK.sub("", body)
    body = _MATHJAX_BLOCK.sub("", body)
    body = _MODULE_SCRIPT.sub("", body)
    toc_tokens, title = _toc_tokens(notebook)
    return RenderedDemo(body.strip() + "\n", list(dict.fromkeys(styles)), toc_tokens, title)


def _toc_tokens(notebook: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """Collect the headings of the Markdown cells, with the same ids that mkdocs-jupyter's converter gives them."""
    import markdown
    from markdown.extensions.toc import TocExtension
    from mkdocs_jupyter.utils import slugify

    # Fenced code in Markdown cells may hold lines that start with `#`, and those are not headings.
    text = "\n\n".join(_cell_text(cell) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.DOTALL | re.MULTILINE)

    converter = markdown.Markdown(extensions=[TocExtension(slugify=lambda value, separator: slugify(value))])
    converter.convert(text)
    tokens = converter.toc_tokens
    title = next((token["name"] for token in tokens if token["level"] == 1), None)
    return tokens, title


def _render_key(notebook: dict[str, Any]) -> str:
    data = json.dumps(
        {"notebook": notebook, "versions": _converter_versions(), "render": _RENDER_VERSION}, sort_keys=True
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@cache
def _converter_versions() -> dict[str, str]:
    # Each metadata lookup scans the installed distributions, 2 ms or more, and `mkdocs serve` renders
    # every demo page on every rebuild, so the versions are read once per process.
    # NOTE: a converter upgraded while `mkdocs serve` runs is noticed only when the server restarts.
    return {name: version(name) for name in ("mkdocs-jupyter", "nbconvert")}


def _cell_text(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _markdown_cell(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def _describe_errors(record: ExecutionRecord) -> str:
    cells = ", ".join(f"cell {error['cell']} ({error['ename']})" for error in record.errors)
    return f"with errors allowed in {cells}"


def _format_time(iso_time: str) -> str:
    try:
        return datetime.fromisoformat(iso_time).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso_time
