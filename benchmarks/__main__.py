"""Run every benchmark in this folder and print one table of medians and ratios: `python -m benchmarks`.

A benchmark is a module `benchmarks/<name>.py` with a function `run()` that returns a list of
`benchmarks.report.Measurement`. If `run` takes a `repeat` argument, `--repeat N` is passed to it.
A module with only a `main()` is still run, but its own output is printed instead of table rows.
BENCHMARKS.md describes the interface and how to read the table.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from .report import Measurement, format_table, machine_summary

# Modules of this package that hold no benchmark.
_NOT_BENCHMARKS = {"__init__", "__main__", "report"}


def find_benchmarks() -> list[str]:
    """Names of the benchmark modules in this folder, sorted."""
    folder = Path(__file__).parent
    return sorted(
        path.stem for path in folder.glob("*.py") if path.stem not in _NOT_BENCHMARKS and not path.stem.startswith("_")
    )


def run_benchmark(name: str, repeat: int | None) -> list[Measurement]:
    """Import one benchmark module, run it, and return its measurements (none for a `main()`-only module)."""
    module = importlib.import_module(f"{__package__}.{name}")
    run = getattr(module, "run", None)
    if run is None:
        main = getattr(module, "main", None)
        if main is None:
            raise AttributeError(f"benchmarks/{name}.py defines neither run() nor main()")
        _run_main(main, module.__file__)
        return []

    arguments = {}
    if repeat is not None and "repeat" in inspect.signature(run).parameters:
        arguments["repeat"] = repeat
    rows = run(**arguments)
    # Plain dicts with the same keys as Measurement are accepted too, so a script need not import this package.
    return [row if isinstance(row, Measurement) else Measurement(**row) for row in rows]


def _run_main(main: Callable[[], object], script: str) -> None:
    """Call a script's `main()` as if it were run with no arguments, so it parses none of ours."""
    saved_argv = sys.argv
    sys.argv = [script]
    try:
        main()
    except SystemExit as error:
        # argparse and sys.exit end a script this way. Only a non-zero status means it failed.
        if error.code not in (None, 0):
            raise RuntimeError(f"{script} exited with status {error.code}") from error
    finally:
        sys.argv = saved_argv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all): " + ", ".join(find_benchmarks()))
    parser.add_argument("--repeat", type=int, help="repetitions per case, for benchmarks that accept it")
    arguments = parser.parse_args(argv)

    names = arguments.names or find_benchmarks()
    unknown = sorted(set(names) - set(find_benchmarks()))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(find_benchmarks())}")

    print(f"Machine: {machine_summary()}", flush=True)
    measurements: list[Measurement] = []
    failed: list[str] = []
    for name in names:
        print(f"Running {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            measurements.extend(run_benchmark(name, arguments.repeat))
        except Exception:
            # One broken benchmark must not hide the others' numbers, but it fails the command.
            traceback.print_exc()
            failed.append(name)
        print(f"  {name} took {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    print()
    print(format_table(measurements))
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    missed = [f"{m.benchmark} / {m.case}" for m in measurements if m.meets_target is False]
    if missed:
        print(f"\nTargets missed: {'; '.join(missed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
