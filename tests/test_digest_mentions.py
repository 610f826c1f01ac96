"""Links from digest items to papers, guide topics and the same story in other feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiki_tools.digest.items import Item
from wiki_tools.digest.mentions import (
    TopicMatcher,
    find_references,
    group_stories,
    hit_list_candidates,
    paper_mentions,
    story_key,
)
from wiki_tools.papers.library import load_bibliography

BIB = """\
@article{hu2021lora,
  title = {LoRA: Low-Rank Adaptation of Large Language Models},
  author = {Hu, Edward J. and Shen, Yelong},
  year = {2021},
  eprint = {2106.09685},
  archivePrefix = {arXiv},
}

@inproceedings{bender2021parrots,
  title = {On the Dangers of Stochastic Parrots},
  author = {Bender, Emily M.},
  year = {2021},
  doi = {10.1145/3442188.3445922},
}
"""


def make_item(number: int, *, feed: str = "Feed", day: int = 1, link: str | None = None, **fields) -> Item:
    return Item(
        feed=feed,
        id=f"item-{number}",
        title=fields.pop("title", f"Item {number}"),
        link=link if link is not None else f"https://news.example/{number}",
        published=f"2026-12-{day:02d}T10:00:00Z",
        date_source="feed",
        **fields,
    )


@pytest.fixture
def bibliography(tmp_path: Path):
    path = tmp_path / "papers.bib"
    path.write_text(BIB, encoding="utf-8")
    return load_bibliography(path)


@pytest.mark.parametrize(
    ("text", "arxiv", "dois"),
    [
        ("https://arxiv.org/abs/2106.09685", ("2106.09685",), ()),
        ("https://arxiv.org/abs/2106.09685v3", ("2106.09685",), ()),
        ("http://export.arxiv.org/pdf/2106.09685.pdf", ("2106.09685",), ()),
        ("https://arxiv.org/html/2106.09685v1", ("2106.09685",), ()),
        ("see arXiv:1706.03762 for details", ("1706.03762",), ()),
        ("ARXIV 1706.03762v5", ("1706.03762",), ()),
        ("https://arxiv.org/abs/cs/0112017", ("cs/0112017",), ()),
        ("https://arxiv.org/abs/math.GT/0309136v1", ("math.GT/0309136",), ()),
        ("https://doi.org/10.48550/arXiv.2005.11401", ("2005.11401",), ()),
        ("doi:10.1145/3442188.3445922.", (), ("10.1145/3442188.3445922",)),
        ("https://doi.org/10.1000%2FABC-123)", (), ("10.1000/abc-123",)),
        ('<a href="https://doi.org/10.18653/v1/2020.acl-main.463">x</a>', (), ("10.18653/v1/2020.acl-main.463",)),
        ("version 2106.09685 without context", (), ()),
        ("arXiv:2113.01234 has month 13", (), ()),
        ("price 10.5/kg", (), ()),
    ],
)
def test_find_references(text: str, arxiv: tuple, dois: tuple) -> None:
    assert find_references(text) == (arxiv, dois)


def test_paper_mentions_match_arxiv_and_doi(bibliography) -> None:
    items = [
        make_item(1, day=1, arxiv=("2106.09685",)),
        make_item(2, day=3, arxiv=("2106.09685",), feed="Other"),
        make_item(3, day=2, doi=("10.1145/3442188.3445922",)),
        make_item(4, day=2, arxiv=("9999.99999",)),
    ]

    mentions = paper_mentions(items, bibliography)

    assert set(mentions) == {"hu2021lora", "bender2021parrots"}
    assert [mention.title for mention in mentions["hu2021lora"]] == ["Item 2", "Item 1"]
    assert mentions["hu2021lora"][0].feed == "Other"
    assert mentions["hu2021lora"][0].link == "https://news.example/2"
    assert mentions["bender2021parrots"][0].date.day == 2


def test_paper_mentions_list_a_story_once(bibliography) -> None:
    shared = "https://story.example/lora-explained"
    items = [
        make_item(1, day=1, link=shared, arxiv=("2106.09685",), feed="First"),
        make_item(2, day=2, link=shared + "?utm_source=feed", arxiv=("2106.09685",), feed="Second"),
        make_item(3, day=3, arxiv=("2106.09685",), feed="Third"),
    ]

    mentions = paper_mentions(items, bibliography)["hu2021lora"]

    assert len(mentions) == 2
    assert mentions[0].feed == "Third"
    assert mentions[1].feed == "First, Second"


def test_candidates_need_repeated_mentions(bibliography) -> None:
    items = [
        make_item(1, arxiv=("2005.11401",)),
        make_item(2, arxiv=("2005.11401", "2106.09685"), day=4),
        make_item(3, arxiv=("2305.14314",)),
        make_item(4, arxiv=("2106.09685",)),
        make_item(5, doi=("10.1000/xyz",)),
        make_item(6, doi=("10.1000/xyz",)),
        make_item(7, doi=("10.1000/xyz",), day=2),
    ]

    candidates = hit_list_candidates(items, bibliography, min_mentions=2)

    assert [(candidate.identifier, candidate.count) for candidate in candidates] == [
        ("10.1000/xyz", 3),
        ("2005.11401", 2),
    ]
    assert candidates[0].command is None
    assert candidates[0].url == "https://doi.org/10.1000/xyz"
    assert candidates[1].command == "wiki-tools papers add 2005.11401"
    assert candidates[1].url == "https://arxiv.org/abs/2005.11401"
    assert candidates[1].mentions[0].title == "Item 2"


def test_candidates_count_shared_story_once() -> None:
    shared = "https://news.example/shared"
    items = [
        make_item(1, feed="A", link=shared, arxiv=("2305.14314",)),
        make_item(2, feed="B", link=shared + "?utm_source=b", arxiv=("2305.14314",), day=2),
        make_item(3, feed="C", link="https://www.news.example/shared/", arxiv=("2305.14314",), day=3),
        make_item(4, feed="A", arxiv=("2305.14314",), day=4),
    ]

    [candidate] = hit_list_candidates(items, None, min_mentions=2)

    assert candidate.count == 2
    assert [mention.title for mention in candidate.mentions] == ["Item 4", "Item 1"]
    assert candidate.mentions[1].feed == "A, B, C"
    assert candidate.mentions[1].link == shared


def test_candidates_threshold_counts_stories() -> None:
    shared = "https://news.example/shared"
    items = [make_item(number, feed=f"Feed {number}", link=shared, arxiv=("2305.14314",)) for number in (1, 2, 3)]

    assert hit_list_candidates(items, None, min_mentions=2) == []


def test_candidates_without_bibliography() -> None:
    items = [make_item(1, arxiv=("2106.09685",)), make_item(2, arxiv=("2106.09685",))]

    assert [candidate.identifier for candidate in hit_list_candidates(items, None)] == ["2106.09685"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Merging LoRA adapters", ["LoRA"]),
        ("QLoRA on one GPU", ["LoRA"]),
        ("LoRa radio modules", []),
        ("A new RAG benchmark", ["RAG"]),
        ("a rag doll", []),
        ("Retrieval-Augmented Generation at scale", ["RAG"]),
        ("Few-shot prompting tricks", ["Few-shot prompting"]),
        ("We fine-tuned Llama", ["Fine-tuning"]),
        ("Fine-Tuning guide", ["Fine-tuning"]),
        ("Agentic workflows", ["Agents"]),
        ("Reagents in chemistry", []),
        ("LoRA fine-tuning for agents", ["LoRA", "Fine-tuning", "Agents"]),
        ("İstanbul meetup on LoRA and rag", ["LoRA"]),
        ("agents_of_chaos and fine-tuned_model", []),
    ],
)
def test_topic_matcher(text: str, expected: list[str]) -> None:
    assert [topic.title for topic in TopicMatcher().find(text)] == expected


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://www.example.com/story/", "http://example.com/story"),
        ("https://example.com/story?utm_source=tldr&utm_medium=email", "https://example.com/story"),
        ("https://example.com/story#comments", "https://example.com/story"),
        ("https://Example.com/story?id=1&ref=newsletter", "https://example.com/story?id=1"),
    ],
)
def test_story_key_ignores_noise(first: str, second: str) -> None:
    assert story_key(make_item(1, link=first)) == story_key(make_item(2, link=second))


def test_story_key_keeps_meaningful_query() -> None:
    assert story_key(make_item(1, link="https://x.example/?id=1")) != story_key(
        make_item(2, link="https://x.example/?id=2")
    )


def test_group_stories_names_every_feed() -> None:
    items = [
        make_item(1, feed="TLDR AI", link="https://lab.example/post?utm_source=tldr", day=1),
        make_item(2, feed="Import AI", link="https://lab.example/post/", day=3),
        make_item(3, feed="TLDR AI", link="https://other.example/"),
        make_item(4, feed="Import AI", link="https://lab.example/post", day=2),
    ]

    stories = group_stories(items)

    assert len(stories) == 2
    assert stories[0].feeds == ["TLDR AI", "Import AI"]
    assert len(stories[0].items) == 3
    assert stories[1].feeds == ["TLDR AI"]
    assert stories[0].lead.id == "item-1"


def test_items_without_link_are_separate_stories() -> None:
    items = [make_item(1, link=""), make_item(2, link="")]

    assert len(group_stories(items)) == 2
