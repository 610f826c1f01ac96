"""Repeated runs of tiny throwaway demos (stable notebooks, failure records, CLI output) and their search index."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from wiki_tools.cli import cli
from wiki_tools.demos.cache import DemoCache
from wiki_tools.demos.execute import execute_notebook
from wiki_tools.demos.runner import DemoOptions, MissingPackagesError, refresh_demo
from wiki_tools.demos.source import DemoSource
from wiki_tools.plugins.demos.pages import search_view

from .conftest import run_mkdocs_build
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


def test_reverted_code_clears_failure(tmp_path: Path) -> None:
    path = tmp_path / "tiny.py"
    path.write_text(GOOD_DEMO, encoding="utf-8")
    cache = DemoCache(tmp_path / "cache")
    options = DemoOptions(allow_stale=True)
    refresh_demo(DemoSource("tiny", path).load(), cache, options, lock_dir=tmp_path / "locks")

    path.write_text(GOOD_DEMO.replace("values = [", "values = 1 / 0\nvalues = ["), encoding="utf-8")
    broken = refresh_demo(DemoSource("tiny", path).load(), cache, options, lock_dir=tmp_path / "locks")
    assert broken.notice is not None
    assert cache.failure_path("tiny").exists()

    path.write_text(GOOD_DEMO, encoding="utf-8")
    reverted = refresh_demo(DemoSource("tiny", path).load(), cache, options, lock_dir=tmp_path / "locks")

    assert not reverted.executed
    assert reverted.notice is None
    assert reverted.status.failure is None
    assert sorted(os.listdir(tmp_path / "cache")) == ["tiny.ipynb"]


def test_forced_failure_kept_while_fresh(tmp_path: Path) -> None:
    # A failure recorded for the current key (a forced run of unchanged code) must survive a later check.
    path = tmp_path / "tiny.py"
    path.write_text(GOOD_DEMO, encoding="utf-8")
    cache = DemoCache(tmp_path / "cache")
    status = refresh_demo(DemoSource("tiny", path).load(), cache, DemoOptions(), lock_dir=tmp_path / "locks").status
    failure = {
        "cache_key": status.cache_key,
        "failed_at": "2026-01-01T00:00:00+00:00",
        "cell": 2,
        "where": "cell 2",
        "ename": "MemoryError",
        "evalue": "",
    }
    cache.failure_path("tiny").write_text(json.dumps(failure), encoding="utf-8")

    refresh_demo(DemoSource("tiny", path).load(), cache, DemoOptions(), lock_dir=tmp_path / "locks")

    assert cache.failure_path("tiny").exists()


def test_cli_missing_package_names_install(tmp_path: Path) -> None:
    demo = GOOD_DEMO.replace("import json\n", "import json\n\nimport tinydependency_not_installed\n")
    config = make_site(tmp_path, {"tiny": demo})

    result = CliRunner().invoke(cli, ["-f", str(config), "demos", "run", "tiny"])

    assert result.exit_code != 0
    assert "tinydependency_not_installed is not installed" in result.output
    assert "pip install -e '.[demos]'" in result.output
    assert "wiki-tools demos run tiny" not in result.output
    assert "run this command again" in result.output


def test_cli_reports_each_code_cell(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})

    result = CliRunner().invoke(cli, ["-f", str(config), "demos", "run"])

    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if ": cell " in line]
    assert [line.split(",")[0] for line in lines] == ["[1/1] tiny: cell 2 of 3", "[1/1] tiny: cell 3 of 3"]
    assert all(line.endswith(" s elapsed") for line in lines)


def test_kernel_prints_no_tcp_warning(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.py"
    path.write_text(GOOD_DEMO, encoding="utf-8")
    notebook = DemoSource("tiny", path).load().to_notebook()

    execute_notebook(notebook, cwd=tmp_path)

    assert "squares [0, 1, 4, 9]" in notebook.cells[1].outputs[0]["text"]
    assert "without encryption" not in capfd.readouterr().err


def test_search_view_drops_spans() -> None:
    content = '<pre><span></span><span class="kn">import</span> <span class="nn">json</span></pre><p>Text</p>'

    assert search_view(content) == "<pre>import json</pre><p>Text</p>"


def test_search_index_keeps_demo_text(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO}, extra="  - search\ntheme:\n  name: material\n  font: false\n")
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr

    index = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = " ".join(entry["text"] for entry in index["docs"] if entry["location"].startswith("demos/tiny/"))
    page = (tmp_path / "site" / "demos" / "tiny" / "index.html").read_text(encoding="utf-8")

    assert "values = [n * n for n in range(4)]" in text
    assert "Inline math" in text
    assert "<span" not in text
    assert '<span class="kn">import</span>' in page


def test_parse_cache_keeps_imports(tmp_path: Path) -> None:
    path = tmp_path / "tiny.py"
    path.write_text(
        GOOD_DEMO.replace("import json\n", "import json\n\nimport click\nfrom bs4 import BeautifulSoup\n"),
        encoding="utf-8",
    )

    parsed = DemoSource("tiny", path).load(tmp_path / "sources")
    cached = DemoSource("tiny", path).load(tmp_path / "sources")

    assert parsed.imports == ["bs4", "click"]
    assert cached.imports == ["bs4", "click"]


def test_missing_package_names_stored_version() -> None:
    error = MissingPackagesError(
        "lora",
        ["peft", "localhelper"],
        ["code cells changed"],
        {"peft": ["peft", "0.21.2"], "localhelper": ["localhelper", "unknown"]},
    )

    assert "peft (package peft 0.21.2 in the stored run), localhelper are not installed" in str(error)
    assert "Then build again or run 'wiki-tools demos run lora'" in str(error)
