"""Run a notebook with nbclient: a timeout per cell, and a report naming the cell that failed."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CellFailure", "ExecutionResult", "KernelNotFoundError", "execute_notebook"]

# nbclient reports tracebacks with terminal colours.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

# Demos must never reach the network, and the MiniLM model ships inside a Python package.
_KERNEL_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONHASHSEED": "0"}
# Kernels that are ipykernel, which also listens on Unix sockets.
_IPYKERNEL_NAMES = {"python3", "python"}


class CellFailure(Exception):
    """Raised when a cell raises, times out or kills the kernel in a demo that does not allow errors."""

    def __init__(self, cell_index: int, ename: str, evalue: str, traceback: str = "") -> None:
        super().__init__(f"cell {cell_index + 1}: {ename}: {evalue}")
        self.cell_index = cell_index
        """0-based index of the cell among all cells of the notebook."""
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback


class KernelNotFoundError(Exception):
    """Raised when no Jupyter kernel with the requested name is installed."""

    def __init__(self, kernel_name: str, installed: list[str]) -> None:
        super().__init__(
            f"kernel {kernel_name!r} is not installed (installed kernels: {', '.join(installed) or 'none'})"
        )
        self.kernel_name = kernel_name
        self.installed = installed


@dataclass
class ExecutionResult:
    """A completely executed notebook and what happened while it ran."""

    notebook: Any
    duration_seconds: float
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Cells that raised while errors were allowed: `cell` (1-based), `ename` and `evalue`."""


def execute_notebook(
    notebook: Any,
    *,
    cwd: Path,
    kernel_name: str = "python3",
    cell_timeout_seconds: int = 600,
    allow_errors: bool = False,
    on_cell: Callable[[int, int], None] | None = None,
) -> ExecutionResult:
    """Execute every cell of `notebook` in place, in a fresh kernel started in `cwd`.

    `on_cell(index, count)` is called before each code cell runs, for progress reports. `index` is
    0-based among all `count` cells of the notebook.

    Raises:
        CellFailure: a cell raised (unless `allow_errors`), timed out, or the kernel died.
        KernelNotFoundError: no kernel named `kernel_name` is installed.
    """
    # Imported here because nbclient and jupyter_client take a while to import and a warm build never executes.
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    current = {"index": 0}
    errors: list[dict[str, Any]] = []

    def _on_cell_start(cell: Any, cell_index: int) -> None:
        current["index"] = cell_index
        # nbclient skips Markdown cells right after this hook, so reporting them would only be noise.
        if on_cell is not None and cell.cell_type == "code":
            on_cell(cell_index, len(notebook.cells))

    def _on_cell_error(cell: Any, cell_index: int, execute_reply: Any) -> None:
        content = execute_reply.get("content", {}) if execute_reply else {}
        errors.append({"cell": cell_index + 1, "ename": content.get("ename", ""), "evalue": content.get("evalue", "")})

    client = NotebookClient(
        notebook,
        timeout=cell_timeout_seconds,
        kernel_name=kernel_name,
        allow_errors=allow_errors,
        # Timing metadata would change every stored notebook on every run and bloat the diffs.
        record_timing=False,
        # After a timeout, a graceful shutdown request reaches the kernel while the cell still runs, and the
        # kernel prints a ZMQError traceback when it sends the cell's reply on a closed socket. nbclient
        # has received every output of a finished cell before the shutdown, so killing the kernel loses nothing.
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(cwd)}},
        on_cell_start=_on_cell_start,
        on_cell_error=_on_cell_error,
    )

    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="wiki-demos-") as socket_dir:
            client.config = _transport_config(kernel_name, Path(socket_dir))
            client.execute(env={**os.environ, **_KERNEL_ENVIRONMENT})
    except CellTimeoutError:
        raise CellFailure(
            current["index"], "TimeoutError", f"the cell timed out after {cell_timeout_seconds} seconds (cell_timeout)"
        ) from None
    except DeadKernelError as error:
        raise CellFailure(current["index"], "DeadKernelError", str(error)) from None
    except CellExecutionError as error:
        traceback = _ANSI_ESCAPE.sub("", error.traceback)
        raise CellFailure(current["index"], error.ename, error.evalue, traceback) from None
    except NoSuchKernel:
        raise KernelNotFoundError(kernel_name, sorted(KernelSpecManager().find_kernel_specs())) from None
    duration = time.perf_counter() - started

    return ExecutionResult(notebook, duration, errors if allow_errors else [])


def _transport_config(kernel_name: str, socket_dir: Path) -> Any:
    """Return the kernel manager settings: Unix sockets in `socket_dir` for ipykernel, the default TCP otherwise.

    Over TCP, ipykernel warns on every start that its traffic is not encrypted. Unix sockets in a private
    temporary folder keep the traffic off the network, so the warning no longer applies and is not printed.
    """
    from traitlets.config import Config

    if kernel_name not in _IPYKERNEL_NAMES:
        # NOTE: other kernels may not support the `ipc` transport, so they keep TCP and its warning, if any.
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(socket_dir / "kernel")}})
