"""Plugin options that would write outside the site or load files from another host are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import REPO_ROOT, run_mkdocs_build


def write_site(root: Path, plugins: str) -> Path:
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "papers.bib").write_text("", encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(f"site_name: Options\ntheme:\n  name: material\n  font: false\nplugins:\n{plugins}", encoding="utf-8")
    return config


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        (
            f"  - wiki/katex:\n      dist_dir: {REPO_ROOT / 'node_modules/katex/dist'}\n      site_dir: https://cdn.example/katex\n",
            "Expected a folder inside the site, such as 'assets/wiki', received 'https://cdn.example/katex'.",
        ),
        ("  - wiki/bibliography:\n      papers_dir: ../outside\n", "received '../outside'"),
        ("  - wiki/bibliography:\n      related_max: -1\n", "Expected a whole number of at least 0, received -1."),
        ("  - wiki/digest:\n      digest_dir: /tmp/digest\n", "received '/tmp/digest'"),
        (
            "  - wiki/template-cache:\n      cache_dir: docs/compiled\n",
            "Option 'cache_dir' of the 'wiki/template-cache' plugin: 'docs/compiled' is inside docs_dir",
        ),
        ("  - wiki/digest:\n      cache_dir: docs\n", "Option 'cache_dir' of the 'wiki/digest' plugin: 'docs' is inside"),
        ("  - wiki/bibliography:\n      cache_dir: ./docs/x\n", "'./docs/x' is inside docs_dir"),
        ("  - wiki/demos:\n      work_dir: ''\n", "Option 'work_dir' of the 'wiki/demos' plugin is empty."),
    ],
)
def test_invalid_option_fails_build(tmp_path: Path, plugins: str, message: str) -> None:
    result = run_mkdocs_build(write_site(tmp_path, plugins), tmp_path / "site")
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_cache_folder_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    site = tmp_path / "site"
    site.mkdir()
    config = write_site(site, "  - wiki/template-cache:\n      cache_dir: ~/compiled\n")

    result = run_mkdocs_build(config, site / "site")

    assert result.returncode == 0, result.stderr
    assert list((home / "compiled").glob("*.jinja"))
    assert not (site / "~").exists()
