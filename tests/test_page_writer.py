"""The paper-page writer: `mkdocs serve` rebuilds reuse unchanged pages and still match a fresh build."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from wiki_tools.plugins.bibliography.writing import PageWriter

BIB = """@article{alpha2020,
  author = {M{\\"u}ller, Anna and Smith, Bo},
  title = {Alpha {BERT} Results},
  journal = {Journal of Tests},
  year = 2020,
  keywords = {retrieval},
}

@misc{beta2021,
  author = {Garc{\\'i}a, Carla},
  title = {Beta Models},
  year = {2021},
  eprint = {2101.00001},
  archivePrefix = {arXiv},
  keywords = {retrieval},
}

@misc{gamma2022,
  author = {Ng, Dan},
  title = {Gamma},
  year = {2022},
}
"""

CONFIG = """site_name: Writer test
site_url: http://127.0.0.1:8000/
theme:
  name: material
  font: false
plugins:
  - wiki/bibliography
"""

# Hover-card ids come from a counter that keeps running across builds in one process.
_CARD_ID = re.compile(rb"wiki-cite-card-\d+")


def _make_site(root: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n\nSee [@alpha2020].\n", encoding="utf-8")
    (root / "docs" / "other.md").write_text("# Other\n\nNothing cited yet.\n", encoding="utf-8")
    (root / "papers.bib").write_text(BIB, encoding="utf-8")
    config_file = root / "mkdocs.yml"
    config_file.write_text(CONFIG, encoding="utf-8")
    return config_file


def _build(config_file: Path, site_dir: Path, command: str | None) -> None:
    """Build like MkDocs does: `command` is passed to `on_startup`, or None for a `serve` rebuild.

    MkDocs keeps a plugin that defines `on_startup` for the whole process, so a rebuild reuses it.
    """
    config = load_config(config_file=str(config_file), site_dir=str(site_dir))
    if command is not None:
        config.plugins.on_startup(command=command, dirty=False)
    build(config, serve_url="http://127.0.0.1:8000/" if command != "build" else None)


def _snapshot(site_dir: Path) -> dict[str, bytes]:
    files = {}
    for path in site_dir.rglob("*"):
        if path.is_file() and not path.name.endswith(".gz"):
            files[str(path.relative_to(site_dir))] = _CARD_ID.sub(b"card", path.read_bytes())
    return files


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    return _make_site(tmp_path / "project")


def test_serve_rebuild_matches_fresh_build(site: Path, tmp_path: Path) -> None:
    served = tmp_path / "served"
    _build(site, served, "serve")
    gamma = served / "papers" / "gamma2022" / "index.html"
    before = gamma.stat()

    # Citing beta2021 from a second page changes beta's "Cited on" list and leaves gamma's page as it was.
    (site.parent / "docs" / "other.md").write_text("# Other\n\nNow citing [@beta2021].\n", encoding="utf-8")
    _build(site, served, None)
    fresh = tmp_path / "fresh"
    _build(site, fresh, "build")

    assert _snapshot(served) == _snapshot(fresh)
    assert "Other" in (served / "papers" / "beta2021" / "index.html").read_text(encoding="utf-8")
    # The page was moved back, not written again, so it keeps its inode and modification time.
    assert gamma.stat().st_ino == before.st_ino
    assert gamma.stat().st_mtime_ns == before.st_mtime_ns
    assert not list(tmp_path.glob(".wiki-papers-*"))


def test_writer_without_reuse_keeps_folder(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    writer = PageWriter(reuse=False)
    writer.begin(site_dir, "papers")
    writer.write("a/index.html", "<p>one</p>")
    writer.finish()

    writer.begin(site_dir, "papers")

    assert (site_dir / "papers" / "a" / "index.html").read_text(encoding="utf-8") == "<p>one</p>"
    assert not list(tmp_path.glob(".wiki-papers-*"))


def test_writer_rewrites_changed_page(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    writer = PageWriter(reuse=True)
    writer.begin(site_dir, "papers")
    writer.write("a/index.html", "<p>one</p>")
    writer.write("b/index.html", "<p>two</p>")
    writer.finish()

    # MkDocs empties the site between the two rebuilds; `begin` must run before that.
    writer.begin(site_dir, "papers")
    assert not (site_dir / "papers").exists()
    writer.write("a/index.html", "<p>one</p>")
    writer.write("b/index.html", "<p>changed</p>")
    writer.finish()

    assert (site_dir / "papers" / "a" / "index.html").read_text(encoding="utf-8") == "<p>one</p>"
    assert (site_dir / "papers" / "b" / "index.html").read_text(encoding="utf-8") == "<p>changed</p>"
    assert not list(tmp_path.glob(".wiki-papers-*"))


def test_writer_drops_removed_page(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    writer = PageWriter(reuse=True)
    writer.begin(site_dir, "papers")
    writer.write("a/index.html", "<p>one</p>")
    writer.write("gone/index.html", "<p>old</p>")
    writer.finish()

    writer.begin(site_dir, "papers")
    writer.write("a/index.html", "<p>one</p>")
    writer.finish()

    assert not (site_dir / "papers" / "gone").exists()
    assert not list(tmp_path.glob(".wiki-papers-*"))
