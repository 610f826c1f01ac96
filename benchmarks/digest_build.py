"""Benchmark: what the digest plugin adds to `mkdocs build` with five years of daily digests.

Writes a synthetic archive of about 50,000 items through the archive's own writer: ten feeds over
five years, each publishing one to eight items a day. Some stories are carried by several feeds and
some cite arXiv papers. Then it builds one small Material site with and without the `wiki/digest`
plugin, alternating, and compares the medians.

Run: python benchmarks/digest_build.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiki_tools.digest.archive import add_items, read_archive
from wiki_tools.digest.items import Item, format_timestamp

REPO_ROOT = Path(__file__).resolve().parent.parent
YEARS = 5
# Items per day of each feed: about 27 a day in all, so five years hold about 50,000 items.
FEEDS = {"TLDR AI": 8, "Supervised": 1, "Import AI": 2, "Ahead of AI": 1, "Interconnects": 2, "Lil'Log": 1,
         "Hugging Face Blog": 4, "BAIR Blog": 1, "Simon Willison": 6, "Paper Digest": 1}  # fmt: skip
TOPIC_WORDS = ["LoRA", "RAG", "few-shot prompting", "fine-tuning", "agents", "scaling", "evaluation", "inference"]

SITE = """\
site_name: Benchmark Wiki
site_url: https://wiki.example/
theme:
  name: material
  font: false
nav:
  - Home: index.md
  - Agents: agents.md
  - Tuning:
      - tuning/lora.md
      - tuning/rag.md
      - tuning/prompting.md
      - tuning/fine-tuning.md
  - Newsletters:
      - newsletters.md
plugins:
  - search
"""
DIGEST_PLUGIN = "  - wiki/digest:\n      archive_dir: archive\n"


def synthetic_items(end: datetime) -> list[Item]:
    random_numbers = random.Random(5)
    items = []
    recent_links: list[str] = []
    day = end - timedelta(days=365 * YEARS)
    while day < end:
        for feed, per_day in FEEDS.items():
            for index in range(random_numbers.randint(max(0, per_day - 1), per_day + 1)):
                published = day + timedelta(minutes=random_numbers.randrange(24 * 60))
                # One story in ten is one that another feed already carried.
                if recent_links and random_numbers.random() < 0.1:
                    link = random_numbers.choice(recent_links[-200:])
                else:
                    link = (
                        f"https://{feed.lower().replace(' ', '-').replace(chr(39), '')}.example/{day:%Y/%m/%d}/{index}"
                    )
                    recent_links.append(link)
                topic = random_numbers.choice(TOPIC_WORDS)
                arxiv = (
                    (
                        f"{random_numbers.randint(19, 26)}{random_numbers.randint(1, 12):02d}.{random_numbers.randint(1, 400):05d}",
                    )
                    if random_numbers.random() < 0.05
                    else ()
                )
                summary = (
                    f"<p>A new result on {topic}: {'the authors measure what changes and what does not. ' * 4}"
                    f'<a href="{link}" rel="noopener noreferrer">Read more</a>.</p>'
                )
                items.append(
                    Item(
                        feed=feed,
                        id=f"{feed}-{day:%Y%m%d}-{index}",
                        title=f"{topic.capitalize()} story {index} of {day:%d %B %Y}",
                        link=link,
                        published=format_timestamp(published),
                        date_source="feed",
                        summary=summary,
                        tags=(topic,),
                        arxiv=arxiv,
                    )
                )
        day += timedelta(days=1)
    return items


def write_site(root: Path, with_digest: bool) -> Path:
    for name in (
        "index.md",
        "agents.md",
        "newsletters.md",
        "tuning/lora.md",
        "tuning/rag.md",
        "tuning/prompting.md",
        "tuning/fine-tuning.md",
    ):
        page = root / "docs" / name
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"# {Path(name).stem.title()}\n\nText.\n", encoding="utf-8")
    config = root / ("with-digest.yml" if with_digest else "without-digest.yml")
    config.write_text(SITE + (DIGEST_PLUGIN if with_digest else ""), encoding="utf-8")
    return config


def time_build(config: Path, keep_cache: bool = False) -> tuple[float, float]:
    """Build into an empty folder, as a fresh CI checkout does. Return wall time and CPU time in seconds.

    The plugin's cache of rendered weeks is deleted first, as a fresh checkout has none, unless
    `keep_cache` is set, as on an editor's machine after the first build. CPU time (user and system)
    is reported too, because it varies less than wall time when other processes share the machine.
    """
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO_ROOT)}
    site = config.parent / f"site-{config.stem}"
    shutil.rmtree(site, ignore_errors=True)
    if not keep_cache:
        shutil.rmtree(config.parent / ".cache", ignore_errors=True)
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config), "-d", str(site)]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=environment, cwd=config.parent)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="builds of each variant (default 3)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        items = synthetic_items(datetime(2026, 12, 4, tzinfo=UTC))
        add_items(root / "archive", items)
        write_seconds = time.perf_counter() - started
        size_mb = sum(path.stat().st_size for path in (root / "archive").glob("*.jsonl")) / 1e6

        started = time.perf_counter()
        stored = len(read_archive(root / "archive").items)
        read_seconds = time.perf_counter() - started

        without = write_site(root, with_digest=False)
        with_digest = write_site(root, with_digest=True)
        times: dict[str, list[tuple[float, float]]] = {"without": [], "with": [], "cached": []}
        for _ in range(arguments.repeat):
            times["without"].append(time_build(without))
            times["with"].append(time_build(with_digest))
            # Right after a build that filled the cache, so every week comes from it.
            times["cached"].append(time_build(with_digest, keep_cache=True))
        pages = len(list((root / "site-with-digest" / "digest").glob("*-W*/index.html")))

    def median(key: str, index: int) -> float:
        return statistics.median(sample[index] for sample in times[key])

    print(f"{stored} items in {size_mb:.1f} MB of JSON Lines, {pages} week pages")
    print(f"archive written in {write_seconds:.1f} s, read in {read_seconds:.2f} s\n")
    print(f"| {'build':<34} | runs | median wall s | min wall s | median CPU s |")
    print(f"|{'-' * 36}|------|---------------|------------|--------------|")
    variants = (
        ("mkdocs build, no digest plugin", "without"),
        ("mkdocs build, wiki/digest plugin", "with"),
        ("same, rendered weeks cached", "cached"),
    )
    for name, key in variants:
        walls = [sample[0] for sample in times[key]]
        print(
            f"| {name:<34} | {len(walls):>4} | {median(key, 0):>13.2f} | {min(walls):>10.2f} | {median(key, 1):>12.2f} |"
        )
    print()
    for label, key in (("no cache", "with"), ("weeks cached", "cached")):
        added_wall = median(key, 0) - median("without", 0)
        added_cpu = median(key, 1) - median("without", 1)
        print(f"added by the digest plugin, {label}: {added_wall:.2f} s wall, {added_cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
