"""Benchmark: fetch 50 feeds from a local server that responds to each request after 300 ms.

Compares `wiki-tools digest fetch` (concurrent, through `fetch_all`) with the loop a user would
otherwise write, `for url in urls: feedparser.parse(url)`, side by side in one run. Both fetch the
same 50 RSS documents of 20 items from a threaded HTTP server on 127.0.0.1.

Run: python benchmarks/digest_fetch.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiki_tools.digest.fetch import FetchSettings
from wiki_tools.digest.update import FeedSource, fetch_all

FEEDS = 50
DELAY_SECONDS = 0.3
ITEMS_PER_FEED = 20


def feed_document(number: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {number} story {index}</title><link>https://news{number}.example/{index}</link>"
        f"<guid>feed-{number}-{index}</guid><pubDate>Tue, {index % 28 + 1:02d} Dec 2026 08:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;{'Some newsletter text about models. ' * 12}&lt;/p&gt;</description></item>"
        for index in range(ITEMS_PER_FEED)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed {number}</title>'
        f"<link>https://news{number}.example/</link><description>x</description>{items}</channel></rss>"
    ).encode()


class SlowFeedServer(ThreadingHTTPServer):
    daemon_threads = True
    # Room for every connection at once, so that no client waits for a SYN retry.
    request_queue_size = 128


def start_server() -> tuple[SlowFeedServer, list[str]]:
    documents = {f"/feed/{number}.xml": feed_document(number) for number in range(FEEDS)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            time.sleep(DELAY_SECONDS)
            body = documents[self.path]
            etag = f'"{zlib.crc32(body):08x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            pass

    server = SlowFeedServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    return server, [f"http://127.0.0.1:{port}{path}" for path in documents]


def time_ours(urls: list[str], warm: bool = False) -> float:
    sources = [FeedSource(f"Feed {number}", url) for number, url in enumerate(urls)]
    with tempfile.TemporaryDirectory() as folder:
        if warm:
            fetch_all(sources, Path(folder), FetchSettings())
        started = time.perf_counter()
        report = fetch_all(sources, Path(folder), FetchSettings())
        elapsed = time.perf_counter() - started
    expected = "unchanged" if warm else "new"
    assert all(outcome.status == expected for outcome in report.outcomes), report
    return elapsed


def time_sequential(urls: list[str]) -> float:
    started = time.perf_counter()
    for url in urls:
        parsed = feedparser.parse(url)
        assert len(parsed.entries) == ITEMS_PER_FEED
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs of each approach (default 5; the sequential loop runs ceil(N/2) times)",
    )
    arguments = parser.parse_args()

    server, urls = start_server()
    try:
        ours = [time_ours(urls) for _ in range(arguments.repeat)]
        warm = [time_ours(urls, warm=True) for _ in range(arguments.repeat)]
        sequential = [time_sequential(urls) for _ in range((arguments.repeat + 1) // 2)]
    finally:
        server.shutdown()

    baseline = statistics.median(sequential)
    rows = [
        ("feedparser.parse(url), sequential loop", sequential),
        ("wiki-tools digest fetch, empty archive", ours),
        ("wiki-tools digest fetch, all 304", warm),
    ]
    print(f"{FEEDS} feeds of {ITEMS_PER_FEED} items, each served after {DELAY_SECONDS * 1000:.0f} ms\n")
    print(f"| {'approach':<40} | runs | median s | min s | max s | speed-up |")
    print(f"|{'-' * 42}|------|----------|-------|-------|----------|")
    for name, times in rows:
        median = statistics.median(times)
        print(
            f"| {name:<40} | {len(times):>4} | {median:>8.2f} | {min(times):>5.2f} | {max(times):>5.2f} "
            f"| {baseline / median:>7.1f}x |"
        )


if __name__ == "__main__":
    main()
