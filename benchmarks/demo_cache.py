"""Time `mkdocs build` of this wiki with its four demos under five set-ups, side by side in one run.

1. without demos: the same site with the `wiki/demos` plugin, the demo sources and their nav entries removed;
2. wiki/demos, warm: this project's plugin with its execution cache and render cache filled;
3. mkdocs-jupyter, execute: true: the mkdocs-jupyter plugin executing every notebook on every build;
4. mkdocs-jupyter, execute: false: the same plugin rendering the notebooks without outputs;
5. mkdocs-jupyter, own cache warm: execute: true with its content-hash cache filled by an earlier build.

Each set-up builds a copy of the repository in a temporary folder, in a fresh `mkdocs build` process,
so Python's start-up is part of every time. Set-ups 2 and 5 get one untimed build first to fill
their caches. The timed builds take turns, one of each set-up per round, so that a change in the load
of a shared machine affects all set-ups alike. Executing the demos takes minutes, so set-up 3 runs
`--execute-runs` times (default 1), after the rounds.

Run from the repository root:  PYTHONPATH=. python benchmarks/demo_cache.py [--runs 5] [--execute-runs 1]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

_DEMOS_PLUGIN = re.compile(r"^  # Executed notebooks.*\n|^  - wiki/demos:?\n(?:      .*\n)*", re.MULTILINE)
_DEMOS_NAV = re.compile(r"^  - Demos:\n(?:      - .*\n)*", re.MULTILINE)


def mkdocs_jupyter_entry(*, execute: bool, cache: bool) -> str:
    return (
        "  - mkdocs-jupyter:\n"
        '      include: ["demos/*.py"]\n'
        f"      execute: {str(execute).lower()}\n"
        f"      cache: {str(cache).lower()}\n"
        "      include_requirejs: false\n"
    )


def prepare(folder: Path, variant: str) -> Path:
    """Copy the repository into `folder` and change its `mkdocs.yml` for `variant`; return the config path."""
    shutil.copytree(
        REPO_ROOT,
        folder,
        ignore=shutil.ignore_patterns(".git", "site", ".cache", "node_modules", "__pycache__", ".venv"),
    )
    (folder / "node_modules").symlink_to((REPO_ROOT / "node_modules").resolve())
    config = folder / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")

    if variant == "without demos":
        text = _DEMOS_NAV.sub("", _DEMOS_PLUGIN.sub("", text))
        shutil.rmtree(folder / "docs" / "demos")
    elif variant.startswith("mkdocs-jupyter"):
        entry = mkdocs_jupyter_entry(execute="execute: false" not in variant, cache="own cache" in variant)
        text = _DEMOS_PLUGIN.sub("", text)
        text = text.replace("\nplugins:\n", "\nplugins:\n" + entry, 1)
    config.write_text(text, encoding="utf-8")
    return config


def build_seconds(config: Path) -> float:
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file", str(config)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=config.parent, env=environment, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"Build failed for {config}:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed builds per set-up (default 7)")
    parser.add_argument("--execute-runs", type=int, default=1, help="timed builds with execute: true (default 1)")
    arguments = parser.parse_args()

    variants = [
        ("without demos", arguments.runs, False),
        ("wiki/demos, warm", arguments.runs, True),
        ("mkdocs-jupyter, execute: true", arguments.execute_runs, False),
        ("mkdocs-jupyter, execute: false", arguments.runs, False),
        ("mkdocs-jupyter, own cache warm", arguments.runs, True),
    ]
    times: dict[str, list[float]] = {variant: [] for variant, _, _ in variants}
    with tempfile.TemporaryDirectory(prefix="demo-cache-benchmark-") as scratch:
        configs = {}
        for index, (variant, _, prime) in enumerate(variants):
            configs[variant] = prepare(Path(scratch) / f"site-{index}", variant)
            if prime:
                build_seconds(configs[variant])

        for round_number in range(max(runs for _, runs, _ in variants)):
            for variant, runs, _ in variants:
                if round_number < runs and "execute: true" not in variant:
                    times[variant].append(build_seconds(configs[variant]))
        executing = "mkdocs-jupyter, execute: true"
        times[executing] = [build_seconds(configs[executing]) for _ in range(arguments.execute_runs)]

    medians = {variant: statistics.median(times[variant]) for variant, _, _ in variants}
    counts = {variant: len(times[variant]) for variant, _, _ in variants}
    for variant, _, _ in variants:
        print(f"  {variant}: {', '.join(f'{t:.2f}' for t in times[variant])} s", file=sys.stderr)

    ours = medians["wiki/demos, warm"]
    print("\nmkdocs build of this wiki with its four demos (median of N builds, each a fresh process)\n")
    print("| set-up | N | median (s) | ratio to wiki/demos warm |")
    print("| --- | --- | --- | --- |")
    for variant, median in medians.items():
        print(f"| {variant} | {counts[variant]} | {median:.2f} | {median / ours:.2f}x |")
    print()
    print(
        f"wiki/demos warm is {medians['mkdocs-jupyter, execute: true'] / ours:.1f}x faster than execute: true (target >= 10x)"
    )
    print(
        f"and {medians['mkdocs-jupyter, own cache warm'] / ours:.2f}x faster than mkdocs-jupyter's own warm cache (target >= 1)"
    )
    print(f"Added by the demos to a warm build: {ours - medians['without demos']:+.2f} s (target <= 0.5 s)")


if __name__ == "__main__":
    main()
