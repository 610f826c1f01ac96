"""The metadata cache: serialisation, corrupt files, atomic writes, drift, staleness and titles."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wiki_tools.papers.metadata import (
    ArxivRecord,
    MetadataCacheError,
    diff_metadata,
    dump_metadata,
    is_withdrawn,
    load_metadata,
    lookup_record,
    prune_metadata,
    save_metadata,
    select_stale,
    titles_differ,
)

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


def make_record(arxiv_id: str = "1706.03762", **changes: object) -> ArxivRecord:
    record = ArxivRecord(
        arxiv_id=arxiv_id,
        title="Attention Is All You Need",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        abstract="The dominant sequence transduction models...",
        primary_category="cs.CL",
        categories=["cs.CL", "cs.LG"],
        published="2017-06-12T17:57:34Z",
        updated="2023-08-02T00:41:18Z",
        version=5,
        doi=None,
        journal_ref=None,
        comment="15 pages, 5 figures",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v5",
        withdrawn=False,
        fetched_at="2026-12-01T10:00:00Z",
    )
    return replace(record, **changes)


# ---- Reading and writing ----


def test_save_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "data" / "arxiv" / "metadata.json"
    records = {"1706.03762": make_record(), "hep-th/9901001": make_record("hep-th/9901001", doi="10.1/x")}
    save_metadata(path, records)
    assert load_metadata(path) == records


def test_dump_is_sorted_and_stable() -> None:
    first = {"2106.09685": make_record("2106.09685"), "1706.03762": make_record()}
    second = {"1706.03762": make_record(), "2106.09685": make_record("2106.09685")}
    text = dump_metadata(first)

    assert text == dump_metadata(second)
    assert text.endswith("}\n")
    assert text.index('"1706.03762"') < text.index('"2106.09685"')
    record = json.loads(text)["papers"]["1706.03762"]
    assert list(record) == sorted(record)
    assert record["journal_ref"] is None
    assert "arxiv_id" not in record
    assert '"Ashish Vaswani",\n' in text  # one author per line keeps diffs small


def test_missing_cache_is_empty(tmp_path: Path) -> None:
    assert load_metadata(tmp_path / "absent.json") == {}


def test_corrupt_cache_named_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    path.write_text('{"schema_version": 1, "papers": {', encoding="utf-8")
    with pytest.raises(MetadataCacheError) as caught:
        load_metadata(path)

    message = str(caught.value)
    assert str(path) in message
    assert "line 1" in message
    assert path.read_text(encoding="utf-8") == '{"schema_version": 1, "papers": {'


def test_invalid_record_names_id(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    save_metadata(path, {"1706.03762": make_record()})
    document = json.loads(path.read_text(encoding="utf-8"))
    document["papers"]["1706.03762"]["version"] = "five"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(MetadataCacheError, match=r"'1706\.03762'.*'version'"):
        load_metadata(path)


def test_wrong_layout_rejected(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(MetadataCacheError, match="'papers' object"):
        load_metadata(path)


def test_failed_save_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "metadata.json"
    save_metadata(path, {"1706.03762": make_record()})
    before = path.read_bytes()

    # Fail after the new content is written to the temporary file but before it replaces the target.
    def interrupted_fsync(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        save_metadata(path, {"1706.03762": make_record(version=6), "1810.04805": make_record("1810.04805")})

    assert path.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["metadata.json"]


# ---- Staleness and pruning ----


def test_select_stale_by_age() -> None:
    records = {
        "1706.03762": make_record(fetched_at="2026-12-03T20:00:00Z"),
        "1810.04805": make_record("1810.04805", fetched_at="2026-10-01T00:00:00Z"),
    }
    ids = ["1706.03762", "1810.04805", "2106.09685"]
    assert select_stale(ids, records, 7, NOW) == ["1810.04805", "2106.09685"]
    assert select_stale(ids, records, 0, NOW) == ids
    assert select_stale(ids, records, 365, NOW) == ["2106.09685"]


def test_prune_drops_unused_records() -> None:
    records = {"1706.03762": make_record(), "1810.04805": make_record("1810.04805")}
    kept, dropped = prune_metadata(records, ["1706.03762"])
    assert list(kept) == ["1706.03762"]
    assert dropped == ["1810.04805"]


# ---- Drift ----


def test_diff_lists_each_change() -> None:
    old = {
        "1706.03762": make_record(),
        "1810.04805": make_record("1810.04805"),
        "2302.01234": make_record("2302.01234"),
        "2106.09685": make_record("2106.09685"),
    }
    new = {
        "1706.03762": make_record(version=7),
        "1810.04805": make_record("1810.04805", doi="10.18653/v1/N19-1423", journal_ref="NAACL 2019"),
        "2302.01234": make_record("2302.01234", withdrawn=True, version=6),
        "2106.09685": make_record("2106.09685", fetched_at="2026-12-04T00:00:00Z"),
        "2005.11401": make_record("2005.11401"),
    }
    report = diff_metadata(old, new)

    assert report.new_versions == [("1706.03762", 5, 7), ("2302.01234", 5, 6)]
    assert report.gained_doi == [("1810.04805", "10.18653/v1/N19-1423")]
    assert report.gained_journal_ref == [("1810.04805", "NAACL 2019")]
    assert report.withdrawn == ["2302.01234"]
    assert report.added == ["2005.11401"]


def test_diff_of_equal_caches_is_empty() -> None:
    records = {"1706.03762": make_record()}
    assert not diff_metadata(records, {"1706.03762": make_record(fetched_at="2026-12-04T00:00:00Z")})


# ---- Titles, labels, withdrawal ----


@pytest.mark.parametrize(
    ("bib_title", "arxiv_title"),
    [
        (
            "{BERT}: Pre-training of Deep Bidirectional Transformers",
            "BERT: Pre-Training of Deep Bidirectional Transformers",
        ),
        ("Attention is all you need", "Attention Is All You Need."),
        (
            "Retrieval-Augmented Generation for Knowledge-Intensive {NLP} Tasks",
            "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks",
        ),
        ('Analyse de M{\\"u}ller', "Analyse de Müller"),
        ("Pre-training  and\nFine-tuning", "Pretraining & Fine-Tuning"),
    ],
)
def test_titles_same_beyond_case_and_punctuation(bib_title: str, arxiv_title: str) -> None:
    assert not titles_differ(bib_title, arxiv_title)


def test_titles_differ_for_other_paper() -> None:
    assert titles_differ("Attention Is All You Need", "Deep Residual Learning for Image Recognition")
    assert titles_differ("Attention Is All You Need", "Attention Is Not All You Need")


def test_version_label_forms() -> None:
    assert make_record().version_label == "v5, updated 2023-08-02"
    assert make_record(version=1, updated="2017-06-12T17:57:34Z").version_label == "v1, submitted 2017-06-12"
    assert make_record(version=3, withdrawn=True).version_label == "v3, withdrawn 2023-08-02"


def test_withdrawn_detection() -> None:
    assert is_withdrawn("This paper has been withdrawn by the author", "")
    assert is_withdrawn(None, "This paper has been withdrawn due to a flaw in Lemma 2.")
    assert is_withdrawn(None, "Withdrawn.")
    assert not is_withdrawn("15 pages, 5 figures", "We study withdrawn loans in credit markets.")


def test_lookup_normalises_eprint() -> None:
    records = {"math/0309136": make_record("math/0309136"), "1706.03762": make_record()}
    assert lookup_record(records, "math.GT/0309136") is records["math/0309136"]
    assert lookup_record(records, "arXiv:1706.03762v5") is records["1706.03762"]
    assert lookup_record(records, "not an id") is None
    assert lookup_record(records, "2106.09685") is None


def test_cache_error_single_full_stop(tmp_path: Path) -> None:
    message = str(MetadataCacheError(tmp_path / "metadata.json", "the record is broken."))
    assert "broken. Fix it" in message
    assert ".." not in message
