"""Atomic file replacement and file locks, shared by every writer in the package.

A reader of any file written here sees either the old content or the new content, never a
half-written file, because each write goes to a temporary file in the same folder and is then
renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LockBusyError", "atomic_write_bytes", "atomic_write_text", "locked", "remove_stale_temporary_files"]

STALE_TEMPORARY_SECONDS = 60.0
"""Age after which a temporary file of `atomic_write_bytes` counts as left behind by a killed writer."""


class LockBusyError(RuntimeError):
    """Raised when another process holds a lock for longer than the caller will wait."""

    def __init__(self, lock_path: Path, timeout_seconds: float) -> None:
        super().__init__(
            f"{lock_path} is held by another process (waited {timeout_seconds:g} s). "
            "Wait for the other run to finish, or delete the lock file if no other run is alive."
        )
        self.lock_path = lock_path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` in one step, creating parent folders as needed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)

    # The temporary file must sit in the same folder, because a rename is only atomic within one file system.
    handle, temporary_name = tempfile.mkstemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temporary_name, target.stat().st_mode & 0o777)
        else:
            os.chmod(temporary_name, 0o644)
        os.replace(temporary_name, target)
    except BaseException:
        Path(temporary_name).unlink(missing_ok=True)
        raise


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}."


def remove_stale_temporary_files(
    path: str | os.PathLike[str], older_than_seconds: float = STALE_TEMPORARY_SECONDS
) -> list[Path]:
    """Delete the temporary files that killed writes of `path` left beside it, and return their paths.

    Call it only while holding the lock of every writer of `path`: a younger temporary file may
    belong to a write still under way, so only files older than `older_than_seconds` are removed.
    """
    target = Path(path)
    if not target.parent.is_dir():
        return []

    removed = []
    cutoff = time.time() - older_than_seconds
    for candidate in target.parent.glob(f"{_temporary_prefix(target)}*.tmp"):
        try:
            if candidate.is_file() and candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                removed.append(candidate)
        except FileNotFoundError:
            # Another process removed it between the listing and the check.
            continue
    return removed


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with UTF-8 `text` in one step. Line endings are written as given."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def locked(lock_path: str | os.PathLike[str], timeout_seconds: float = 0) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` for the duration of the block.

    Raises:
        LockBusyError: another process still holds the lock after `timeout_seconds`.
    """
    # Imported here: filelock takes about 10 ms to import, and a build that executes nothing takes no lock.
    from filelock import FileLock, Timeout

    path = Path(lock_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=timeout_seconds)
    except Timeout:
        raise LockBusyError(path, timeout_seconds) from None
    try:
        yield
    finally:
        lock.release()
