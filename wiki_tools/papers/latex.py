"""Turn the LaTeX found in BibTeX fields into plain Unicode text for display."""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

__all__ = ["latex_to_text"]

_converter = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def latex_to_text(value: str) -> str:
    """Convert a BibTeX field value to Unicode: accents, dashes, protective braces and simple macros.

    `M{\\"u}ller` becomes `Müller`, `{BERT}` becomes `BERT` and `--` becomes an en dash. Text that
    pylatexenc cannot parse is returned with its braces removed rather than raising, because a
    display string must never stop a build.
    """
    if not any(character in value for character in "\\{}$~-'`"):
        return _SPACES.sub(" ", value).strip()

    try:
        text = _converter.latex_to_text(value)
    except Exception:  # pylatexenc raises several unrelated types on odd input
        text = value.replace("{", "").replace("}", "")
    return _SPACES.sub(" ", text).strip()
