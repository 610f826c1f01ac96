"""Turn the LaTeX found in BibTeX fields into plain Unicode text for display."""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

__all__ = ["latex_to_text"]

_converter = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
# Leaves `$x^2$` and `\\(x^2\\)` as written, for text whose math the site typesets with KaTeX.
_math_keeping_converter = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def latex_to_text(value: str, keep_math: bool = False) -> str:
    """Convert a BibTeX field value to Unicode: accents, dashes, protective braces and simple macros.

    `M{\\"u}ller` becomes `Müller`, `{BERT}` becomes `BERT` and `--` becomes an en dash. Math such as
    `$x^2$` becomes `x^2`, or stays as written with `keep_math`. Text that pylatexenc cannot parse is
    returned with its braces removed rather than raising, because a display string must never stop a build.
    """
    if not any(character in value for character in "\\{}$~-'`"):
        return _SPACES.sub(" ", value).strip()

    converter = _math_keeping_converter if keep_math else _converter
    try:
        text = converter.latex_to_text(value)
    except Exception:  # pylatexenc raises several unrelated types on odd input
        text = value.replace("{", "").replace("}", "")
    return _SPACES.sub(" ", text).strip()
