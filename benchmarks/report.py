"""The shared shape of a benchmark result and the table that prints it.

Every benchmark script in this folder returns `Measurement`s from `run()`. `python -m benchmarks` runs
them all and prints one table, and `python benchmarks/<name>.py` prints the table of one script.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["Measurement", "format_table", "machine_summary", "time_call"]


@dataclass
class Measurement:
    """One case measured side by side: our tool and the tool a user would otherwise use, in seconds."""

    benchmark: str
    """The script that measured it, for example `site_build`."""
    case: str
    """The measured case, for example `warm build`."""
    ours: list[float]
    """One sample per repetition, in seconds."""
    baseline_name: str
    """The tool a user would otherwise use, for example `plain MkDocs + Material`."""
    baseline: list[float]
    """One sample per repetition of the baseline, in seconds. Empty when there is nothing to compare with."""
    target_ratio: float | None = None
    """The largest acceptable ratio of our median to the baseline's, or None when the case has no target."""
    notes: list[str] = field(default_factory=list)
    """Anything a reader needs to judge the numbers, such as the input size."""

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        """Our median divided by the baseline's: below 1 means we are faster."""
        baseline = self.baseline_median
        return self.ours_median / baseline if baseline else None

    @property
    def meets_target(self) -> bool | None:
        if self.target_ratio is None or self.ratio is None:
            return None
        return self.ratio <= self.target_ratio


def time_call(function: Callable[[], object]) -> float:
    """Call `function` once and return the wall-clock seconds it took."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def machine_summary() -> str:
    """Describe in one line the machine the numbers come from: cores, memory, OS and Python."""
    memory = _total_memory_bytes()
    memory_text = f"{memory / 2**30:.1f} GiB" if memory else "unknown memory"
    return (
        f"{os.cpu_count()} cores, {memory_text}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def format_table(measurements: Iterable[Measurement]) -> str:
    """Render measurements as a Markdown table, one row per case, followed by their notes."""
    header = ["benchmark", "case", "ours (median)", "n", "baseline", "baseline (median)", "ratio", "target"]
    rows = [header, ["---"] * len(header)]
    notes = []
    for measurement in measurements:
        rows.append(_format_row(measurement))
        notes.extend(f"{measurement.benchmark} / {measurement.case}: {note}" for note in measurement.notes)

    lines = ["| " + " | ".join(row) + " |" for row in rows]
    if notes:
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
    return "\n".join(lines)


def _format_row(measurement: Measurement) -> list[str]:
    baseline_median = measurement.baseline_median
    ratio = measurement.ratio
    if measurement.target_ratio is None:
        target = ""
    else:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[measurement.meets_target]
        target = f"≤ {measurement.target_ratio:g}× {verdict}"
    return [
        measurement.benchmark,
        measurement.case,
        _format_seconds(measurement.ours_median),
        str(len(measurement.ours)),
        measurement.baseline_name,
        _format_seconds(baseline_median) if baseline_median is not None else "",
        f"{ratio:.2f}×" if ratio is not None else "",
        target,
    ]


def _format_seconds(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def _total_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
