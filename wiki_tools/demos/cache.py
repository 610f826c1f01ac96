"""The execution cache: cache keys and the stored executed notebooks.

A demo's cache key is the SHA-256 of three things: its code cells (source and tags), the kernel, and
the versions of the distributions behind the modules its code imports. Markdown cells are not part
of the key, so fixing a sentence in the prose renders the new text without running the code again.

The cache folder (committed, `data/demos/` by default) contains per demo:

- `<name>.ipynb`: the last complete, successful execution, with its record under the notebook
  metadata key `wiki_demos`. It is replaced in one step and only after every cell ran, so it never
  holds half-executed outputs.
- `<name>.failure.json`: present while the latest attempt for the current key failed. It names the
  cell and the exception, and the page shows it next to the last good outputs. It is deleted when a
  run succeeds, or when the source returns to the code of the stored good run.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..storage import atomic_write_text
from .packages import ModuleVersion, resolve_module
from .source import DemoSource

__all__ = [
    "METADATA_KEY",
    "CorruptNotebookError",
    "DemoCache",
    "DemoStatus",
    "ExecutionRecord",
    "FailureRecord",
    "check_demo",
    "compute_cache_key",
    "kernel_identity",
]

METADATA_KEY = "wiki_demos"
"""Notebook metadata key under which an executed notebook stores its `ExecutionRecord`."""

_NATIVE_KERNELS = {"python3", "python"}


@dataclass
class ExecutionRecord:
    """The outcome of one execution of a demo, stored inside the executed notebook."""

    cache_key: str
    code_hash: str
    kernel: str
    packages: dict[str, list[str]]
    """Imported module -> [distribution, version] at execution time."""
    executed_at: str
    """UTC time in ISO 8601 when the execution finished."""
    duration_seconds: float
    passed: bool
    """False when a demo that allows errors had a cell that raised."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Cells that raised in a demo that allows errors: `cell` (1-based), `ename` and `evalue`."""

    @classmethod
    def from_notebook(cls, notebook: dict[str, Any]) -> ExecutionRecord | None:
        data = notebook.get("metadata", {}).get(METADATA_KEY)
        if not isinstance(data, dict):
            return None
        try:
            return cls(**data)
        except TypeError:
            return None


@dataclass
class FailureRecord:
    """The latest failed execution of a demo, kept until a run succeeds or the stored good run is current again."""

    cache_key: str
    failed_at: str
    cell: int
    """1-based number of the cell that raised."""
    where: str
    """The cell as messages name it, such as `cell 7 (line 120 of lora.py)`."""
    ename: str
    evalue: str

    def describe(self) -> str:
        return f"{self.where}: {self.ename}: {self.evalue}"


@dataclass
class DemoStatus:
    """Whether a demo's stored outputs match its current code, kernel and packages."""

    name: str
    cache_key: str
    """The key for the current source and environment."""
    code_hash: str
    record: ExecutionRecord | None
    failure: FailureRecord | None
    packages: dict[str, ModuleVersion | None]
    """Imported module -> installed version, or None when the module is not installed."""
    reasons: list[str] = field(default_factory=list)
    """Reasons the demo is stale, in words, such as `code cells changed`."""
    corrupt: CorruptNotebookError | None = None
    """The error of a stored notebook that could not be read, which then counts as no execution."""

    @property
    def is_fresh(self) -> bool:
        return self.record is not None and self.record.cache_key == self.cache_key

    @property
    def missing_modules(self) -> list[str]:
        return sorted(module for module, version in self.packages.items() if version is None)

    @property
    def failed_for_current_key(self) -> bool:
        return self.failure is not None and self.failure.cache_key == self.cache_key


class CorruptNotebookError(ValueError):
    """Raised when a stored executed notebook is not valid JSON or not a valid notebook."""

    def __init__(self, name: str, shown_path: str, reason: str) -> None:
        super().__init__(f"cached notebook {shown_path} is corrupt ({reason})")
        self.name = name
        self.shown_path = shown_path
        self.reason = reason


