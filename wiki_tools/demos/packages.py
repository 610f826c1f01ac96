"""Find which installed distribution provides each module a demo imports, and its version.

Nothing here imports the modules themselves: `importlib.util.find_spec` on a top-level name and
`importlib.metadata` only read files, so checking a demo that uses PyTorch does not load PyTorch.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from functools import cache

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

    if distribution is not None:
        try:
            return ModuleVersion(module, distribution, importlib.metadata.version(distribution))
        except importlib.metadata.PackageNotFoundError:
            pass

    candidates = sorted(_module_distributions().get(module, []))
    if not candidates:
        return ModuleVersion(module, module, "unknown")
    name = candidates[0]
    return ModuleVersion(module, name, importlib.metadata.version(name))


@cache
def _module_distributions() -> dict[str, list[str]]:
    # Reading every installed distribution's metadata takes a few tenths of a second, so it runs once per process.
    return importlib.metadata.packages_distributions()
