"""Execute the four demos of the wiki for real and check their key results.

Each demo prints its key numbers as JSON in the cell tagged `results`. The executions go to a cache
folder in tmp_path, so the committed cache in `data/demos/` is left alone. Together they take a few
minutes on two CPU cores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wiki_tools.demos.cache import DemoCache
from wiki_tools.demos.runner import DemoOptions, refresh_demo
from wiki_tools.demos.source import DemoSource

from .conftest import REPO_ROOT


def execute_demo(name: str, tmp_path: Path) -> dict[str, Any]:
    """Execute docs/demos/NAME.py in a fresh kernel and return the JSON printed by its `results` cell."""
    source = DemoSource(name, REPO_ROOT / "docs" / "demos" / f"{name}.py").load()
    cache = DemoCache(tmp_path / "cache")
    outcome = refresh_demo(
        source, cache, DemoOptions(cell_timeout_seconds=600), lock_dir=tmp_path / "locks", force=True
    )
    assert outcome.executed

    notebook = cache.load_executed(name)
    assert notebook["metadata"]["wiki_demos"]["passed"] is True
    cells = [cell for cell in notebook["cells"] if "results" in cell["metadata"].get("tags", [])]
    assert len(cells) == 1, f"{name} needs exactly one cell tagged 'results'"
    text = "".join(
        "".join(output.get("text", "")) for output in cells[0]["outputs"] if output["output_type"] == "stream"
    )
    return json.loads(text.strip().splitlines()[-1])


@pytest.mark.slow
def test_autograd_matches_torch(tmp_path: Path) -> None:
    results = execute_demo("autograd", tmp_path)

    assert results["max_gradient_difference"] < 1e-6
    assert results["final_accuracy"] >= 0.9


@pytest.mark.slow
def test_few_shot_accuracy_rises(tmp_path: Path) -> None:
    results = execute_demo("few_shot", tmp_path)

    accuracy = results["accuracy_by_shots"]
    assert set(accuracy) == {"0", "1", "3", "8"}
    assert accuracy["8"] > accuracy["0"]
    assert results["held_out"] >= 30


@pytest.mark.slow
def test_lora_beats_linear_probe(tmp_path: Path) -> None:
    results = execute_demo("lora", tmp_path)

    assert results["trainable_share"] < 0.01
    assert results["lora_accuracy"] >= results["probe_accuracy"]
    assert results["merge_max_difference"] < 1e-4
    assert results["adapter_bytes"] < results["full_model_bytes"] / 50


@pytest.mark.slow
def test_rag_hit_at_3(tmp_path: Path) -> None:
    results = execute_demo("rag", tmp_path)

    assert results["retrieval"]["hybrid"]["hit@3"] >= 0.8
    assert results["pages"] >= 8
    assert results["questions"] >= 10
