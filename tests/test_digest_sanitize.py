"""The nh3 allow-list for feed HTML."""

from __future__ import annotations

import re

import pytest

from wiki_tools.digest.sanitize import plain_text, sanitize_html, truncate_html, xml_text

ATTACKS = {
    "script": "<p>a<script>alert(1)</script>b</p>",
    "script-uppercase": "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>ok",
    "event-handler": '<p onclick="alert(1)" onmouseover="alert(2)">text</p>',
    "img-onerror": '<img src="x" onerror="alert(1)">',
    "javascript-link": '<a href="javascript:alert(1)">x</a>',
    "javascript-entity-link": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "javascript-spaces-link": '<a href="  JaVaScRiPt:alert(1)">x</a>',
    "data-link": '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "vbscript-link": '<a href="vbscript:msgbox(1)">x</a>',
    "style-element": "<style>body{display:none}</style>text",
    "style-attribute": '<p style="background:url(javascript:alert(1))">text</p>',
    "iframe": '<iframe src="https://evil.example/"></iframe>text',
    "form": '<form action="https://evil.example/"><input name="q"><button>go</button></form>text',
    "svg-script": "<svg><script>alert(1)</script></svg>text",
    "object": '<object data="https://evil.example/x.swf"></object>text',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">text',
    "base": '<base href="https://evil.example/">text',
    "comment": "<!-- <script>alert(1)</script> -->text",
    "noscript-trick": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "tracking-pixel": '<img src="https://tracker.example/pixel.gif">text',
    "linked-image": '<p><a href="https://news.example/chart.jpg"><img src="https://news.example/chart.jpg"></a> text</p>',
}
FORBIDDEN = re.compile(
    r"<script|<style|<iframe|<form|<input|<svg|<object|<img|<meta|<base|on\w+=|javascript:|vbscript:|data:|style=",
    re.IGNORECASE,
)


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_attack_removed(attack: str) -> None:
    cleaned = sanitize_html(attack)

    assert not FORBIDDEN.search(cleaned), cleaned


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_sanitize_is_stable(attack: str) -> None:
    cleaned = sanitize_html(attack)

    assert sanitize_html(cleaned) == cleaned


@pytest.mark.parametrize(
    "fragment",
    [
        '<p><a href="https://news.example/chart.jpg"><img src="https://news.example/chart.jpg"></a></p>',
        '<a href="https://news.example/chart.jpg">\n  <img src="https://news.example/chart.jpg" alt="Chart">\n</a>',
        '<a href="https://news.example/a.jpg"><span><img src="a.jpg"></span></a>',
        '<a href="https://news.example/a.jpg"><picture><source srcset="a.webp"><img src="a.jpg"></picture></a>',
        '<a href="https://news.example/empty"></a>',
    ],
    ids=["image", "image-with-spaces", "wrapped-image", "picture", "empty"],
)
def test_link_left_without_text_dropped(fragment: str) -> None:
    cleaned = sanitize_html(f"Before {fragment} after")

    assert "<a" not in cleaned
    assert "news.example" not in cleaned
    assert cleaned.startswith("Before")
    assert cleaned.endswith("after")


def test_link_with_image_and_text_keeps_text() -> None:
    cleaned = sanitize_html('<a href="https://news.example/post"><img src="x.jpg"> Read the post</a>')

    assert cleaned == '<a href="https://news.example/post" rel="noopener noreferrer"> Read the post</a>'


def test_link_with_text_in_formatting_kept() -> None:
    fragment = '<a href="https://news.example/post" rel="noopener noreferrer"><em>Read</em></a>'

    assert sanitize_html(fragment) == fragment


def test_links_get_noopener_noreferrer() -> None:
    cleaned = sanitize_html('<a href="https://example.org/" rel="opener" target="_blank">x</a>')

    assert cleaned == '<a href="https://example.org/" rel="noopener noreferrer">x</a>'


def test_relative_link_resolved_with_base() -> None:
    cleaned = sanitize_html('<a href="../b/c.html">x</a>', "https://example.org/a/feed.xml")

    assert 'href="https://example.org/b/c.html"' in cleaned


def test_relative_link_dropped_without_base() -> None:
    assert "href" not in sanitize_html('<a href="/local">x</a>')


def test_formatting_kept() -> None:
    fragment = "<p><strong>bold</strong> <em>it</em> <code>x</code></p><ul><li>one</li></ul>"

    assert sanitize_html(fragment) == fragment


def test_disallowed_wrapper_keeps_text() -> None:
    assert sanitize_html("<h1>Heading</h1><table><tr><td>cell</td></tr></table>") == "Headingcell"


def test_truncate_cuts_at_word_and_closes_tags() -> None:
    fragment = sanitize_html("<p>" + "word " * 100 + "</p><p>second</p>")

    cut = truncate_html(fragment, 50)

    assert cut.startswith("<p>word word")
    assert cut.endswith("\u2026</p>")
    assert len(plain_text(cut)) <= 51
    assert sanitize_html(cut) == cut


def test_truncate_counts_entities_as_one_character() -> None:
    fragment = "&amp;" * 10

    assert truncate_html(fragment, 10) == fragment
    assert truncate_html(fragment, 5) == "&amp;" * 5 + "\u2026"


def test_truncate_keeps_short_text() -> None:
    fragment = '<p>short <a href="https://x.example/" rel="noopener noreferrer">link</a></p>'

    assert truncate_html(fragment, 600) == fragment


def test_truncate_never_cuts_inside_tag() -> None:
    fragment = sanitize_html('<p>ab <a href="https://x.example/a>b" title="t">link text here</a> tail</p>')

    cut = truncate_html(fragment, 8)

    assert cut == '<p>ab <a href="https://x.example/a&gt;b" title="t" rel="noopener noreferrer">link\u2026</a></p>'


def test_plain_text_drops_markup_and_script() -> None:
    assert plain_text("A &amp; <b>B</b><script>x()</script>\n  C") == "A & B C"


def test_xml_text_removes_forbidden_characters() -> None:
    text = "a\x00b\x01c\x0bd\x1fe\ufffef\uffffg\udcffh\ud800i"

    assert xml_text(text) == "abcdefghi"


def test_xml_text_keeps_allowed_characters() -> None:
    text = "tab\tline\ncr\r \u00e9 \ufffd \U0001f600 \ufdd0"

    assert xml_text(text) == text


def test_plain_text_removes_noncharacters() -> None:
    assert plain_text("Bad\ufffe title\uffff") == "Bad title"
