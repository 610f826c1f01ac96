"""Shared fixtures: the repository's paths and one real `mkdocs build --strict` of the wiki per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MKDOCS = [sys.executable, "-m", "mkdocs"]


def run_mkdocs_build(config_file: Path, site_dir: Path, *, strict: bool = True) -> subprocess.CompletedProcess[str]:
    """Build a site with the real `mkdocs build` command and return the finished process."""
    command = [*MKDOCS, "build", "--config-file", str(config_file), "--site-dir", str(site_dir)]
    if strict:
        command.append("--strict")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=config_file.parent)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wiki built from this repository with `--strict`, shared by every test that reads the output."""
    site_dir = tmp_path_factory.mktemp("site")
    result = run_mkdocs_build(REPO_ROOT / "mkdocs.yml", site_dir)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return site_dir
