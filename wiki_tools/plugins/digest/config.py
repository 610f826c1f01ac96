"""Options of the `wiki/digest` plugin. `wiki-tools digest fetch` reads the fetch options from here too."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.config_options import ValidationError

from ...digest.fetch import DEFAULT_USER_AGENT, FetchSettings
from ...digest.mentions import DEFAULT_TOPICS, Topic
from ...digest.sanitize import DEFAULT_SUMMARY_CHARS
from ...digest.update import FeedSource
from ..options import SiteFolder

# The guide's two newsletters first, then well-known AI newsletters and research blogs with public feeds.
# NOTE: these addresses are the publishers' public RSS/Atom URLs as known when this list was written.
# They were not fetched from the development machine, which had no internet access.
DEFAULT_FEEDS = [
    {"name": "TLDR AI", "url": "https://tldr.tech/api/rss/ai", "tags": ["newsletter"]},
    {"name": "Supervised", "url": "https://www.supervised.news/feed", "tags": ["newsletter"]},
    {"name": "Import AI", "url": "https://importai.substack.com/feed", "tags": ["newsletter"]},
    {"name": "Ahead of AI", "url": "https://magazine.sebastianraschka.com/feed", "tags": ["newsletter"]},
    {"name": "Interconnects", "url": "https://www.interconnects.ai/feed", "tags": ["newsletter"]},
    {"name": "Lil'Log", "url": "https://lilianweng.github.io/index.xml", "tags": ["research blog"]},
    {"name": "Hugging Face Blog", "url": "https://huggingface.co/blog/feed.xml", "tags": ["research blog"]},
    {"name": "BAIR Blog", "url": "https://bair.berkeley.edu/blog/feed.xml", "tags": ["research blog"]},
    {"name": "Simon Willison", "url": "https://simonwillison.net/atom/everything/", "tags": ["blog"]},
]


class FeedConfig(Config):
    """One entry of `feeds`."""

    name = c.Type(str)
    """Name shown on the digest pages. It identifies the feed's items in the archive, so keep it stable."""
    url = c.URL()
    """Address of the RSS or Atom feed (`http` or `https`)."""
    tags = c.ListOfItems(c.Type(str), default=[])
    """Free labels, such as `newsletter` or `research blog`."""

    def validate(self):
        failed, warnings = super().validate()
        if not failed and not self.name.strip():
            failed.append(("name", ValidationError("Expected a non-empty feed name, received ''.")))
        return failed, warnings


class TopicConfig(Config):
    """One entry of `topics`."""

    page = c.Type(str)
    """Guide page under `docs/` that items about the topic link to, such as `tuning/lora.md`."""
    title = c.Type(str)
    """Label of the link."""
    keywords = c.ListOfItems(c.Type(str))
    """Whole words or phrases. One with a capital letter matches only in that spelling (`RAG`); one in
    lower case matches in any case (`fine-tuning`)."""


class UniqueFeeds(c.ListOfItems):
    """`feeds`: a list of feed entries whose names are unique."""

    def run_validation(self, value: object):
        feeds = super().run_validation(value)
        seen = set()
        for feed in feeds:
            if feed.name in seen:
                raise ValidationError(f"Feed name {feed.name!r} is used twice. Give every feed its own name.")
            seen.add(feed.name)
        return feeds


