"""Parsing the arXiv identifier forms that editors paste."""

from __future__ import annotations

import pytest

from wiki_tools.papers.arxiv_ids import ArxivId, InvalidArxivIdError, parse_arxiv_id

ACCEPTED = [
    ("1706.03762", "1706.03762", None),
    ("1706.03762v5", "1706.03762", 5),
    ("arXiv:1706.03762", "1706.03762", None),
    ("arxiv: 1706.03762v2", "1706.03762", 2),
    ("https://arxiv.org/abs/1706.03762v2", "1706.03762", 2),
    ("https://arxiv.org/abs/1706.03762/", "1706.03762", None),
    ("https://arxiv.org/pdf/1706.03762.pdf", "1706.03762", None),
    ("https://arxiv.org/pdf/1706.03762v3.pdf", "1706.03762", 3),
    ("https://arxiv.org/pdf/1706.03762", "1706.03762", None),
    ("http://export.arxiv.org/abs/1706.03762", "1706.03762", None),
    ("https://export.arxiv.org/pdf/1706.03762v1", "1706.03762", 1),
    ("https://www.arxiv.org/abs/2106.09685?context=cs", "2106.09685", None),
    ("arxiv.org/abs/2106.09685", "2106.09685", None),
    ("https://arxiv.org/html/2402.00001v1", "2402.00001", 1),
    ("hep-th/9901001", "hep-th/9901001", None),
    ("hep-th/9901001v2", "hep-th/9901001", 2),
    ("math.GT/0309136", "math/0309136", None),
    ("cond-mat.stat-mech/0101001", "cond-mat/0101001", None),
    ("https://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001", 1),
    ("https://arxiv.org/pdf/math.GT/0309136.pdf", "math/0309136", None),
    ("10.48550/arXiv.1706.03762", "1706.03762", None),
    ("doi:10.48550/arxiv.1706.03762", "1706.03762", None),
    ("https://doi.org/10.48550/arXiv.1706.03762", "1706.03762", None),
    ("10.48550/arXiv.hep-th/9901001", "hep-th/9901001", None),
    ("  <1706.03762>  ", "1706.03762", None),
    ("0704.0001", "0704.0001", None),
]

REJECTED = [
    ("abc", "not a known identifier form"),
    ("", "empty"),
    ("1706.3762", "5-digit number"),
    ("17060.3762", "not a known identifier form"),
    ("0808.05394", "4-digit number"),
    ("1501.0001", "5-digit number"),
    ("1713.00001", "month 13"),
    ("0703.0001", "start in April 2007"),
    ("hep-th/0705001", "run from 9108 to 0703"),
    ("1706.03762v0", "versions start at v1"),
    ("https://example.org/abs/1706.03762", "not to arxiv.org"),
    ("https://arxiv.org/list/cs.CL/recent", "/abs/, /pdf/ or /html/"),
    ("10.18653/v1/N19-1423", "only arXiv's own DOIs"),
    ("ftp://arxiv.org/abs/1706.03762", "http or https"),
]


@pytest.mark.parametrize(("text", "base", "version"), ACCEPTED)
def test_parse_accepted_form(text: str, base: str, version: int | None) -> None:
    identifier = parse_arxiv_id(text)
    assert identifier.base == base
    assert identifier.version == version


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_parse_rejected_form(text: str, reason: str) -> None:
    with pytest.raises(InvalidArxivIdError) as caught:
        parse_arxiv_id(text)
    assert repr(text) in str(caught.value)
    assert reason in str(caught.value)


def test_unknown_form_lists_accepted_forms() -> None:
    with pytest.raises(InvalidArxivIdError, match=r"arXiv:1706\.03762, https://arxiv\.org/abs/"):
        parse_arxiv_id("attention is all you need")


def test_year_and_scheme() -> None:
    assert parse_arxiv_id("1706.03762").year == 2017
    assert parse_arxiv_id("hep-th/9901001").year == 1999
    assert parse_arxiv_id("math/0309136").year == 2003
    assert parse_arxiv_id("hep-th/9901001").is_old_style
    assert not parse_arxiv_id("1706.03762").is_old_style


def test_versioned_string() -> None:
    assert str(ArxivId("1706.03762", 5)) == "1706.03762v5"
    assert str(ArxivId("1706.03762")) == "1706.03762"
    assert ArxivId("hep-th/9901001").abs_url == "https://arxiv.org/abs/hep-th/9901001"
