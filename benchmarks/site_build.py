"""Build times of the real wiki against plain MkDocs with Material building the same Markdown.

Cases, each measured for every configuration in one run, taking turns:

- cold build: `mkdocs build` in a fresh copy of the repository, so no cache and no `site/` exist yet;
- warm build: `mkdocs build` again in the same copy;
- serve rebuild: under a running `mkdocs serve`, the build time that MkDocs logs after a one-page edit;
- serve edit to page: from writing the edit until the server returns the edited page.

The plain configuration is the repository's `mkdocs.yml` with every `wiki/...` plugin removed, so it
builds the same pages with the same theme and Markdown extensions but no citations, paper pages,
KaTeX, digests or demos. A third configuration drops only `wiki/template-cache`, which speeds up
Material's own template work rather than the wiki's, so that its share of the result is visible.
Run it with `python benchmarks/site_build.py [--repeat N]`."""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the `benchmarks` package importable from the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import Measurement, format_table, machine_summary, time_call

REPO_ROOT = Path(__file__).resolve().parent.parent
EDITED_PAGE = Path("docs/tuning/lora.md")
EDITED_PAGE_URL = "tuning/lora/"
PLAIN = "plain MkDocs + Material"
DEFAULT_REPEAT = 5
# Generous limits: a build of this wiki takes seconds, so these only stop a benchmark that hangs.
BUILD_TIMEOUT_SECONDS = 300
SERVE_TIMEOUT_SECONDS = 120
POLL_INTERVAL_SECONDS = 0.02
# MkDocs looks for changed files every 0.5 s. A random pause before each edit spreads the edits over
# that cycle, so that a steady rhythm of edits cannot favour one of the servers.
SERVE_POLLING_SECONDS = 0.5

_BUILD_STARTED = "Building documentation..."
_BUILD_SERVED = "Reloading browsers"
_SERVING_ON = re.compile(r"Serving on (http://\S+)")


def copy_repository(destination: Path) -> Path:
    """Copy the files git tracks or would track (no caches, no `site/`) and link `node_modules`."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    )
    for name in listing.stdout.decode().split("\0"):
        source = REPO_ROOT / name
        if not name or name.startswith("node_modules") or not source.is_file():
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)

    # KaTeX and axe-core come from npm. They are read, never written, so a link is enough.
    (destination / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    return destination


def write_plain_config(root: Path) -> Path:
    """Write `mkdocs-plain.yml` next to `mkdocs.yml`: the same file without the `wiki/...` plugins."""
    return write_config_without(root, "mkdocs-plain.yml", "wiki/")


def write_uncached_config(root: Path) -> Path:
    """Write `mkdocs-uncached.yml` next to `mkdocs.yml`: the same file without `wiki/template-cache`."""
    return write_config_without(root, "mkdocs-uncached.yml", "wiki/template-cache")


def write_config_without(root: Path, name: str, plugin_prefix: str) -> Path:
    """Write `name` next to `mkdocs.yml`: the same file without the plugins whose names start with `plugin_prefix`.

    The file is filtered line by line rather than through a YAML parser, so custom tags such as
    `!!python/name:` and `!ENV` reach MkDocs unchanged.
    """
    lines = (root / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    in_plugins = False
    skip_indent: int | None = None
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if not line.startswith((" ", "\t")) and stripped:
            in_plugins = stripped.startswith("plugins:")
            skip_indent = None
        if skip_indent is not None:
            if stripped and indent <= skip_indent:
                skip_indent = None
            else:
                continue
        if in_plugins and stripped.startswith(f"- {plugin_prefix}"):
            skip_indent = indent
            continue
        kept.append(line)

    config = root / name
    config.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return config


def mkdocs_command(root: Path, *arguments: str) -> tuple[list[str], dict[str, str]]:
    """Return the `mkdocs` command line and the environment that make it use the copy's own `wiki_tools`."""
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(root)}
    return [sys.executable, "-m", "mkdocs", *arguments], environment


