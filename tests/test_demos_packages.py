"""Installed package versions seen by the demo checks, and their refresh after an install."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wiki_tools.demos.packages import resolve_module


def install(folder: Path, version: str) -> None:
    """Install a distribution `wikifake` that provides module `wikifake`, the way pip lays it out."""
    for old in folder.glob("wikifake-*.dist-info"):
        for path in old.iterdir():
            path.unlink()
        old.rmdir()
    (folder / "wikifake").mkdir(exist_ok=True)
    (folder / "wikifake" / "__init__.py").write_text(f"VERSION = {version!r}\n")
    info = folder / f"wikifake-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: wikifake\nVersion: {version}\n")
    (info / "top_level.txt").write_text("wikifake\n")
    # The folder's time moves on, as it does between two real installs. Within one tick of the file
    # system's clock it might not, and the test would then check nothing.
    stamp = folder.stat().st_mtime_ns + 1_000_000_000
    os.utime(folder, ns=(stamp, stamp))


@pytest.fixture
def site_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.mark.parametrize("known_distribution", [None, "wikifake"])
def test_upgraded_package_seen_next_check(site_packages: Path, known_distribution: str | None) -> None:
    install(site_packages, "1.0")
    before = resolve_module("wikifake", known_distribution)

    install(site_packages, "2.0")
    after = resolve_module("wikifake", known_distribution)

    assert (before.distribution, before.version) == ("wikifake", "1.0")
    assert (after.distribution, after.version) == ("wikifake", "2.0")


def test_removed_package_reported_missing(site_packages: Path) -> None:
    install(site_packages, "1.0")
    assert resolve_module("wikifake") is not None

    for path in sorted(site_packages.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    os.utime(site_packages, ns=(site_packages.stat().st_mtime_ns + 1_000_000_000,) * 2)

    assert resolve_module("wikifake") is None


def test_loose_module_has_unknown_version(site_packages: Path) -> None:
    (site_packages / "loose_module.py").write_text("")

    found = resolve_module("loose_module")

    assert (found.distribution, found.version) == ("loose_module", "unknown")
