"""Damaged caches, wrong options and failing runs of the demos, on tiny throwaway demos in tmp_path."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from wiki_tools.cli import cli
from wiki_tools.demos.cache import CorruptNotebookError, DemoCache, check_demo
from wiki_tools.demos.source import DemoSource

from .test_demos_cache import FAILING_DEMO, GOOD_DEMO, build, make_site, read_page

SLOW_DEMO = "# %%\nx = 1\n\n# %%\nimport time\ntime.sleep(30)\n"


def test_timeout_prints_no_kernel_traceback(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path, {"slow": SLOW_DEMO}, "cell_timeout: 2\n")

    result = CliRunner().invoke(cli, ["-f", str(config), "demos", "run", "slow"])
    # The kernel writes to the inherited standard error, after the run has returned.
    time.sleep(2)
    kernel_output = capfd.readouterr().err

    assert result.exit_code != 0
    assert "Demo 'slow' failed in cell 2 (line 5 of slow.py): TimeoutError" in result.output
    assert "timed out after 2 seconds (cell_timeout)" in result.output
    assert "Traceback" not in kernel_output, kernel_output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"cells": [', "invalid JSON"),
        ("[1, 2]", "a JSON list instead of a notebook object"),
        ('{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 4}', "at cells"),
    ],
)
def test_corrupt_notebook_named(tmp_path: Path, content: str, reason: str) -> None:
    folder = tmp_path / "demos"
    folder.mkdir()
    (folder / "tiny.py").write_text(GOOD_DEMO, encoding="utf-8")
    cache = DemoCache(tmp_path / "data" / "demos", tmp_path)
    cache.folder.mkdir(parents=True)
    cache.executed_path("tiny").write_text(content, encoding="utf-8")

    status = check_demo(DemoSource("tiny", folder / "tiny.py").load(), cache, "python3")

    assert status.record is None
    assert not status.is_fresh
    assert status.reasons[0].startswith("cached notebook data/demos/tiny.ipynb is corrupt (")
    assert reason in status.reasons[0]


@pytest.mark.slow
def test_corrupt_notebook_replaced_by_run(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})
    stored = tmp_path / "data" / "demos" / "tiny.ipynb"
    stored.parent.mkdir(parents=True)
    stored.write_text('{"cells": [', encoding="utf-8")

    result = CliRunner().invoke(cli, ["-f", str(config), "demos", "run", "tiny", "--force"])

    assert result.exit_code == 0, result.output
    assert "[1/1] tiny: executed in" in result.output
    assert "squares [0, 1, 4, 9]" in stored.read_text(encoding="utf-8")


@pytest.mark.slow
def test_corrupt_notebook_warns_build(tmp_path: Path) -> None:
    # The demo imports a module that is not installed, so the build cannot replace the corrupt notebook.
    config = make_site(tmp_path, {"tiny": "# %%\nimport wiki_demos_absent_module\n"}, "allow_stale: true\n")
    stored = tmp_path / "data" / "demos" / "tiny.ipynb"
    stored.parent.mkdir(parents=True)
    stored.write_text("[1, 2]", encoding="utf-8")

    code, log = build(config)

    assert code != 0
    assert "Traceback" not in log
    assert "cached notebook data/demos/tiny.ipynb is corrupt (a JSON list" in log
    assert "run 'wiki-tools demos run tiny --force'" in log
    assert stored.read_text(encoding="utf-8") == "[1, 2]"


@pytest.mark.slow
def test_never_passed_demo_shows_failure(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": FAILING_DEMO}, "allow_stale: true\n")

    code, log = build(config)
    page = read_page(config, "tiny")
    status = page.select_one(".demo-status").get_text(" ")

    assert code == 0, log
    assert "INFO    -  wiki/demos: Demo 'tiny' has never been executed successfully" in log
    assert "has not been executed yet" in status
    assert "cell 3 (line 8 of tiny.py): ValueError: the numbers do not add up" in status
    assert "last successful execution" not in page.get_text()
    assert page.select_one(".demo-notice") is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            "demos:\n  tiny:\n    allow_stail: true\n",
            "Unknown option 'allow_stail'. Valid options for one demo: allow_errors, allow_stale, cell_timeout.",
        ),
        ("cell_timeout: 0\n", "option 'cell_timeout': Expected a whole number of seconds greater than 0, got 0."),
        (
            "demos:\n  tiny:\n    cell_timeout: -1\n",
            "'cell_timeout': Expected a whole number of seconds greater than 0",
        ),
        ("cache_dir: /proc/wiki-demos\n", "Option 'cache_dir' of the 'wiki/demos' plugin: cannot create the folder"),
        ("kernel_name: nosuchkernel\n", "kernel 'nosuchkernel' is not installed (installed kernels: "),
        ("demos_dir: nothere\n", "Demos folder docs/nothere does not exist"),
    ],
)
def test_bad_option_fails_build(tmp_path: Path, options: str, expected: str) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO}, options)

    code, log = build(config)

    assert code != 0
    assert expected in log
    assert "Traceback" not in log


@pytest.mark.slow
def test_corrupt_notebook_replaced_by_build(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})
    stored = tmp_path / "data" / "demos" / "tiny.ipynb"
    stored.parent.mkdir(parents=True)
    stored.write_text('{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 4}', encoding="utf-8")

    code, log = build(config)

    assert code == 0, log
    assert "Replaced the corrupt cached notebook data/demos/tiny.ipynb (" in log
    assert "squares [0, 1, 4, 9]" in stored.read_text(encoding="utf-8")


VALID_NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


def test_validated_list_names_checked_notebook(tmp_path: Path) -> None:
    validated = tmp_path / "work" / "validated.json"
    validated.parent.mkdir()
    cache = DemoCache(tmp_path / "data" / "demos", tmp_path, validated)
    cache.folder.mkdir(parents=True)
    cache.executed_path("tiny").write_text(VALID_NOTEBOOK, encoding="utf-8")

    assert cache.load_executed("tiny") == json.loads(VALID_NOTEBOOK)
    assert json.loads(validated.read_text(encoding="utf-8")) == {
        "tiny": hashlib.sha256(VALID_NOTEBOOK.encode()).hexdigest()
    }


def test_validated_list_skips_nbformat_later(tmp_path: Path) -> None:
    validated = tmp_path / "validated.json"
    cache = DemoCache(tmp_path / "demos", tmp_path, validated)
    cache.folder.mkdir()
    cache.executed_path("tiny").write_text(VALID_NOTEBOOK, encoding="utf-8")
    cache.load_executed("tiny")

    # A new process stands for the next build: nbformat takes about 60 ms to import, and is not needed.
    script = (
        "import sys\nfrom pathlib import Path\nfrom wiki_tools.demos.cache import DemoCache\n"
        f"cache = DemoCache(Path({str(cache.folder)!r}), None, Path({str(validated)!r}))\n"
        "assert cache.load_executed('tiny') is not None\nprint('nbformat' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("listed", ["digest of another file", "damaged"])
def test_changed_notebook_validated_again(tmp_path: Path, listed: str) -> None:
    validated = tmp_path / "validated.json"
    validated.write_text('{"tiny": "0000"}' if listed == "digest of another file" else "{not json", encoding="utf-8")
    cache = DemoCache(tmp_path / "demos", tmp_path, validated)
    cache.folder.mkdir()
    cache.executed_path("tiny").write_text(
        '{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 4}', encoding="utf-8"
    )

    with pytest.raises(CorruptNotebookError, match="at cells"):
        cache.load_executed("tiny")


DEEPLY_NESTED = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_validated_list_ignored(tmp_path: Path) -> None:
    validated = tmp_path / "validated.json"
    validated.write_text(DEEPLY_NESTED, encoding="utf-8")
    cache = DemoCache(tmp_path / "demos", tmp_path, validated)
    cache.folder.mkdir()
    cache.executed_path("tiny").write_text(VALID_NOTEBOOK, encoding="utf-8")

    assert cache.load_executed("tiny") == json.loads(VALID_NOTEBOOK)
    assert list(json.loads(validated.read_text(encoding="utf-8"))) == ["tiny"]


def test_deeply_nested_notebook_is_corrupt(tmp_path: Path) -> None:
    cache = DemoCache(tmp_path / "demos", tmp_path, tmp_path / "validated.json")
    cache.folder.mkdir()
    cache.executed_path("tiny").write_text(DEEPLY_NESTED, encoding="utf-8")

    with pytest.raises(CorruptNotebookError, match="nested too deeply"):
        cache.load_executed("tiny")
