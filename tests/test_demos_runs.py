"""Repeated runs of tiny throwaway demos: stable stored notebooks, failure records, CLI messages and progress."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from wiki_tools.cli import cli
from wiki_tools.demos.cache import DemoCache
from wiki_tools.demos.execute import execute_notebook
from wiki_tools.demos.runner import DemoOptions, refresh_demo
from wiki_tools.demos.source import DemoSource

from .test_demos_cache import GOOD_DEMO, make_site


def test_cell_ids_follow_position(tmp_path: Path) -> None:
    path = tmp_path / "tiny.py"
    path.write_text(GOOD_DEMO, encoding="utf-8")

    first = DemoSource("tiny", path).load().to_notebook()
    second = DemoSource("tiny", path).load().to_notebook()

    assert [cell.id for cell in first.cells] == ["cell-1", "cell-2", "cell-3"]
    assert [cell.id for cell in second.cells] == ["cell-1", "cell-2", "cell-3"]


def test_rerun_stores_same_cells(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(GOOD_DEMO, encoding="utf-8")
    source = DemoSource("tiny", tmp_path / "tiny.py").load()
    cache = DemoCache(tmp_path / "cache")

    stored = []
    for _ in range(2):
        refresh_demo(source, cache, DemoOptions(), lock_dir=tmp_path / "locks", force=True)
        stored.append(json.loads(cache.executed_path("tiny").read_text(encoding="utf-8"))["cells"])

    assert stored[0] == stored[1]
