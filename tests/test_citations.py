"""Finding Pandoc-style citations in Markdown."""

from __future__ import annotations

import pytest

from wiki_tools.papers.citations import Citation, find_citations, replace_citations


def keys_of(markdown: str) -> list[tuple[str, ...]]:
    return [group.keys for group in find_citations(markdown)]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("See [@vaswani2017attention].", [("vaswani2017attention",)]),
        ("Both [@a; @b] agree.", [("a", "b")]),
        ("Exact [@brown2020language, p. 5].", [("brown2020language",)]),
        ("Prefix [see @a, pp. 3--4; also @b].", [("a", "b")]),
        ("Year only [-@a].", [("a",)]),
        ("Keys with punctuation [@doe:2020.x-y].", [("doe:2020.x-y",)]),
        ("Sentence end [@key2019title.]", [("key2019title",)]),
        ("Before a colon [@brown2020language, sec. 2]: text.", [("brown2020language",)]),
        ("Colon at the end [@a]:", [("a",)]),
    ],
)
def test_citation_forms(markdown: str, expected: list) -> None:
    assert keys_of(markdown) == expected


def test_locator_prefix_and_suppression() -> None:
    groups = find_citations("[see @a, p. 5; -@b]")
    assert groups[0].citations == (Citation("a", "p. 5", "see"), Citation("b", "", "", True))


@pytest.mark.parametrize(
    "markdown",
    [
        "Inline `[@incode]` span.",
        "Double ``a [@in2] b`` span.",
        "```python\nx = '[@fenced]'\n```\n",
        "~~~~\n[@tilde]\n~~~~\n",
        "Escaped \\[@nope] citation.",
        "Mail [someone@example.com] or someone@example.com.",
        "A link [@handle](https://example.com) is a link.",
        "No at sign [here].",
        "[@handle]: https://example.com/a-link-reference-definition",
        "A comment <!-- [@hidden] --> is skipped.",
    ],
)
def test_not_a_citation(markdown: str) -> None:
    assert keys_of(markdown) == []


def test_fence_needs_matching_close() -> None:
    markdown = "````\n```\n[@inside]\n```\n````\nAfter [@outside]."
    assert keys_of(markdown) == [("outside",)]


def test_line_numbers() -> None:
    markdown = "# Title\n\n```\n[@skip]\n```\n\nText [@a]\nand [@b; @c].\n"
    assert [group.line for group in find_citations(markdown)] == [7, 8]


def test_replace_keeps_other_text() -> None:
    markdown = "A [@a] b `[@x]` c [@b]."
    result = replace_citations(markdown, lambda group: "<" + ",".join(group.keys) + ">" if group.keys != ("b",) else None)
    assert result == "A <a> b `[@x]` c [@b]."


@pytest.mark.parametrize("markdown", ["Empty [@] key.", "Double [@a;;@b] separator.", "Space [@ key] after at."])
def test_malformed_group_reported(markdown: str) -> None:
    groups = find_citations(markdown)
    assert len(groups) == 1
    assert groups[0].is_malformed
    assert groups[0].text.startswith("[@")
