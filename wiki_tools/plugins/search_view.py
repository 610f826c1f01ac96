"""A lighter page for Material's search plugin, restored before the theme renders the page.

Material's search plugin indexes `page.content` in `on_page_context` at priority 0. Several of the
wiki's plugins trim what it should not read, at priority 1, and put the page back at priority -1.
The page's HTML is kept once, before the first trim, so the trims of several plugins add up and the
first restore brings back the whole page, whichever plugin runs first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkdocs.structure.pages import Page

__all__ = ["restore_after_search", "trim_for_search"]

# Page src_uri -> its HTML before the first trim, for the time between the two events.
_full_pages: dict[str, str] = {}


def trim_for_search(page: Page, trim: Callable[[str], str]) -> None:
    """Replace the page's HTML with `trim(html)` until `restore_after_search`, keeping the untrimmed page."""
    if page.content is None:
        return
    _full_pages.setdefault(page.file.src_uri, page.content)
    page.content = trim(page.content)


def restore_after_search(page: Page) -> None:
    """Give the page back the HTML it had before the first trim. Later calls for the page do nothing."""
    # NOTE: a change that another plugin makes to `page.content` in `on_page_context` at priority 0 is
    # lost on a trimmed page here. None of the plugins of this wiki does that.
    full = _full_pages.pop(page.file.src_uri, None)
    if full is not None:
        page.content = full
