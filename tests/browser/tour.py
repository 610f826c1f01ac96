"""The pages of the built wiki that the browser tests visit, grouped by the kind of page."""

from __future__ import annotations

from pathlib import Path

# How each generated kind of page is recognised in its HTML. A kind with no page is skipped by the tests.
PAGE_MARKERS = {
    "paper": 'id="bibtex"',
    # A week page of the digest archive. The tiny wiki in test_digest.py covers week pages when the
    # repository's own archive is empty.
    "digest": 'class="wiki-digest__item"',
    # mkdocs-jupyter wraps a rendered notebook in this element.
    "demo": "jupyter-wrapper",
}
FIXED_PAGES = {
    "home": [""],
    "guide": ["tuning/lora/", "getting-started/"],
    "hit-list": ["papers/"],
}
# Paper pages can number in the hundreds and share one layout, so a few of them stand for all.
MAX_PAGES = {"paper": 3}


def find_pages(site: Path) -> dict[str, list[str]]:
    """Map each kind of page to the site paths of its pages (`papers/vaswani2017attention/`), sorted."""
    pages: dict[str, list[str]] = {kind: list(paths) for kind, paths in FIXED_PAGES.items()}
    found: dict[str, list[str]] = {kind: [] for kind in PAGE_MARKERS}
    for html_file in sorted(site.rglob("index.html")):
        text = html_file.read_text(encoding="utf-8")
        for kind, marker in PAGE_MARKERS.items():
            if marker in text:
                found[kind].append(_site_path(site, html_file))

    # The digest's index exists from the moment the digest plugin is on, even with an empty archive.
    if (site / "digest" / "index.html").is_file() and "digest/" not in found["digest"]:
        found["digest"].insert(0, "digest/")

    for kind, paths in found.items():
        pages[kind] = paths[: MAX_PAGES.get(kind)]
    return pages


def _site_path(site: Path, html_file: Path) -> str:
    folder = html_file.parent.relative_to(site).as_posix()
    return "" if folder == "." else f"{folder}/"
