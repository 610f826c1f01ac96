"""Time fetching arXiv metadata for 250 papers three ways, against a local arXiv test server.

1. `wiki-tools`: `ArxivClient.fetch`, 100 identifiers per request, strict parsing.
2. `arxiv` package, one search: `arxiv.Client.results(Search(id_list=all))`, which pages 100 at a time.
3. `arxiv` package, one search per paper, as a script that loops over identifiers would do.

All three wait the same `DELAY_SECONDS` between requests. arXiv requires 3 s, so a scaled-down delay
keeps the run short. The last column estimates each approach at 3 s: the measured time with each of
the (requests - 1) pauses replaced by 3 s.

Run from the repository root: `python benchmarks/arxiv_fetch.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import arxiv  # noqa: E402

from tests.arxiv_server import ArxivTestServer  # noqa: E402
from wiki_tools.papers.arxiv_client import ArxivClient  # noqa: E402

PAPER_COUNT = 250
DELAY_SECONDS = 0.05
REPEATS = 3
ARXIV_DELAY_SECONDS = 3.0


def fetch_with_wiki_tools(url: str, ids: list[str]) -> int:
    result = ArxivClient(url, delay_seconds=DELAY_SECONDS, show_progress=False).fetch(ids)
    return len(result.records)


def fetch_with_package_search(url: str, ids: list[str]) -> int:
    client = arxiv.Client(page_size=100, delay_seconds=DELAY_SECONDS)
    client.query_url_format = url + "?{}"
    return len(list(client.results(arxiv.Search(id_list=ids, max_results=None))))


def fetch_with_package_per_paper(url: str, ids: list[str]) -> int:
    client = arxiv.Client(delay_seconds=DELAY_SECONDS)
    client.query_url_format = url + "?{}"
    return sum(len(list(client.results(arxiv.Search(id_list=[identifier])))) for identifier in ids)


def measure(name: str, fetch: Callable[[str, list[str]], int], ids: list[str]) -> tuple[str, float, int]:
    """Return the median wall time of `REPEATS` runs and the requests of one run, each on a fresh server."""
    seconds = []
    requests = 0
    for _ in range(REPEATS):
        server = ArxivTestServer()
        server.synthetic_prefixes = ("2403.",)
        server.start()
        try:
            started = time.perf_counter()
            fetched = fetch(server.url, ids)
            seconds.append(time.perf_counter() - started)
            requests = len(server.requests)
        finally:
            server.stop()
        assert fetched == len(ids), f"{name} fetched {fetched} of {len(ids)} papers"
    return name, statistics.median(seconds), requests


def main() -> None:
    ids = [f"2403.{number:05d}" for number in range(1, PAPER_COUNT + 1)]
    rows = [
        measure("wiki-tools ArxivClient.fetch", fetch_with_wiki_tools, ids),
        measure("arxiv.Client, one search", fetch_with_package_search, ids),
        measure("arxiv.Client, one search per paper", fetch_with_package_per_paper, ids),
    ]

    baseline = rows[0][1]
    print(f"{PAPER_COUNT} papers, delay {DELAY_SECONDS:g} s between requests, median of {REPEATS} runs\n")
    print("| Approach | Requests | Median (s) | Ratio to wiki-tools | Estimate at 3 s delay (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds, requests in rows:
        estimate = (requests - 1) * ARXIV_DELAY_SECONDS + seconds - (requests - 1) * DELAY_SECONDS
        print(f"| {name} | {requests} | {seconds:.3f} | {seconds / baseline:.2f} | {estimate:.0f} |")


if __name__ == "__main__":
    main()
