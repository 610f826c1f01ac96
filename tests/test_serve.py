"""`mkdocs serve` serves the wiki and rebuilds it when a page or papers.bib changes."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from wiki_tools.digest.archive import add_items

from .conftest import MKDOCS, REPO_ROOT
from .test_bibliography_plugin import write_site
from .test_digest_build import write_wiki
from .test_digest_week_cache import item as digest_item


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def wait_for(url: str, text: str, timeout_seconds: float = 60) -> str:
    """Poll `url` until its body contains `text`, and return the body."""
    deadline = time.monotonic() + timeout_seconds
    body = ""
    while time.monotonic() < deadline:
        try:
            body = fetch(url)
        except OSError:
            body = ""
        if text in body:
            return body
        time.sleep(0.25)
    raise AssertionError(f"{url} did not contain {text!r} within {timeout_seconds} s")


@pytest.fixture
def wiki_copy(tmp_path: Path) -> Path:
    """A copy of the wiki's sources that the test may edit."""
    for name in ("docs", "mkdocs.yml", "papers.bib", "data"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        elif source.is_file():
            shutil.copy(source, tmp_path / name)
    os.symlink(REPO_ROOT / "node_modules", tmp_path / "node_modules")
    return tmp_path


@pytest.mark.slow
def test_serve_rebuilds_on_edit(wiki_copy: Path) -> None:
    port = free_port()
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=wiki_copy,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # `mkdocs serve` serves the site under the path of `site_url`.
    site_url = re.search(r"^site_url:\s*(\S+)", (wiki_copy / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    path = urlparse(site_url.group(1)).path.rstrip("/") if site_url else ""
    base = f"http://127.0.0.1:{port}{path}"
    try:
        wait_for(f"{base}/tuning/lora/", "Low-Rank", timeout_seconds=120)

        page = wiki_copy / "docs" / "tuning" / "lora.md"
        page.write_text(page.read_text(encoding="utf-8") + "\n\nAn edit made while serving.\n", encoding="utf-8")
        wait_for(f"{base}/tuning/lora/", "An edit made while serving.")

        bib = wiki_copy / "papers.bib"
        bib.write_text(bib.read_text(encoding="utf-8").replace("{Attention Is All You Need}", "{Attention Is All You Need, Edited}"), encoding="utf-8")
        wait_for(f"{base}/papers/vaswani2017attention/", "Attention Is All You Need, Edited")
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextmanager
def serving(root: Path, *options: str) -> Iterator[str]:
    """Run `mkdocs serve` in `root` on a free port of 127.0.0.1 and yield its base URL.

    The site's `mkdocs.yml` must set no `site_url` with a path, so that pages are served from the root.
    """
    port = free_port()
    server = subprocess.Popen(
        [*MKDOCS, "serve", *options, "--dev-addr", f"127.0.0.1:{port}"],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_dirty_serve_keeps_backlinks(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Home\n\nSee [@smith2019other].\n",
        "two.md": "# Two\n\nNo citation here.\n",
    }
    config = write_site(tmp_path, pages)
    config.write_text(config.read_text(encoding="utf-8").replace("site_url: https://wiki.example.org/\n", ""))

    with serving(tmp_path, "--dirty") as base:
        wait_for(f"{base}/papers/smith2019other/", 'href="../../">Home</a>')

        # The rebuild reads only two.md, so the paper page learns of Home's citation only from memory.
        (tmp_path / "docs" / "two.md").write_text("# Two\n\nNow citing [@smith2019other].\n", encoding="utf-8")
        paper_page = wait_for(f"{base}/papers/smith2019other/", 'href="../../two/">Two</a>')

    assert 'href="../../">Home</a>' in paper_page


def test_serve_notices_first_digest_fetch(tmp_path: Path) -> None:
    config = write_wiki(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace("site_url: https://wiki.example/\n", ""))
    assert not (tmp_path / "archive").exists()

    with serving(tmp_path) as base:
        wait_for(f"{base}/digest/", "The archive is empty")

        # What `wiki-tools digest fetch` does in a fresh clone: the archive folder appears with its first month.
        add_items(tmp_path / "archive", [digest_item("a", "2026-11-04", "A November story")])

        wait_for(f"{base}/digest/2026-W45/", "A November story")
