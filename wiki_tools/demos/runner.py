"""Bring a demo's stored outputs up to date: check its cache key, execute it when stale, store the result.

Both `mkdocs build` (through the `wiki/demos` plugin) and `wiki-tools demos run` call `refresh_demo`,
so a demo is judged stale, executed and stored the same way by both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..storage import locked
from .cache import DemoCache, DemoStatus, ExecutionRecord, FailureRecord, check_demo, kernel_identity
from .execute import CellFailure, KernelNotFoundError, execute_notebook
from .source import DemoSource

__all__ = [
    "DemoError",
    "DemoExecutionError",
    "DemoOptions",
    "DemoSetupError",
    "MissingPackagesError",
    "RefreshOutcome",
    "refresh_demo",
    "run_command",
]

# How long a second process waits for another one that is executing the same demo.
_LOCK_TIMEOUT_SECONDS = 1800


def run_command(name: str) -> str:
    """Return the command that executes demo `name` and stores its outputs."""
    return f"wiki-tools demos run {name}"


class DemoError(Exception):
    """Base class of the errors that name a demo and tell the author what to do."""

    def __init__(self, demo: str, message: str) -> None:
        super().__init__(message)
        self.demo = demo


class MissingPackagesError(DemoError):
    """Raised when a stale demo cannot be executed because modules it imports are not installed."""

    def __init__(self, demo: str, modules: list[str], reasons: list[str], packages: dict[str, list[str]]) -> None:
        self.demo = demo
        self.modules = modules
        self.reasons = reasons
        self.packages = packages
        """Missing module -> [distribution, version] of its stored run, for the modules the run recorded."""
        super().__init__(demo, self.describe(f"build again or run '{run_command(demo)}'"))

    def describe(self, then: str) -> str:
        """Return the message with `then` as the step after installing, such as `run this command again`."""
        missing = []
        for module in self.modules:
            known = self.packages.get(module)
            # A module that no distribution declared, such as a file on `sys.path`, was stored as version `unknown`.
            if known and known[1] != "unknown":
                missing.append(f"{module} (package {known[0]} {known[1]} in the stored run)")
            else:
                missing.append(module)
        verb = "is" if len(missing) == 1 else "are"
        return (
            f"Demo '{self.demo}' is stale ({'; '.join(self.reasons)}) and cannot be executed here, because "
            f"{', '.join(missing)} {verb} not installed. Install the demos extra that provides "
            f"{'it' if len(missing) == 1 else 'them'}: pip install -e '.[demos]' (in this checkout: "
            f".venv/bin/pip install -e '.[demos]'). Then {then}, and commit the updated execution cache; "
            "or set 'allow_stale: true' for this demo to show its last outputs."
        )


class DemoExecutionError(DemoError):
    """Raised when a cell of a demo that does not allow errors raises, times out or kills the kernel."""

    def __init__(self, demo: str, failure: FailureRecord, traceback: str = "", *, recorded: bool = False) -> None:
        retry = f" Fix the cell, or run '{run_command(demo)}' to retry." if recorded else ""
        super().__init__(demo, f"Demo '{demo}' failed in {failure.describe()}.{retry}")
        self.failure = failure
        self.traceback = traceback


class DemoSetupError(DemoError):
    """Raised when a demo cannot run or be stored because of a setting, such as an unknown kernel."""


@dataclass(frozen=True)
class DemoOptions:
    """Execution settings of one demo, and its fallback when it cannot be executed."""

    kernel_name: str = "python3"
    cell_timeout_seconds: int = 600
    allow_errors: bool = False
    """Keep executing after a cell raises, and store the outputs with the error shown."""
    allow_stale: bool = False
    """Show the last good outputs, with a notice, when the demo is stale and cannot run or its run failed."""


@dataclass
class RefreshOutcome:
    """The result of `refresh_demo` for one demo."""

    status: DemoStatus
    """The status after the refresh. `status.is_fresh` is False when stale outputs are shown."""
    executed: bool = False
    duration_seconds: float = 0.0
    notice: str | None = None
    """The reason the stored outputs are not current, for a visible notice on the page, or None."""


def refresh_demo(
    source: DemoSource,
    cache: DemoCache,
    options: DemoOptions,
    *,
    lock_dir: Path,
    force: bool = False,
    retry_failed: bool = True,
    on_cell: Callable[[int, int], None] | None = None,
) -> RefreshOutcome:
    """Execute `source` when its outputs are stale (or always with `force`) and store the result.

    With `retry_failed` False, a demo whose latest run for the current key failed is not run again.
    The build uses this so that `mkdocs serve` does not re-run a failing demo on every rebuild.

    Raises:
        MissingPackagesError: stale, modules missing, and stale outputs not allowed.
        DemoExecutionError: a cell failed and stale outputs are not allowed.
    """
    status = check_demo(source, cache, options.kernel_name)
    if status.is_fresh and not force:
        # A failure for another key is out of date: the code that failed was reverted to code whose
        # stored run is good. A failure for this key (a forced re-run that failed) still holds.
        if status.failure is not None and not status.failed_for_current_key:
            cache.clear_failure(source.name)
            status.failure = None
        return RefreshOutcome(status)

    # A demo that cannot run here falls back to its last outputs only when the author allowed it.
    if status.missing_modules:
        recorded = status.record.packages if status.record is not None else {}
        packages = {module: recorded[module] for module in status.missing_modules if module in recorded}
        error = MissingPackagesError(source.name, status.missing_modules, status.reasons or ["forced"], packages)
        if not options.allow_stale:
            raise error
        return RefreshOutcome(status, notice=str(error))

    if status.failed_for_current_key and not retry_failed and not force:
        error = DemoExecutionError(source.name, status.failure, recorded=True)
        if not options.allow_stale:
            raise error
        return RefreshOutcome(status, notice=_failed_notice(status.failure, has_outputs=status.record is not None))

    with locked(lock_dir / f"{source.name}.lock", timeout_seconds=_LOCK_TIMEOUT_SECONDS):
        return _execute(source, cache, options, status, on_cell)


def _execute(
    source: DemoSource,
    cache: DemoCache,
    options: DemoOptions,
    status: DemoStatus,
    on_cell: Callable[[int, int], None] | None,
) -> RefreshOutcome:
    notebook = source.to_notebook()
    started = time.perf_counter()
    try:
        result = execute_notebook(
            notebook,
            cwd=source.path.parent,
            kernel_name=options.kernel_name,
            cell_timeout_seconds=options.cell_timeout_seconds,
            allow_errors=options.allow_errors,
            on_cell=on_cell,
        )
    except KernelNotFoundError as error:
        raise DemoSetupError(
            source.name,
            f"Demo '{source.name}' cannot be executed: {error}. Set the 'kernel_name' option of the "
            "'wiki/demos' plugin to an installed kernel, or install the kernel (jupyter kernelspec list shows them).",
        ) from None
    except CellFailure as failure:
        record = FailureRecord(
            cache_key=status.cache_key,
            failed_at=_utc_now(),
            cell=failure.cell_index + 1,
            where=source.describe_cell(failure.cell_index),
            ename=failure.ename,
            evalue=failure.evalue,
        )
        cache.store_failure(source.name, record)
        status.failure = record
        if not options.allow_stale:
            raise DemoExecutionError(source.name, record, failure.traceback) from None
        notice = _failed_notice(record, has_outputs=status.record is not None)
        return RefreshOutcome(status, duration_seconds=time.perf_counter() - started, notice=notice)

    packages = {module: version.as_json() for module, version in status.packages.items() if version is not None}
    record = ExecutionRecord(
        cache_key=status.cache_key,
        code_hash=status.code_hash,
        kernel=kernel_identity(options.kernel_name),
        packages=packages,
        executed_at=_utc_now(),
        duration_seconds=round(result.duration_seconds, 1),
        passed=not result.errors,
        errors=result.errors,
    )
    cache.store_executed(source.name, result.notebook, record)
    status.record = record
    status.failure = None
    status.reasons = []
    return RefreshOutcome(status, executed=True, duration_seconds=result.duration_seconds)


def _failed_notice(failure: FailureRecord, *, has_outputs: bool) -> str:
    failed = f"The latest execution failed in {failure.describe()} (at {failure.failed_at})."
    if not has_outputs:
        return failed
    return f"{failed} These are the outputs of the last successful execution."


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
