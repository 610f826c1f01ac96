"""The executed demos as a reader sees them: code, outputs, plots and typeset math in Markdown cells."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import Reader
from .tour import find_pages

pytestmark = pytest.mark.browser

# Dollars around a TeX command, as in "$\alpha$", are math that KaTeX left as text.
RAW_INLINE_MATH = re.compile(r"\$[^$\n]*\\[A-Za-z]+[^$\n]*\$")


@pytest.fixture(scope="module")
def demo_pages(built_site: Path) -> list[str]:
    pages = find_pages(built_site)["demo"]
    if not pages:
        pytest.skip("the built wiki has no demo page yet")
    return pages


def test_demo_outputs_shown(reader: Reader, demo_pages: list[str]) -> None:
    for path in demo_pages:
        page = reader.visit(path)
        notebook = page.locator(".jupyter-wrapper")

        assert notebook.locator(".jp-CodeCell").count() > 0, f"/{path} shows no code cell"
        outputs = notebook.locator(".jp-OutputArea-output")
        assert outputs.count() > 0, f"/{path} shows no output"
        assert outputs.first.is_visible(), f"/{path} hides its first output"
        texts = [text.strip() for text in outputs.all_inner_texts()]
        images = outputs.locator("img").count()
        assert any(texts) or images, f"/{path} has only empty outputs"


def test_demo_plots_load(reader: Reader, demo_pages: list[str]) -> None:
    plot_count = 0
    for path in demo_pages:
        page = reader.visit(path)
        images = page.locator(".jupyter-wrapper .jp-OutputArea-output img")

        for image in images.all():
            image.scroll_into_view_if_needed()
            size = image.evaluate("img => [img.complete, img.naturalWidth, img.getBoundingClientRect().width]")
            assert size[0] and size[1] > 0, f"a plot on /{path} did not load"
            assert size[2] > 50, f"a plot on /{path} is drawn {size[2]} px wide"
            plot_count += 1

    assert plot_count > 0, f"no demo shows a plot: {demo_pages}"


def test_demo_markdown_math_typeset(reader: Reader, demo_pages: list[str]) -> None:
    typeset_pages = []
    for path in demo_pages:
        page = reader.visit(path)
        cells = page.locator(".jupyter-wrapper .jp-MarkdownCell")

        assert cells.locator(".katex-error").count() == 0, f"KaTeX failed on /{path}"
        # Jupyter marks math with dollars. Any pair left in the text was not typeset.
        for text in cells.all_inner_texts():
            assert "$$" not in text, f"raw display math on /{path}: {text[:200]!r}"
            assert not RAW_INLINE_MATH.search(text), f"raw inline math on /{path}: {RAW_INLINE_MATH.search(text)[0]!r}"
        if cells.locator(".katex").count():
            typeset_pages.append(path)

    assert typeset_pages, f"no demo's Markdown cells contain typeset math: {demo_pages}"