class DemoCache:
    """The committed folder of executed notebooks and failure records."""

    def __init__(self, folder: Path, root: Path | None = None, validated_file: Path | None = None) -> None:
        self.folder = folder
        self.root = root
        """Folder that messages show cache paths relative to, such as the folder of `mkdocs.yml`."""
        self.validated_file = validated_file
        """A scratch file that names, for each demo, the digest of its last notebook that passed validation."""
        self._validated: dict[str, str] | None = None

    def shown_path(self, path: Path) -> str:
        """Return `path` as messages show it: relative to `root` when it lies inside."""
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return str(path)

    def executed_path(self, name: str) -> Path:
        return self.folder / f"{name}.ipynb"

    def failure_path(self, name: str) -> Path:
        return self.folder / f"{name}.failure.json"

    def load_executed(self, name: str) -> dict[str, Any] | None:
        """Return the stored executed notebook as plain JSON data, or None when there is none.

        Raises:
            CorruptNotebookError: the file cannot be read, is not JSON, or is not a valid notebook.
        """
        path = self.executed_path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise CorruptNotebookError(name, self.shown_path(path), f"cannot be read: {error}") from None

        try:
            data = json.loads(text)
        except ValueError as error:
            raise CorruptNotebookError(name, self.shown_path(path), f"invalid JSON: {error}") from None
        except RecursionError:
            # Python's JSON parser recurses once per nested array or object, so a damaged file can pass the recursion limit.
            raise CorruptNotebookError(name, self.shown_path(path), "invalid JSON: nested too deeply") from None

        # Validation imports nbformat and jsonschema (about 60 ms) and takes longer than parsing, so a
        # notebook file that passed it once is recognised by its digest and not validated again.
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if self._validated_digests().get(name) == digest:
            return data
        reason = _notebook_problem(data)
        if reason is not None:
            raise CorruptNotebookError(name, self.shown_path(path), reason)
        self._remember_valid(name, digest)
        return data

    def _validated_digests(self) -> dict[str, str]:
        if self._validated is None:
            self._validated = {}
            if self.validated_file is not None:
                try:
                    stored = json.loads(self.validated_file.read_text(encoding="utf-8"))
                except (OSError, ValueError, RecursionError):
                    # A missing or damaged list only costs one validation of each notebook.
                    stored = {}
                if isinstance(stored, dict):
                    self._validated = {key: value for key, value in stored.items() if isinstance(value, str)}
        return self._validated

    def _remember_valid(self, name: str, digest: str) -> None:
        validated = self._validated_digests()
        validated[name] = digest
        if self.validated_file is None:
            return
        try:
            atomic_write_text(self.validated_file, json.dumps(validated, indent=2, sort_keys=True) + "\n")
        except OSError:
            # The list only saves time. The in-memory copy still serves this process.
            pass

    def load_failure(self, name: str) -> FailureRecord | None:
        try:
            return FailureRecord(**json.loads(self.failure_path(name).read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            # A damaged failure record only loses a notice, so it is ignored rather than fatal.
            return None

    def store_executed(self, name: str, notebook: Any, record: ExecutionRecord) -> None:
        """Replace the stored notebook of `name` with `notebook` and clear its failure record."""
        import nbformat

        notebook.metadata[METADATA_KEY] = asdict(record)
        atomic_write_text(self.executed_path(name), nbformat.writes(notebook) + "\n")
        self.clear_failure(name)

    def store_failure(self, name: str, failure: FailureRecord) -> None:
        atomic_write_text(self.failure_path(name), json.dumps(asdict(failure), indent=2) + "\n")

    def clear_failure(self, name: str) -> None:
        self.failure_path(name).unlink(missing_ok=True)


def kernel_identity(kernel_name: str) -> str:
    """Describe the kernel for the cache key: its name and, for the Python kernel, the Python version.

    The native Python kernel runs on the interpreter that runs the build (jupyter_client replaces a
    `python` command in the kernel spec with `sys.executable`), so its version is known without
    starting it. Only the major and minor version count, because a patch release changes no output.
    """
    if kernel_name in _NATIVE_KERNELS:
        return f"{kernel_name} (Python {sys.version_info.major}.{sys.version_info.minor})"
    # NOTE: for another kernel only its name is part of the key, so upgrading its language goes unnoticed.
    return kernel_name


def compute_cache_key(source: DemoSource, kernel: str, packages: dict[str, list[str]]) -> tuple[str, str]:
    """Return `(cache_key, code_hash)` for `source` run on `kernel` with `packages` (module -> [dist, version])."""
    code = [{"source": cell.source, "tags": sorted(cell.metadata.get("tags", []))} for cell in source.code_cells]
    code_hash = _sha256({"code": code})
    cache_key = _sha256({"code_hash": code_hash, "kernel": kernel, "packages": packages})
    return cache_key, code_hash


def check_demo(source: DemoSource, cache: DemoCache, kernel_name: str) -> DemoStatus:
    """Compare the demo's current code, kernel and packages with its stored execution.

    When a module that the demo imports is not installed here, this environment cannot run the demo,
    so its package versions say nothing about the stored outputs: every module then keeps the version
    stored in the record. An environment without PyTorch, but perhaps with another NumPy, therefore
    still finds an unchanged demo fresh, while a demo whose code changed is stale and cannot be executed.
    """
    corrupt: CorruptNotebookError | None = None
    try:
        executed = cache.load_executed(source.name)
    except CorruptNotebookError as error:
        # A corrupt notebook counts as no execution, so the next run replaces it.
        executed, corrupt = None, error
    record = ExecutionRecord.from_notebook(executed) if executed is not None else None
    recorded = record.packages if record is not None else {}

    installed: dict[str, ModuleVersion | None] = {}
    for module in source.imports:
        known = recorded.get(module)
        installed[module] = resolve_module(module, known[0] if known else None)
    can_run = all(version is not None for version in installed.values())

    versions: dict[str, list[str]] = {}
    for module, version in installed.items():
        if module in recorded and (version is None or not can_run):
            versions[module] = list(recorded[module])
        elif version is not None:
            versions[module] = version.as_json()
        else:
            versions[module] = [module, "not installed"]

    kernel = kernel_identity(kernel_name)
    cache_key, code_hash = compute_cache_key(source, kernel, versions)
    status = DemoStatus(source.name, cache_key, code_hash, record, cache.load_failure(source.name), installed)
    status.corrupt = corrupt
    if corrupt is not None:
        status.reasons.append(str(corrupt))
    elif record is None:
        status.reasons.append("never executed")
    elif record.cache_key != cache_key:
        status.reasons.extend(_describe_changes(record, code_hash, kernel, versions))
    return status


def _describe_changes(
    record: ExecutionRecord, code_hash: str, kernel: str, versions: dict[str, list[str]]
) -> list[str]:
    reasons = []
    if record.code_hash != code_hash:
        reasons.append("code cells changed")
    if record.kernel != kernel:
        reasons.append(f"kernel changed from {record.kernel!r} to {kernel!r}")
    for module in sorted(set(record.packages) | set(versions)):
        before, after = record.packages.get(module), versions.get(module)
        if before is None:
            reasons.append(f"new import {module}")
        elif after is None:
            reasons.append(f"no longer imports {module}")
        elif list(before) != list(after):
            reasons.append(f"{after[0]} {before[1]} -> {after[1]}")
    return reasons or ["cache key changed"]


def _notebook_problem(data: Any) -> str | None:
    """Return what makes `data` an invalid notebook in nbformat 4, or None when it is valid."""
    import nbformat
    from nbformat.validator import ValidationError

    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__} instead of a notebook object"
    if data.get("nbformat") != 4:
        return f"nbformat {data.get('nbformat')!r} instead of 4"
    try:
        # `from_dict` copies the data, so that the validator's repairs of cell ids do not change it.
        nbformat.validate(nbformat.from_dict(data))
    except ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "top level"
        return f"{error.message[:200]} at {where}"
    return None


def _sha256(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
