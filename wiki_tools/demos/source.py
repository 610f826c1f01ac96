"""Demo sources: jupytext percent scripts (or plain notebooks) under the demos folder of `docs/`.

Importing jupytext takes about half a second, as much as the whole warm-build budget of the demos.
So the parsed cells are kept in a small cache keyed by the SHA-256 of the file's bytes, and an
unchanged source is read with `json` alone.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..storage import atomic_write_text

__all__ = ["SOURCE_SUFFIXES", "Cell", "DemoSource", "discover_demos", "imported_modules", "number_cell_ids"]

SOURCE_SUFFIXES = (".py", ".ipynb")
"""File types that are demos: jupytext percent scripts and notebooks."""

# A jupytext percent cell marker, such as `# %%` or `# %% [markdown] tags=["results"]`.
_CELL_MARKER = re.compile(r"^# %%(?:\s|$)")
# Version of the parse-cache layout. Raise it when `Cell` or the cached fields of `DemoSource` change.
_PARSE_CACHE_VERSION = 2


@dataclass(frozen=True)
class Cell:
    """One notebook cell as written in the source, without outputs."""

    cell_type: str
    """`code`, `markdown` or `raw`."""
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    """1-based line of the cell's first line in a `.py` source, when it can be located."""


@dataclass
class DemoSource:
    """A demo's source file and, once `load` has run, its cells and notebook metadata."""

    name: str
    """The file name without suffix, such as `lora`. CLI commands and per-demo options use it."""
    path: Path
    cells: list[Cell] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    """SHA-256 of the source file's bytes."""
    imports: list[str] = field(default_factory=list)
    """Modules that the code cells import, as `imported_modules` finds them, sorted."""

    @property
    def code_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.cell_type == "code"]

    def load(self, parse_cache_dir: Path | None = None) -> DemoSource:
        """Read and parse the source file, through the parse cache when one is given."""
        data = self.path.read_bytes()
        self.digest = hashlib.sha256(data).hexdigest()

        cached = _read_parse_cache(parse_cache_dir, self.digest)
        if cached is None:
            cached = _parse(self.path, data)
            if parse_cache_dir is not None:
                atomic_write_text(parse_cache_dir / f"{self.digest}.json", json.dumps(cached))

        self.metadata = cached["metadata"]
        self.cells = [Cell(**cell) for cell in cached["cells"]]
        self.imports = cached["imports"]
        return self

    def to_notebook(self) -> Any:
        """Return the source as an `nbformat` notebook without outputs, ready to execute."""
        import nbformat

        notebook = nbformat.v4.new_notebook(metadata=dict(self.metadata))
        factories = {
            "code": nbformat.v4.new_code_cell,
            "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell,
        }
        for cell in self.cells:
            notebook.cells.append(factories[cell.cell_type](source=cell.source, metadata=dict(cell.metadata)))
        number_cell_ids(notebook)
        return notebook

    def describe_cell(self, index: int) -> str:
        """Name cell `index` (0-based) for a message: its 1-based number and, when known, its line."""
        cell = self.cells[index]
        where = f"cell {index + 1}"
        if cell.line is not None:
            where += f" (line {cell.line} of {self.path.name})"
        return where


def discover_demos(folder: Path) -> list[DemoSource]:
    """Return the demos in `folder`, sorted by name. A name with both a `.py` and an `.ipynb` file is an error."""
    if not folder.is_dir():
        return []

    demos: dict[str, DemoSource] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in SOURCE_SUFFIXES or path.name.startswith((".", "_")):
            continue
        if path.stem in demos:
            raise ValueError(
                f"Two sources for demo '{path.stem}': {demos[path.stem].path.name} and {path.name}. Keep only one."
            )
        demos[path.stem] = DemoSource(path.stem, path)
    return list(demos.values())


def number_cell_ids(notebook: Any) -> None:
    """Give each cell of `notebook` (nbformat or plain JSON) the id `cell-N`, N being its 1-based position.

    nbformat gives new cells random ids, so every execution of an unchanged demo would rewrite every
    cell of the committed notebook. Ids made from the position are the same on every run.
    """
    for index, cell in enumerate(notebook["cells"], start=1):
        cell["id"] = f"cell-{index}"


def imported_modules(code: str) -> set[str]:
    """Return the top-level modules that `code` imports, without the standard library.

    IPython magics and shell escapes (lines starting with `%` or `!`) are skipped, so that a cell that uses
    them still parses. A cell that is not valid Python contributes nothing.
    """
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()

    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return {module for module in modules if module not in sys.stdlib_module_names and module != "__future__"}


def _read_parse_cache(parse_cache_dir: Path | None, digest: str) -> dict[str, Any] | None:
    if parse_cache_dir is None:
        return None
    try:
        cached = json.loads((parse_cache_dir / f"{digest}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if cached.get("version") != _PARSE_CACHE_VERSION:
        return None
    return cached


def _parse(path: Path, data: bytes) -> dict[str, Any]:
    # Imported here because jupytext is slow to import and only needed for a changed source.
    import jupytext

    text = data.decode("utf-8")
    if path.suffix == ".ipynb":
        notebook = jupytext.reads(text, fmt="ipynb")
        lines: list[int | None] = [None] * len(notebook.cells)
    else:
        notebook = jupytext.reads(text, fmt="py:percent")
        lines = _cell_lines(text, len(notebook.cells))

    cells = [
        {
            "cell_type": cell.cell_type,
            "source": cell.source,
            "metadata": dict(cell.metadata),
            "line": line,
        }
        for cell, line in zip(notebook.cells, lines, strict=True)
    ]
    metadata = dict(notebook.metadata)
    metadata.pop("jupytext", None)

    # Parsing every code cell with `ast` takes about 30 ms for the wiki's demos, so it is cached too.
    imports: set[str] = set()
    for cell in cells:
        if cell["cell_type"] == "code":
            imports |= imported_modules(cell["source"])
    return {"version": _PARSE_CACHE_VERSION, "metadata": metadata, "cells": cells, "imports": sorted(imports)}


def _cell_lines(text: str, cell_count: int) -> list[int | None]:
    """Locate each cell of a percent script by its `# %%` marker line.

    The first cell may have no marker when it directly follows the header. When the markers do not
    account for the cells (an unusual layout), the lines are left unknown rather than guessed.
    """
    markers = [number for number, line in enumerate(text.splitlines(), start=1) if _CELL_MARKER.match(line)]
    if len(markers) == cell_count:
        return [number + 1 for number in markers]
    if len(markers) == cell_count - 1:
        return [None, *(number + 1 for number in markers)]
    return [None] * cell_count
