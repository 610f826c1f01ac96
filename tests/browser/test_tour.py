"""A tour of each kind of page: phone layout, accessibility and screenshots in light and dark mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import PHONE, open_reader, run_axe, save_screenshot
from .tour import find_pages

pytestmark = pytest.mark.browser

KINDS = ["home", "guide", "hit-list", "paper", "digest", "demo"]
SCREENSHOT_KINDS = ["home", "paper", "digest", "demo"]
SCHEMES = {"light": "default", "dark": "slate"}
# axe-core rates each violation minor, moderate, serious or critical. The two highest fail the test.
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def tour(built_site: Path) -> dict[str, list[str]]:
    return find_pages(built_site)


def pages_of(tour: dict[str, list[str]], kind: str) -> list[str]:
    """The tour's pages of one kind, or a skip when the site has none yet."""
    if not tour[kind]:
        pytest.skip(f"the built wiki has no {kind} page yet")
    return tour[kind]


def describe(violations: list[dict]) -> str:
    """One line per violation: rule, impact, what it means and the first elements it found."""
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", KINDS)
def test_phone_layout_fits(browser, site_url: str, tour: dict[str, list[str]], kind: str) -> None:
    paths = pages_of(tour, kind)

    with open_reader(browser, site_url, viewport=PHONE) as reader:
        for path in paths:
            page = reader.visit(path)
            widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], f"/{path} is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", KINDS)
def test_axe_finds_nothing_serious(browser, site_url: str, tour: dict[str, list[str]], kind: str, scheme: str) -> None:
    path = pages_of(tour, kind)[0]

    with open_reader(browser, site_url, color_scheme=scheme) as reader:
        page = reader.visit(path)
        assert page.locator("body").get_attribute("data-md-color-scheme") == SCHEMES[scheme]
        violations = [violation for violation in run_axe(page) if violation["impact"] in BLOCKING_IMPACTS]

    assert violations == [], f"axe-core on /{path} in {scheme} mode:\n{describe(violations)}"


@pytest.mark.parametrize("kind", SCREENSHOT_KINDS)
def test_screenshots_saved(browser, site_url: str, tour: dict[str, list[str]], kind: str) -> None:
    path = pages_of(tour, kind)[0]

    for scheme, md_scheme in SCHEMES.items():
        with open_reader(browser, site_url, color_scheme=scheme) as reader:
            page = reader.visit(path)
            assert page.locator("body").get_attribute("data-md-color-scheme") == md_scheme
            screenshot = save_screenshot(page, f"{kind}-{scheme}")

        assert screenshot.stat().st_size > 10_000, f"{screenshot} looks empty"
