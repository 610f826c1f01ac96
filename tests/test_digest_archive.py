"""The digest archive over several runs: nothing lost or duplicated, atomic writes, the lock, corrupt lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wiki_tools.digest.archive import archive_lock, read_archive, serialise
from wiki_tools.digest.fetch import FetchSettings
from wiki_tools.digest.update import FeedSource, fetch_all
from wiki_tools.storage import LockBusyError

from .conftest import REPO_ROOT
from .digest_support import FeedServer, Route, rss, rss_item

FAST = FetchSettings(retries=1, backoff_seconds=0.01)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def month_bytes(archive: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(archive.glob("*.jsonl"))}


def identities(archive: Path) -> list[tuple[str, str]]:
    return sorted((item.feed, item.id) for item in read_archive(archive).items)


def write_site(tmp_path: Path, feeds: dict[str, str], **options: object) -> Path:
    """Write a minimal mkdocs.yml whose digest plugin lists `feeds` and return its path."""
    lines = [
        "site_name: Test",
        "plugins:",
        "  - wiki/digest:",
        "      archive_dir: archive",
        "      backoff_seconds: 0.01",
    ]
    lines += [f"      {name}: {value}" for name, value in options.items()]
    lines.append("      feeds:")
    for name, url in feeds.items():
        lines += [f"        - name: {name}", f"          url: {url}"]
    config = tmp_path / "mkdocs.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "docs").mkdir(exist_ok=True)
    return config


def fetch_command(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from wiki_tools.cli import cli; cli()", "-f", str(config), "digest", "fetch", *extra]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def test_runs_lose_and_duplicate_nothing(server: FeedServer, tmp_path: Path) -> None:
    feeds = [FeedSource("A", server.url("/a.xml")), FeedSource("B", server.url("/b.xml"))]
    november = "Mon, 30 Nov 2026 08:00:00 GMT"
    december = "Tue, 01 Dec 2026 08:00:00 GMT"

    # Run 1: both feeds respond.
    server.routes["/a.xml"] = Route(body=rss(rss_item(1, date=november), rss_item(2, date=december)))
    server.routes["/b.xml"] = Route(body=rss(rss_item(10), rss_item(11, guid=False, date=None)))
    fetch_all(feeds, tmp_path, FAST)

    # Run 2: A drops item 1 and adds item 3, B breaks.
    server.routes["/a.xml"] = Route(body=rss(rss_item(2, date=december), rss_item(3, date=december)))
    server.routes["/b.xml"] = Route(status=500)
    report = fetch_all(feeds, tmp_path, FAST)
    assert [outcome.status for outcome in report.outcomes] == ["new", "failed"]

    # Run 3: B sends garbage.
    server.routes["/b.xml"] = Route(body=b"<rss><channel><item>broken")
    fetch_all(feeds, tmp_path, FAST)

    # Run 4: B recovers with one old and one new item, and A disappears.
    server.routes["/a.xml"] = Route(status=404)
    server.routes["/b.xml"] = Route(body=rss(rss_item(11, guid=False, date=None), rss_item(12)))
    report = fetch_all(feeds, tmp_path, FAST)
    assert [outcome.new_items for outcome in report.outcomes] == [0, 1]

    stored = identities(tmp_path)
    assert len(stored) == len(set(stored))
    assert [identity for identity in stored if identity[0] == "A"] == [
        ("A", "story-1"),
        ("A", "story-2"),
        ("A", "story-3"),
    ]
    assert len([identity for identity in stored if identity[0] == "B"]) == 3


def test_run_without_news_rewrites_nothing(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/a.xml"] = Route(body=rss(rss_item(1), rss_item(2, date="Tue, 01 Dec 2026 08:00:00 GMT")))
    feeds = [FeedSource("A", server.url("/a.xml"))]
    fetch_all(feeds, tmp_path, FAST)
    before = month_bytes(tmp_path)
    modified = {path.name: path.stat().st_mtime_ns for path in tmp_path.glob("*.jsonl")}

    fetch_all(feeds, tmp_path, FAST)

    assert month_bytes(tmp_path) == before
    assert {path.name: path.stat().st_mtime_ns for path in tmp_path.glob("*.jsonl")} == modified
    assert sorted(before) == ["2026-11.jsonl", "2026-12.jsonl"]


def test_month_file_sorted_and_stable(server: FeedServer, tmp_path: Path) -> None:
    dates = ["Thu, 03 Dec 2026 08:00:00 GMT", "Tue, 01 Dec 2026 08:00:00 GMT", "Wed, 02 Dec 2026 08:00:00 GMT"]
    server.routes["/a.xml"] = Route(body=rss(*(rss_item(number, date=date) for number, date in enumerate(dates))))

    fetch_all([FeedSource("A", server.url("/a.xml"))], tmp_path, FAST)

    lines = (tmp_path / "2026-12.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["published"] for record in records] == sorted(record["published"] for record in records)
    assert all(list(record) == sorted(record) for record in records)
    assert lines == [serialise(item) for item in read_archive(tmp_path).items]


def test_new_items_only_add_lines(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/a.xml"] = Route(body=rss(rss_item(1), rss_item(3, date="Wed, 02 Dec 2026 08:00:00 GMT")))
    feeds = [FeedSource("A", server.url("/a.xml"))]
    fetch_all(feeds, tmp_path, FAST)
    old_lines = (tmp_path / "2026-12.jsonl").read_text(encoding="utf-8").splitlines()

    server.routes["/a.xml"] = Route(body=rss(rss_item(2, date="Tue, 01 Dec 2026 08:00:00 GMT")))
    fetch_all(feeds, tmp_path, FAST)

    new_lines = (tmp_path / "2026-12.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(new_lines) == len(old_lines) + 1
    assert [line for line in new_lines if line in old_lines] == old_lines


def test_corrupt_line_reported_and_kept(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/a.xml"] = Route(body=rss(rss_item(1, date="Tue, 01 Dec 2026 08:00:00 GMT")))
    feeds = [FeedSource("A", server.url("/a.xml"))]
    fetch_all(feeds, tmp_path, FAST)
    month = tmp_path / "2026-12.jsonl"
    garbage = b'{"feed": "A", "id": "half-writ\xff'
    month.write_bytes(month.read_bytes() + garbage + b"\n")

    contents = read_archive(tmp_path)
    assert len(contents.items) == 1
    [problem] = contents.problems
    assert problem.path == month
    assert problem.line == 2
    assert str(problem).startswith(f"{month}:2: invalid archive line")

    server.routes["/a.xml"] = Route(body=rss(rss_item(2, date="Wed, 02 Dec 2026 08:00:00 GMT")))
    fetch_all(feeds, tmp_path, FAST)

    assert garbage + b"\n" in month.read_bytes()
    assert len(read_archive(tmp_path).items) == 2


def test_unknown_fields_survive_rewrite(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/a.xml"] = Route(body=rss(rss_item(1, date="Tue, 01 Dec 2026 08:00:00 GMT")))
    feeds = [FeedSource("A", server.url("/a.xml"))]
    fetch_all(feeds, tmp_path, FAST)
    month = tmp_path / "2026-12.jsonl"
    record = json.loads(month.read_text(encoding="utf-8")) | {"note": "added by hand"}
    month.write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")

    server.routes["/a.xml"] = Route(body=rss(rss_item(2, date="Wed, 02 Dec 2026 08:00:00 GMT")))
    fetch_all(feeds, tmp_path, FAST)

    assert '"note": "added by hand"' in month.read_text(encoding="utf-8")


def test_lock_held_makes_fetch_wait_then_give_up(tmp_path: Path) -> None:
    with archive_lock(tmp_path):
        started = time.monotonic()
        with pytest.raises(LockBusyError):
            fetch_all([FeedSource("A", "http://127.0.0.1:9/")], tmp_path, FAST, lock_wait_seconds=0.3)
        assert time.monotonic() - started >= 0.3


def test_cli_exits_cleanly_when_lock_busy(server: FeedServer, tmp_path: Path) -> None:
    config = write_site(tmp_path, {"A": server.url("/a.xml")})
    archive = tmp_path / "archive"

    with archive_lock(archive):
        result = subprocess.run(
            fetch_command(config, "--wait", "0.2"),
            capture_output=True,
            text=True,
            env=environment(),
            timeout=60,
            check=False,
        )

    assert result.returncode == 1
    assert "held by another process" in result.stderr
    assert "Traceback" not in result.stderr
    assert server.requests == []


def test_concurrent_fetch_runs_leave_valid_archive(server: FeedServer, tmp_path: Path) -> None:
    for name in "abc":
        items = [rss_item(number, date=f"Tue, {number % 28 + 1:02d} Dec 2026 08:00:00 GMT") for number in range(60)]
        server.routes[f"/{name}.xml"] = Route(body=rss(*items), delay_seconds=0.3)
    config = write_site(tmp_path, {name.upper(): server.url(f"/{name}.xml") for name in "abc"})

    runs = [
        subprocess.Popen(
            fetch_command(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment()
        )
        for _ in range(2)
    ]
    results = [(run.wait(timeout=120), *run.communicate()) for run in runs]

    assert [code for code, _, _ in results] == [0, 0], results
    reports = sorted(stdout for _, stdout, _ in results)
    assert "0 new items" in reports[0]
    assert "180 new items" in reports[1]
    contents = read_archive(tmp_path / "archive")
    assert contents.problems == []
    stored = [(item.feed, item.id) for item in contents.items]
    assert len(stored) == 180
    assert len(set(stored)) == 180


def test_killed_fetch_leaves_previous_archive_whole(server: FeedServer, tmp_path: Path) -> None:
    # A first run stores a few items in every month of 2025.
    months = range(1, 13)
    first = [rss_item(month, date=f"Mon, 10 {_MONTHS[month]} 2025 08:00:00 GMT") for month in months]
    server.routes["/a.xml"] = Route(body=rss(*first))
    config = write_site(tmp_path, {"A": server.url("/a.xml")}, max_bytes=100_000_000)
    archive = tmp_path / "archive"
    assert (
        subprocess.run(
            fetch_command(config), capture_output=True, env=environment(), timeout=120, check=False
        ).returncode
        == 0
    )
    before = month_bytes(archive)

    # The second run adds 8,000 items to the same months. It is killed as soon as its first
    # temporary file appears, that is, in the middle of replacing a monthly file.
    padding = "Long summary text. " * 20
    second = [
        rss_item(
            1000 + number, date=f"Tue, {number % 27 + 1:02d} {_MONTHS[number % 12 + 1]} 2025 08:00:00 GMT", extra=""
        ).replace(f"Text of story {1000 + number}.", padding)
        for number in range(8_000)
    ]
    server.routes["/a.xml"] = Route(body=rss(*first, *second))
    run = subprocess.Popen(
        fetch_command(config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment()
    )
    deadline = time.monotonic() + 120
    while not any(archive.glob(".2025-*.tmp")):
        assert run.poll() is None, "the fetch finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.0005)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()

    # Every monthly file is either the old one or a complete new one that contains the old lines.
    after = month_bytes(archive)
    assert set(after) == set(before)
    for name, content in before.items():
        old_lines = content.decode("utf-8").splitlines()
        new_lines = after[name].decode("utf-8").splitlines()
        assert set(old_lines) <= set(new_lines), name
    assert read_archive(archive).problems == []
    assert any(archive.glob(".2025-*.tmp"))

    # The next run removes the leftover temporary file and completes the archive without duplicates.
    assert (
        subprocess.run(
            fetch_command(config), capture_output=True, env=environment(), timeout=300, check=False
        ).returncode
        == 0
    )
    assert not any(archive.glob(".*.tmp"))
    stored = identities(archive)
    assert len(stored) == len(set(stored)) == 12 + 8_000


_MONTHS = {
    1: "Jan",
    2: "Feb",
    3: "Mar",
    4: "Apr",
    5: "May",
    6: "Jun",
    7: "Jul",
    8: "Aug",
    9: "Sep",
    10: "Oct",
    11: "Nov",
    12: "Dec",
}
