"""HTML of the pages that the bibliography plugin generates."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from ...papers.formatting import format_links, format_reference
from ...papers.library import Bibliography, Paper

__all__ = ["group_by_topic", "render_hit_list", "topic_anchor"]


def group_by_topic(bibliography: Bibliography, untagged_topic: str) -> dict[str, list[Paper]]:
    """Group entries by their first keyword, topics sorted by name and entries by year, newest first."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    for paper in bibliography:
        topic = paper.keywords[0] if paper.keywords else untagged_topic
        groups[topic].append(paper)
    return {
        topic: sorted(groups[topic], key=lambda paper: (paper.year or "0000", paper.key), reverse=True)
        for topic in sorted(groups, key=str.casefold)
    }


def topic_anchor(topic: str) -> str:
    """Return the HTML id of a topic heading: `fine-tuning` becomes `topic-fine-tuning`."""
    slug = "".join(character if character.isalnum() else "-" for character in topic.casefold()).strip("-")
    return f"topic-{slug or 'other'}"


def render_hit_list(groups: dict[str, list[Paper]]) -> str:
    """Render the grouped entries as HTML: one heading and one list per topic."""
    parts = []
    for topic, papers in groups.items():
        parts.append(f'<h2 id="{topic_anchor(topic)}">{escape(topic.capitalize())}</h2>')
        parts.append('<ul class="wiki-hit-list">')
        for paper in papers:
            parts.append(_render_item(paper))
        parts.append("</ul>")
    return "\n".join(parts)


def _render_item(paper: Paper) -> str:
    links = format_links(paper)
    links_html = f' <span class="wiki-ref__links">{links}</span>' if links else ""
    return (
        f'<li class="wiki-ref" id="{escape(paper.key)}" data-key="{escape(paper.key)}">'
        f"{format_reference(paper)}{links_html}</li>"
    )
