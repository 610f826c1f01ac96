"""Option types shared by the wiki's plugins, validated as MkDocs validates its own options."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.exceptions import PluginError

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

__all__ = ["SiteFolder", "WholeNumber", "resolve_work_folder"]


class SiteFolder(c.Type):
    """A folder of the built site, given relative to the site's root, such as `assets/katex`.

    An absolute path, a URL or a `..` segment is rejected, because the plugin would write outside
    the site or make pages load files from another host.
    """

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        text = super().run_validation(value)
        folder = text.strip("/")
        if "://" in text or text.startswith(("/", "\\")) or ".." in PurePosixPath(folder).parts or not folder:
            raise ValidationError(f"Expected a folder inside the site, such as 'assets/wiki', received {text!r}.")
        return folder


class WholeNumber(c.Type):
    """An integer no smaller than `minimum`."""

    def __init__(self, default: int, minimum: int = 0) -> None:
        super().__init__(int, default=default)
        self.minimum = minimum

    def run_validation(self, value: object) -> int:
        number = super().run_validation(value)
        if isinstance(number, bool) or number < self.minimum:
            raise ValidationError(f"Expected a whole number of at least {self.minimum}, received {number!r}.")
        return number


def resolve_work_folder(value: str, config: MkDocsConfig, option: str, plugin: str) -> Path | None:
    """Resolve a cache or work folder option against the folder of `mkdocs.yml`; None for an empty value.

    `~` stands for the home folder. A folder inside `docs_dir` is rejected, because MkDocs would
    publish the files written there and `mkdocs serve` would rebuild after every write.
    """
    text = value.strip()
    if not text:
        return None

    folder = (Path(config.config_file_path).parent / Path(text).expanduser()).resolve()
    docs = Path(config.docs_dir).resolve()
    if folder == docs or docs in folder.parents:
        raise PluginError(
            f"Option '{option}' of the '{plugin}' plugin: {text!r} is inside docs_dir ({config.docs_dir}). "
            "Choose a folder outside it, such as '.cache/...'."
        )
    return folder