class DigestConfig(Config):
    """Settings read from the `wiki/digest` entry under `plugins` in `mkdocs.yml`."""

    feeds = UniqueFeeds(c.SubConfig(FeedConfig), default=DEFAULT_FEEDS)
    """Feeds to fetch: a list of `{name, url, tags}`. Replaces the default list when given."""
    archive_dir = c.Type(str, default="data/digest")
    """Folder of the item archive and the fetch state, relative to `mkdocs.yml`."""

    # Settings for fetching (`wiki-tools digest fetch`)
    concurrency = c.Type(int, default=FetchSettings.concurrency)
    """Feeds fetched at the same time."""
    timeout_seconds = c.Type((int, float), default=FetchSettings.timeout_seconds)
    """Time limit of one request, from connecting to the last byte."""
    max_bytes = c.Type(int, default=FetchSettings.max_bytes)
    """Largest feed accepted, in bytes after decompression."""
    retries = c.Type(int, default=FetchSettings.retries)
    """Retries after a timeout, a dropped connection, a 429 or a 5xx response."""
    backoff_seconds = c.Type((int, float), default=FetchSettings.backoff_seconds)
    """Wait before the first retry; it doubles for each further retry."""
    max_retry_after_seconds = c.Type((int, float), default=FetchSettings.max_retry_after_seconds)
    """Longest `Retry-After` waited for during a run. A longer one skips the feed until that time."""
    user_agent = c.Optional(c.Type(str))
    """User-Agent header. By default it names wiki-tools and, when set, the site's `site_url`."""
    summary_chars = c.Type(int, default=DEFAULT_SUMMARY_CHARS)
    """Characters of text kept from each item's summary when it is archived."""
    failing_after_runs = c.Type(int, default=3)
    """Failed runs in a row after which the fetch report lists a feed as failing repeatedly."""

    # Settings for the generated pages
    digest_dir = SiteFolder(default="digest")
    """Folder of the generated pages in the site: `index.md`, one page per ISO week, `candidates.md`."""
    nav_section = c.Type(str, default="Newsletters")
    """Title of a navigation section that the digest index is added to, when `nav` does not list it."""
    bib_file = c.Type(str, default="papers.bib")
    """BibTeX file whose papers the digest items link to, relative to `mkdocs.yml`."""
    paper_url = c.Type(str, default="papers/{slug}/")
    """URL of a paper's page relative to the site root, with `{slug}` for the page name that the
    `wiki/bibliography` plugin derives from the citation key (or `{key}` for the key itself). Items
    citing the paper link there. Without the bibliography plugin, items name the key unlinked."""
    candidate_min_mentions = c.Type(int, default=2)
    """Stories that must cite a paper missing from the bibliography before it is listed as a candidate.

    Items that link to the same story count once, however many feeds carry it."""
    topics = c.ListOfItems(
        c.SubConfig(TopicConfig),
        default=[
            {"page": topic.page, "title": topic.title, "keywords": list(topic.keywords)} for topic in DEFAULT_TOPICS
        ],
    )
    """Guide pages that items link to when they mention one of the keywords."""
    search_weeks = c.Type(bool, default=False)
    """Index the week pages for search. Off by default: five years of items make a search index of
    tens of megabytes, which every reader's browser would download, and add seconds to the build."""
    feed_weeks = c.Type(int, default=20)
    """Weeks in the site's own Atom feed (`<digest_dir>.xml` at the site root), newest first."""
    corrupt_lines = c.Choice(("warn", "info", "ignore"), default="warn")
    """Log level for archive lines that cannot be read. `warn` fails `mkdocs build --strict`."""
    cache_dir = c.Type(str, default=".cache/wiki-digest")
    """Folder for rendered week pages, relative to `mkdocs.yml`, so that a build renders only the weeks
    whose items or links changed. An empty string keeps them in memory, for the rebuilds of one server."""


def feed_sources(config: DigestConfig) -> list[FeedSource]:
    """Return the configured feeds as domain records."""
    return [FeedSource(feed.name, feed.url, tuple(feed.tags)) for feed in config.feeds]


def fetch_settings(config: DigestConfig, site_url: str | None = None) -> FetchSettings:
    """Return the fetcher's settings from the plugin options."""
    user_agent = config.user_agent
    if not user_agent:
        user_agent = DEFAULT_USER_AGENT if not site_url else f"{DEFAULT_USER_AGENT.removesuffix(')')}; +{site_url})"
    return FetchSettings(
        concurrency=config.concurrency,
        timeout_seconds=float(config.timeout_seconds),
        max_bytes=config.max_bytes,
        retries=config.retries,
        backoff_seconds=float(config.backoff_seconds),
        max_retry_after_seconds=float(config.max_retry_after_seconds),
        user_agent=user_agent,
    )


def topics(config: DigestConfig) -> list[Topic]:
    """Return the configured topics as domain records."""
    return [Topic(topic.page, topic.title, tuple(topic.keywords)) for topic in config.topics]
