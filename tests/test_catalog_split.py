"""Splitting `papers.bib` into entries for the catalog cache: line numbers survive the split and the cache."""

from __future__ import annotations

from pathlib import Path

from wiki_tools.papers.catalog import load_catalog

BIB = """% Exported by a reference manager.

@article{first2020,
  author = {M{\\"u}ller, Anna},
  title = {First},
  year = 2020,
}
@misc{second2021,
  author = {Ng, Bo},
  title = {Second
           on two lines},
  year = {2021},
}


  @book{third2022,
  author = {Garc{\\'i}a, Carla},
  title = {Third},
  publisher = {Press},
  year = {2022},
}
"""


def test_entry_lines_after_split(tmp_path: Path) -> None:
    bib = tmp_path / "papers.bib"
    bib.write_text(BIB, encoding="utf-8")

    catalog = load_catalog(bib, tmp_path / "cache")

    assert catalog.parsed_count == 3
    assert catalog.entries["first2020"].line == 3
    assert catalog.entries["second2021"].line == 8
    assert catalog.entries["third2022"].line == 16


def test_entry_lines_from_cache(tmp_path: Path) -> None:
    bib = tmp_path / "papers.bib"
    bib.write_text(BIB, encoding="utf-8")
    load_catalog(bib, tmp_path / "cache")

    # Two lines inserted at the top move every entry, but the cached entries are reused.
    bib.write_text("% Header\n\n" + BIB, encoding="utf-8")
    catalog = load_catalog(bib, tmp_path / "cache")

    assert catalog.parsed_count == 0
    assert catalog.entries["first2020"].line == 5
    assert catalog.entries["second2021"].line == 10
    assert catalog.entries["third2022"].line == 18


BROKEN = """@article{good2020,
  title = {Good}, author = {Ann, Bo}, year = {2020},
}

@article{unclosed2024,
  title = {An {unclosed brace,
  author = {Cy, Di},
  year = {2024},
}

@article{m{\\"u}ller2024, title = {T}, author = {Ed, Fa}, year = {2024}}

@article{next2021,
  title = {Next}, author = {Gu, Ha}, year = {2021},
}
"""


def test_broken_entries_named_clearly(tmp_path: Path) -> None:
    bib = tmp_path / "papers.bib"
    bib.write_text(BROKEN, encoding="utf-8")

    catalog = load_catalog(bib)

    assert sorted(catalog.entries) == ["good2020", "next2021"]
    unclosed, bad_key = catalog.problems
    assert (unclosed.line, unclosed.key) == (5, "unclosed2024")
    assert "a brace or quote opened in this entry is never closed" in unclosed.message
    assert "end of file" not in unclosed.message
    assert bad_key.line == 11
    assert "contains a brace, quote or backslash" in bad_key.message
