"""Damaged caches, wrong options and failing runs of the demos, on tiny throwaway demos in tmp_path."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from wiki_tools.cli import cli

from .test_demos_cache import make_site

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
