"""Writing to papers.bib: citation keys, new entries, byte preservation and in-place field updates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from wiki_tools.papers.bibwriter import (
    BibWriteError,
    append_entries,
    arxiv_ids_in_bib,
    format_entry,
    make_citation_key,
    scan_entries,
    set_entry_fields,
)
from wiki_tools.papers.library import parse_bibliography

from .arxiv_server import FIXTURES
from .test_arxiv_metadata import make_record

ODD_BIB = FIXTURES / "odd.bib"


# ---- Keys ----


@pytest.mark.parametrize(
    ("author", "title", "year", "key"),
    [
        ("Ashish Vaswani", "Attention Is All You Need", "2017", "vaswani2017attention"),
        ("Jacob Devlin", "BERT: Pre-training of Deep Bidirectional Transformers", "2018", "devlin2018bert"),
        ("Tom B. Brown", "Language Models are Few-Shot Learners", "2020", "brown2020language"),
        ("Laurens van der Maaten", "On the Visualization of Data", "2008", "vandermaaten2008visualization"),
        ("Łukasz Kaiser", "The Art of $O(n)$ Attention", "2019", "kaiser2019art"),
        ("Jörg Müller", "Towards a Theory of Everything", "2020", "muller2020theory"),
        ("Ada Lovelace", "Is It Worth It?", "2021", "lovelace2021worth"),
    ],
)
def test_key_author_year_word(author: str, title: str, year: str, key: str) -> None:
    record = make_record(authors=[author], title=title, published=f"{year}-01-05T00:00:00Z")
    assert make_citation_key(record, []) == key


def test_key_collision_gets_suffix() -> None:
    record = make_record()
    assert make_citation_key(record, ["vaswani2017attention"]) == "vaswani2017attentiona"
    assert make_citation_key(record, ["Vaswani2017Attention", "vaswani2017attentiona"]) == "vaswani2017attentionb"


# ---- Formatting ----


def test_formatted_entry_parses() -> None:
    record = make_record(
        title="LoRA & GPT-3: 100% of $O(n^2)$",
        authors=["Edward J. Hu", "Laurens van der Maaten", "John Smith Jr.", "The ATLAS Collaboration"],
        journal_ref="Nature 521, 436-444 (2015)",
        doi="10.1038/nature14539",
    )
    text = format_entry("hu2017lora", record, "2026-12-04")
    bibliography = parse_bibliography(text, Path("new.bib"))

    assert bibliography.problems == []
    paper = bibliography.get("hu2017lora")
    assert paper.entry_type == "article"
    assert paper.fields["title"] == r"{LoRA} \& {GPT-3}: 100\% of $O(n^2)$"
    assert paper.authors == ("Edward J. Hu", "Laurens van der Maaten", "John Smith Jr.", "The ATLAS Collaboration")
    assert paper.author_last_names[1] == "van der Maaten"
    assert paper.fields["journal"] == "Nature 521, 436-444 (2015)"
    assert paper.arxiv_id == "1706.03762"
    assert paper.fields["primaryclass"] == "cs.CL"
    assert paper.doi == "10.1038/nature14539"
    assert paper.year == "2017"
    assert paper.added == "2026-12-04"


def test_preprint_is_misc() -> None:
    text = format_entry("vaswani2017attention", make_record(), "2026-12-04")
    assert text.startswith("@misc{vaswani2017attention,\n  title         = {Attention Is All You Need},\n")
    assert text.endswith("\n}")
    assert "journal" not in text


# Records with values that arXiv should never send but that a mirror or a broken response could.
HOSTILE_RECORDS = {
    "brace in doi": ({"doi": '10.1/"}><script>'}, None, None),
    "brace in category and id": ({"primary_category": "cs.CL}", "arxiv_id": "1706.03762{"}, None, None),
    "empty author": ({"authors": ["", "Second Author", "  "]}, None, ("Second Author",)),
    "lone opening brace": ({"title": r"α-Net: a \textbf{bold claim title"}, "α-Net: a bold claim title", None),
    "lone closing brace": ({"title": "Braces } in the {middle} of it"}, "Braces in the middle of it", None),
    "braces in journal and author": (
        {"journal_ref": "Proc. {ACL 2020", "authors": ["Ada {Love}lace}", "Grace Hopper"]},
        None,
        ("Ada Lovelace", "Grace Hopper"),
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_RECORDS))
def test_hostile_record_entry_parses(case: str) -> None:
    changes, title, authors = HOSTILE_RECORDS[case]
    record = make_record(**changes)
    text = format_entry("key2017", record, "2026-12-04")
    bibliography = parse_bibliography(text, Path("new.bib"))

    assert [str(problem) for problem in bibliography.problems] == []
    assert list(bibliography.papers) == ["key2017"]
    paper = bibliography.get("key2017")
    assert paper.title == (title or record.title)
    assert paper.authors == (authors or tuple(record.authors))
    assert " and Second" not in text


def test_hostile_doi_keeps_other_characters() -> None:
    text = format_entry("key2017", make_record(doi='10.1/"}><script>'), "2026-12-04")
    assert parse_bibliography(text, Path("new.bib")).get("key2017").doi == '10.1/"><script>'


def test_set_fields_balances_braces() -> None:
    text = "@misc{a,\n  title = {A},\n  doi = {10.48550/arXiv.1}\n}\n"
    changed = set_entry_fields(text, "a", {"doi": "10.1/}x", "journal": "J. {Open"}, "article")
    bibliography = parse_bibliography(changed, Path("new.bib"))

    assert bibliography.problems == []
    assert bibliography.get("a").doi == "10.1/x"
    assert bibliography.get("a").fields["journal"] == "J. {}Open"


# ---- Reading raw text ----


def test_scan_odd_file() -> None:
    spans = scan_entries(ODD_BIB.read_text(encoding="utf-8"))
    # BibTeX reads the entry written inside the @comment braces too, and so does pybtex.
    assert [span.key for span in spans] == ["fake", "Vaswani2017Attention", "lora:2021", "müller2020"]


def test_arxiv_ids_found_in_eprint_and_url() -> None:
    found = arxiv_ids_in_bib(ODD_BIB.read_text(encoding="utf-8"))
    assert found == {"1706.03762": "Vaswani2017Attention", "2106.09685": "lora:2021"}


def test_unbalanced_braces_rejected() -> None:
    with pytest.raises(BibWriteError, match="line 3"):
        scan_entries("% header\n\n@misc{broken,\n  title = {Open\n")


# ---- Appending ----


def test_append_preserves_existing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    shutil.copyfile(ODD_BIB, path)
    before = path.read_bytes()
    assert not before.endswith(b"\n")

    append_entries(path, [format_entry("vaswani2017attentiona", make_record(), "2026-12-04")])

    after = path.read_bytes()
    assert after[: len(before)] == before
    assert after[len(before) :].startswith(b"\n\n@misc{vaswani2017attentiona,\n")
    assert after.endswith(b"}\n")
    bibliography = parse_bibliography(after.decode("utf-8"), path)
    assert bibliography.problems == []
    assert list(bibliography.papers) == [
        "fake",
        "Vaswani2017Attention",
        "lora:2021",
        "müller2020",
        "vaswani2017attentiona",
    ]


def test_append_keeps_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    before = ODD_BIB.read_bytes().replace(b"\n", b"\r\n") + b"\r\n"
    path.write_bytes(before)

    append_entries(
        path, [format_entry("a", make_record(), "2026-12-04"), format_entry("b", make_record(), "2026-12-04")]
    )

    added = path.read_bytes()[len(before) :]
    assert path.read_bytes().startswith(before)
    assert added.startswith(b"\r\n@misc{a,\r\n")
    assert b"}\r\n\r\n@misc{b,\r\n" in added
    assert b"\n" not in added.replace(b"\r\n", b"")


def test_append_creates_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "papers.bib"
    append_entries(path, [format_entry("a", make_record(), "2026-12-04")])
    assert path.read_text(encoding="utf-8").startswith("@misc{a,\n")


# ---- Updating one entry ----


def test_set_fields_touches_only_that_entry() -> None:
    text = ODD_BIB.read_text(encoding="utf-8")
    span = next(span for span in scan_entries(text) if span.key == "lora:2021")

    updated = set_entry_fields(text, "lora:2021", {"doi": "10.1/lora", "journal": "ICLR & friends"}, "article")

    assert updated[: span.start] == text[: span.start]
    assert updated.endswith(text[span.end :])
    entry = updated[span.start : len(updated) - len(text) + span.end]
    assert entry.startswith("@article( lora:2021,\n")
    assert "    url      =    {https://arxiv.org/abs/2106.09685v2},\n    doi      = {10.1/lora},\n" in entry
    assert "    journal  = {ICLR \\& friends},\n)" in entry
    paper = parse_bibliography(updated, Path("papers.bib")).get("lora:2021")
    assert paper.doi == "10.1/lora"
    assert paper.entry_type == "article"


def test_set_fields_replaces_value_in_place() -> None:
    text = ODD_BIB.read_text(encoding="utf-8")
    updated = set_entry_fields(text, "Vaswani2017Attention", {"year": "2018"})
    assert updated == text.replace("\tyear=2017,", "\tyear={2018},")


def test_set_fields_without_trailing_comma() -> None:
    text = "@misc{a,\n  title = {T},\n  year  = {2020}\n}\n"
    updated = set_entry_fields(text, "a", {"doi": "10.1/x"})
    assert updated == "@misc{a,\n  title = {T},\n  year  = {2020},\n  doi   = {10.1/x}\n}\n"


def test_set_fields_unknown_key() -> None:
    with pytest.raises(BibWriteError, match="'nokey'"):
        set_entry_fields("@misc{a, title={T}}", "nokey", {"doi": "x"})


def test_interrupted_append_keeps_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "papers.bib"
    shutil.copyfile(ODD_BIB, path)

    # Fail after the new content is in the temporary file but before it replaces papers.bib.
    def interrupted_fsync(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        append_entries(path, [format_entry("a", make_record(), "2026-12-04")])

    assert path.read_bytes() == ODD_BIB.read_bytes()
    assert [entry.name for entry in tmp_path.iterdir()] == ["papers.bib"]
