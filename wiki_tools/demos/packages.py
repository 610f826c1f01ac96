"""Find which installed distribution provides each module a demo imports, and its version.

Nothing here imports the modules themselves: `importlib.util.find_spec` on a top-level name and
`importlib.metadata` only read files, so checking a demo that uses PyTorch does not load PyTorch.

A metadata lookup scans the installed distributions (up to about 2 ms each, measured on a 2-core
machine), and `mkdocs serve` checks every demo on every rebuild. The results are therefore kept until a
folder on `sys.path` changes, which is what installing, upgrading or removing a distribution does.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass, field

__all__ = ["ModuleVersion", "is_installed", "resolve_module"]


@dataclass(frozen=True)
class ModuleVersion:
    """A module imported by a demo, the distribution that provides it and that distribution's version."""

    module: str
    distribution: str
    version: str

    def as_json(self) -> list[str]:
        return [self.distribution, self.version]


def is_installed(module: str) -> bool:
    """Return whether the top-level `module` can be imported in this interpreter."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def resolve_module(module: str, distribution: str | None = None) -> ModuleVersion | None:
    """Return the distribution and version behind `module`, or None when it is not installed.

    `distribution` skips the search through all installed metadata when the caller already knows the
    name, for example from a stored execution record. A module that no distribution declares, such as
    a file on `sys.path`, is reported with itself as distribution and version `unknown`.
    """
    if not is_installed(module):
        return None

    installed = _installed()
    if distribution is not None:
        found = installed.version(distribution)
        if found is not None:
            return ModuleVersion(module, distribution, found)

    candidates = sorted(installed.module_distributions().get(module, []))
    if not candidates:
        return ModuleVersion(module, module, "unknown")
    name = candidates[0]
    return ModuleVersion(module, name, installed.version(name) or "unknown")


@dataclass
class _InstalledMetadata:
    """Versions and module owners read while the folders on `sys.path` stayed as `fingerprint` records them."""

    fingerprint: tuple[tuple[str, int], ...]
    versions: dict[str, str | None] = field(default_factory=dict)
    distributions: dict[str, list[str]] | None = None

    def version(self, distribution: str) -> str | None:
        if distribution not in self.versions:
            try:
                self.versions[distribution] = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                self.versions[distribution] = None
        return self.versions[distribution]

    def module_distributions(self) -> dict[str, list[str]]:
        if self.distributions is None:
            # A few tenths of a second: it reads the file list of every installed distribution.
            self.distributions = importlib.metadata.packages_distributions()
        return self.distributions


_known = _InstalledMetadata(fingerprint=())


def _installed() -> _InstalledMetadata:
    """Return the metadata of the installed distributions as they are now, read again after a change."""
    global _known
    fingerprint = _path_fingerprint()
    if fingerprint != _known.fingerprint:
        _known = _InstalledMetadata(fingerprint)
    return _known


def _path_fingerprint() -> tuple[tuple[str, int], ...]:
    # A folder's modification time changes when an entry in it is added, removed or renamed, and pip
    # replaces a distribution's `.dist-info` folder whenever it installs another version.
    # NOTE: a version edited by hand inside an existing METADATA file is seen only by a new process.
    stamps = []
    for entry in sys.path:
        try:
            stamps.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(stamps)
