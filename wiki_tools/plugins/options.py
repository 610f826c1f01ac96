"""Option types shared by the wiki's plugins, validated as MkDocs validates its own options."""

from __future__ import annotations

from pathlib import PurePosixPath

from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError

__all__ = ["SiteFolder", "WholeNumber"]


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