def build(root: Path, config: Path) -> None:
    """Run `mkdocs build` on `config` in a new process, as a user does, and fail loudly if it fails."""
    command, environment = mkdocs_command(
        root, "build", "--quiet", "--config-file", str(config), "--site-dir", str(root / "site")
    )
    result = subprocess.run(
        command, cwd=root, env=environment, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build of {config} failed:\n{result.stderr}")


class ServeSession:
    """A running `mkdocs serve` on a free port of 127.0.0.1, with its log collected line by line."""

    def __init__(self, root: Path, config: Path) -> None:
        self.root = root
        self.log: list[str] = []
        self._arrival: list[float] = []
        self._log_changed = threading.Condition()
        port = _free_port()
        command, environment = mkdocs_command(
            root, "serve", "--config-file", str(config), "--dev-addr", f"127.0.0.1:{port}"
        )
        self.process = subprocess.Popen(
            command, cwd=root, env=environment, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            encoding="utf-8",
            errors="replace",
        )
        threading.Thread(target=self._read_log, daemon=True).start()
        try:
            self.base_url = self._wait_for_url()
        except BaseException:
            self.close()
            raise

    def edit_and_wait(self, relative_page: Path, page_url: str) -> tuple[float, float]:
        """Append a unique line to a page, then wait until the server returns it.

        Returns the seconds from the write until the edited page was served, and the seconds the
        server spent rebuilding, from its "Building documentation" line to its "Reloading browsers" line.
        """
        marker = f"Benchmark marker {uuid.uuid4().hex}"
        log_start = len(self.log)
        page = self.root / relative_page
        text = page.read_text(encoding="utf-8")
        time.sleep(random.uniform(0, SERVE_POLLING_SECONDS))

        start = time.perf_counter()
        page.write_text(f"{text}\n{marker}\n", encoding="utf-8")
        while marker not in _fetch(self.base_url + page_url):
            if time.perf_counter() - start > SERVE_TIMEOUT_SECONDS:
                raise TimeoutError(f"{self.base_url}{page_url} did not show the edit within {SERVE_TIMEOUT_SECONDS} s")
            time.sleep(POLL_INTERVAL_SECONDS)
        latency = time.perf_counter() - start

        return latency, self._rebuild_seconds(log_start)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _read_log(self) -> None:
        # Each line is stamped on arrival. MkDocs' own "Documentation built in" line can't be used, because
        # MkDocs drops a log message identical to an earlier one, so a repeated duration is never printed.
        for line in self.process.stderr:
            with self._log_changed:
                self.log.append(line.rstrip())
                self._arrival.append(time.perf_counter())
                self._log_changed.notify_all()

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + SERVE_TIMEOUT_SECONDS
        with self._log_changed:
            while True:
                for line in self.log:
                    if match := _SERVING_ON.search(line):
                        return match.group(1).rstrip("/") + "/"
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mkdocs serve did not start:\n" + "\n".join(self.log))
                self._log_changed.wait(timeout=1)

    def _rebuild_seconds(self, log_start: int) -> float:
        # The server logs "Reloading browsers" just before it serves the new build, so wait a moment for it.
        deadline = time.monotonic() + 10
        with self._log_changed:
            while True:
                lines = list(enumerate(self.log))[log_start:]
                starts = [index for index, line in lines if _BUILD_STARTED in line]
                ends = [index for index, line in lines if _BUILD_SERVED in line and starts and index > starts[-1]]
                if starts and ends:
                    return self._arrival[ends[-1]] - self._arrival[starts[-1]]
                if time.monotonic() > deadline:
                    raise RuntimeError("mkdocs serve logged no finished rebuild after the edit:\n" + "\n".join(self.log))
                self._log_changed.wait(timeout=1)


@contextmanager
def serve(root: Path, config: Path) -> Iterator[ServeSession]:
    session = ServeSession(root, config)
    try:
        yield session
    finally:
        session.close()


# Configuration name -> the function that writes its file in a copy of the repository.
CONFIGS = {
    "wiki": lambda root: root / "mkdocs.yml",
    "plain": write_plain_config,
    "uncached": write_uncached_config,
}


def run(repeat: int = DEFAULT_REPEAT) -> list[Measurement]:
    """Measure every case for the wiki, for plain Material and for the wiki without its template cache."""
    samples: dict[str, dict[str, list[float]]] = {
        case: {variant: [] for variant in CONFIGS} for case in ("cold", "warm", "rebuild", "edit")
    }
    with tempfile.TemporaryDirectory(prefix="bench-site-") as scratch:
        scratch_dir = Path(scratch)

        for index in range(repeat):
            for variant, write_config in CONFIGS.items():
                root = copy_repository(scratch_dir / f"{variant}-{index}")
                config = write_config(root)
                samples["cold"][variant].append(time_call(lambda root=root, config=config: build(root, config)))
                samples["warm"][variant].append(time_call(lambda root=root, config=config: build(root, config)))
                shutil.rmtree(root)

        with ExitStack() as servers_running:
            servers = {}
            for variant, write_config in CONFIGS.items():
                root = copy_repository(scratch_dir / f"serve-{variant}")
                servers[variant] = servers_running.enter_context(serve(root, write_config(root)))
            for _ in range(repeat):
                for variant, server in servers.items():
                    latency, rebuild = server.edit_and_wait(EDITED_PAGE, EDITED_PAGE_URL)
                    samples["edit"][variant].append(latency)
                    samples["rebuild"][variant].append(rebuild)

    page_count = sum(1 for _ in (REPO_ROOT / "docs").rglob("*.md"))
    demo_count = sum(1 for _ in (REPO_ROOT / "docs").rglob("demos/*.py"))

    def measurement(
        case: str, title: str, target: float | None, notes: list[str], variant: str = "wiki"
    ) -> Measurement:
        return Measurement(
            benchmark="site_build",
            case=title,
            ours=samples[case][variant],
            baseline_name=PLAIN,
            baseline=samples[case]["plain"],
            target_ratio=target,
            notes=notes,
        )

    rebuild_note = (
        "from `mkdocs serve` logging 'Building documentation' to 'Reloading browsers' after a line "
        "is appended to docs/tuning/lora.md: config reload plus full build"
    )
    uncached_note = "the wiki without `wiki/template-cache`, so Material's templates are compiled on every build"
    return [
        measurement(
            "cold",
            "cold full build",
            None,
            [
                f"{page_count} Markdown pages and {demo_count} demo sources; "
                "a new `mkdocs build` process in a fresh copy, wall clock"
            ],
        ),
        measurement("warm", "warm full build", 1.5, ["the same build again in the same copy"]),
        measurement("rebuild", "serve rebuild, one-page edit", 1.2, [rebuild_note]),
        measurement(
            "edit",
            "serve edit → page served",
            None,
            ["includes MkDocs' file polling (every 0.5 s), which is the same for both"],
        ),
        measurement("warm", "warm full build, no template cache", None, [uncached_note], "uncached"),
        measurement("rebuild", "serve rebuild, no template cache", None, [uncached_note], "uncached"),
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=SERVE_TIMEOUT_SECONDS) as response:
            return response.read().decode("utf-8", errors="replace")
    except urllib.error.URLError:
        # Treat a failed request as "not rebuilt yet". The caller's timeout ends a wait that never succeeds.
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="repetitions per case (default: 5)")
    arguments = parser.parse_args()
    print(f"Machine: {machine_summary()}\n")
    print(format_table(run(arguments.repeat)))


if __name__ == "__main__":
    main()
