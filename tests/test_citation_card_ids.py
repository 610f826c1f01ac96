"""Citation card ids stay the same from one build to the next in one process, as under `mkdocs serve`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from .test_bibliography_plugin import PAGES, soup_of, write_site


def card_ids(site: Path, page: str) -> list[str]:
    return [card["id"] for card in soup_of(site, page).select(".wiki-cite__card")]


def test_card_ids_same_on_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = write_site(tmp_path, PAGES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(os.environ, "NO_MKDOCS_2_WARNING", "1")

    # `mkdocs serve` loads the configuration again for every rebuild but keeps plugins that define
    # `on_startup`, so module and plugin state lives on between the builds, as it does here.
    config = load_config(str(config_file), site_dir=str(tmp_path / "first"))
    config.plugins.on_startup(command="serve", dirty=False)
    build(config)
    build(load_config(str(config_file), site_dir=str(tmp_path / "second")))

    for page in ("index.html", "one/index.html"):
        first = card_ids(tmp_path / "first", page)
        assert first, f"{page} has no citation card"
        assert len(set(first)) == len(first), f"card ids repeat on {page}: {first}"
        assert card_ids(tmp_path / "second", page) == first
