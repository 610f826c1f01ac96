"""Time `mkdocs build` with the `wiki/bibliography` plugin against mkdocs-bibtex at 100 to 10,000 entries.

For each bibliography size the script generates one seeded BibTeX file and one Material site of
100 Markdown pages that cite it 500 times, then builds three copies of that site side by side:

- `ours`: the `wiki/bibliography` plugin, built cold (cache folder removed) and warm (cache kept).
  It writes a page for every entry.
- `mkdocs-bibtex`: mkdocs-bibtex with the same `papers.bib`, listing the full bibliography on one
  page through its `full_bib_command` placeholder, as a wiki with a reference list would.
- `plain`: the same pages with no bibliography plugin, the floor under both.

Every build is a separate `python -m mkdocs build -q` process, so its peak memory (`ru_maxrss`
from `os.wait4`) is its own. It also times a one-page rebuild under `mkdocs serve` at 1,000
entries, with and without our plugin, by editing a page and polling it over HTTP on 127.0.0.1.

Run it from the repository root:

    python benchmarks/bib_scale.py                  # 100, 1,000 and 10,000 entries, then serve
    python benchmarks/bib_scale.py --sizes 100,1000 --repeat 3 --no-serve
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = 20260101
SIZES = (100, 1_000, 10_000)
PAGE_COUNT = 100
CITATION_COUNT = 500
SERVE_SIZE = 1_000
SERVE_EDITS = 5
SERVE_TIMEOUT_SECONDS = 120.0

# Targets for the plugin, as ratios to mkdocs-bibtex's median build time.
COLD_TARGET_RATIO = 2.0
WARM_TARGET_RATIO = 1.0
MEMORY_TARGET_MIB = 2048
SERVE_TARGET_SECONDS = 1.0

VARIANTS = ("ours-cold", "ours-warm", "mkdocs-bibtex", "plain")

# Word lists for the generated entries. Accented names are written in LaTeX, as exporters write them.
FIRST_NAMES = (
    "Ashish",
    "Noam",
    "Niki",
    "Jakob",
    "Llion",
    "Aidan",
    "Łukasz",
    "Illia",
    "Jacob",
    "Ming-Wei",
    "Kenton",
    "Kristina",
    "Tom",
    "Dario",
    "Jared",
    "Sam",
    "Hugo",
    "Thibaut",
    "Gautier",
    "Edward",
    "Yelong",
    "Phillip",
    "Zeyuan",
    "Yuanzhi",
    "Patrick",
    "Ethan",
    "Aleksandra",
    "Jos{\\'e}",
    "Fran{\\c{c}}ois",
    'J{\\"o}rg',
    "Ren{\\'e}",
    "S{\\o}ren",
    "Zo{\\'e}",
    "Andr{\\'e}s",
    'Bj{\\"o}rn',
)
LAST_NAMES = (
    "Vaswani",
    "Shazeer",
    "Parmar",
    "Uszkoreit",
    "Jones",
    "Gomez",
    "Kaiser",
    "Polosukhin",
    "Devlin",
    "Chang",
    "Lee",
    "Toutanova",
    "Brown",
    "Amodei",
    "Kaplan",
    "Touvron",
    "Lavril",
    "Izacard",
    "Hu",
    "Shen",
    "Wallis",
    "Lewis",
    "Perez",
    "Piktus",
    "Wei",
    "Zhou",
    "Schick",
    "Yao",
    'M{\\"u}ller',
    "Gonz{\\'a}lez",
    'Sch{\\"o}lkopf',
    "{\\O}stergaard",
    "Ng{\\^o}",
    "van der Berg",
    "de la Cruz",
    "Nov{\\'a}k",
    "Ku{\\v{c}}era",
    "Erd{\\H{o}}s",
    "Garc{\\'i}a",
    "Dvo{\\v{r}}{\\'a}k",
)
TOPICS = (
    "transformers",
    "pretraining",
    "fine-tuning",
    "prompting",
    "retrieval",
    "agents",
    "alignment",
    "evaluation",
    "efficiency",
    "multimodal",
)
SYSTEMS = ("{BERT}", "{GPT}", "{LLaMA}", "{T5}", "{RoBERTa}", "{LoRA}", "{RAG}", "{CLIP}", "{PaLM}", "{Mistral}")
TITLE_OPENINGS = (
    "Attention Is All You Need for",
    "Scaling Laws for",
    "Towards Robust",
    "On the Limits of",
    "Revisiting",
    "A Survey of",
    "Efficient",
    "Learning to Reason with",
    "Rethinking",
    "Language Models Are Few-Shot Learners in",
    "Self-Supervised",
    "Sparse Mixtures of Experts for",
)
TITLE_SUBJECTS = (
    "Neural Machine Translation",
    "Instruction Following",
    "Long-Context Retrieval",
    "Tool Use",
    "Code Generation",
    "Question Answering",
    "Low-Rank Adaptation",
    "Preference Optimization",
    "Chain-of-Thought Prompting",
    "Vision--Language Models",
    'Na{\\"i}ve Bayes Baselines',
    "Caf{\\'e}-Style Dialogue",
    "Multilingual Pre-training",
    "Speculative Decoding",
)
JOURNALS = (
    "Journal of Machine Learning Research",
    "Transactions of the Association for Computational Linguistics",
    "Nature Machine Intelligence",
    "Computational Linguistics",
)
CONFERENCES = (
    "Advances in Neural Information Processing Systems",
    "International Conference on Machine Learning",
    "Proceedings of the 61st Annual Meeting of the Association for Computational Linguistics",
    "International Conference on Learning Representations",
    "Proceedings of {EMNLP}",
)
INSTITUTIONS = ("Google Research", "Meta {AI}", "Allen Institute for {AI}", 'ETH Z{\\"u}rich')
PUBLISHERS = ("MIT Press", "Springer", "O'Reilly Media", "Cambridge University Press")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
ARXIV_CLASSES = ("cs.CL", "cs.LG", "cs.AI", "cs.CV", "stat.ML")
ABSTRACT_SENTENCES = (
    "We study how model size, data and compute interact when training large language models.",
    "Our method reaches state-of-the-art results on {GLUE} and {SuperGLUE} with 10\\% of the parameters.",
    "We release code and checkpoints to support further research.",
    "Experiments on six benchmarks show consistent gains over strong baselines.",
    "We analyse failure modes and discuss the limits of the approach.",
    "The approach needs no labelled data and runs on a single {GPU}.",
)


# Generated input ---------------------------------------------------------------------------------------------


def generate_bibliography(size: int, seed: int = SEED) -> tuple[str, list[str]]:
    """Return the text of a `.bib` file with `size` entries and the entry keys in file order."""
    rng = random.Random(seed + size)
    records: list[str] = []
    keys: list[str] = []
    used: set[str] = set()

    for index in range(size):
        authors = [(rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for _ in range(rng.randint(1, 8))]
        year = rng.randint(2015, 2025)
        title = f"{rng.choice(TITLE_OPENINGS)} {rng.choice(TITLE_SUBJECTS)} using {rng.choice(SYSTEMS)}"

        # Keys look like `vaswani2017attention`: first author, year, first title word, and a suffix if taken.
        surname = "".join(character for character in _strip_latex(authors[0][1]) if character.isalpha()).lower()
        word = "".join(character for character in title.split()[0] if character.isalpha()).lower()
        key = f"{surname}{year}{word}"
        suffix = 1
        while key in used:
            suffix += 1
            key = f"{surname}{year}{word}{suffix}"
        used.add(key)
        keys.append(key)

        fields = [
            ("author", " and ".join(f"{last}, {first}" for first, last in authors)),
            ("title", title),
            ("year", str(year)),
        ]
        entry_type, venue = _venue_fields(rng, index)
        fields += venue
        fields.append(("keywords", ", ".join(rng.sample(TOPICS, rng.randint(1, 3)))))
        if rng.random() < 0.5:
            fields.append(("abstract", " ".join(rng.sample(ABSTRACT_SENTENCES, 3))))
        if rng.random() < 0.3:
            fields.append(("doi", f"10.{rng.randint(1000, 9999)}/wiki.{index:05d}"))
        if rng.random() < 0.2:
            fields.append(("url", f"https://example.org/papers/{key}"))

        records.append(_format_record(entry_type, key, fields, rng))

    return "\n".join(records), keys


def _venue_fields(rng: random.Random, index: int) -> tuple[str, list[tuple[str, str]]]:
    """Pick an entry type and return it with the venue fields of one entry.

    Every type gets the fields that pybtex's `plain` style requires, so mkdocs-bibtex formats them all.
    """
    kind = rng.choices(
        ("article", "inproceedings", "misc", "techreport", "phdthesis", "book"), weights=(30, 35, 25, 4, 3, 3)
    )[0]
    first_page = rng.randint(1, 900)
    pages = ("pages", f"{first_page}--{first_page + rng.randint(5, 20)}")

    if kind == "article":
        fields = [
            ("journal", rng.choice(JOURNALS)),
            ("volume", str(rng.randint(1, 40))),
            ("number", str(rng.randint(1, 12))),
            pages,
        ]
    elif kind == "inproceedings":
        fields = [("booktitle", rng.choice(CONFERENCES)), pages, ("publisher", "Curran Associates, Inc.")]
    elif kind == "misc":
        identifier = f"{rng.randint(18, 25):02d}{rng.randint(1, 12):02d}.{rng.randint(0, 99999):05d}"
        fields = [
            ("howpublished", "arXiv preprint"),
            ("eprint", identifier),
            ("archivePrefix", "arXiv"),
            ("primaryClass", rng.choice(ARXIV_CLASSES)),
        ]
    elif kind == "techreport":
        fields = [("institution", rng.choice(INSTITUTIONS)), ("number", f"TR-{index}")]
    elif kind == "phdthesis":
        fields = [("school", rng.choice(INSTITUTIONS))]
    else:
        fields = [("publisher", rng.choice(PUBLISHERS)), ("address", "Cambridge, MA")]

    # Month macros are written bare (`month = jan`), the way BibTeX exporters write them.
    fields.append(("month", rng.choice(MONTHS)))
    return kind, fields


def _format_record(entry_type: str, key: str, fields: list[tuple[str, str]], rng: random.Random) -> str:
    lines = [f"@{entry_type}{{{key},"]
    for name, value in fields:
        # Months are macros and must stay bare. Half of the years are bare too, as many exporters write them.
        if name == "month" or (name == "year" and rng.random() < 0.5):
            lines.append(f"  {name} = {value},")
        else:
            lines.append(f"  {name} = {{{value}}},")
    lines.append("}\n")
    return "\n".join(lines)


def _strip_latex(value: str) -> str:
    """Drop LaTeX accent commands from a name, enough to build an ASCII key: `M{\\"u}ller` -> `Muller`."""
    value = value.replace("\\O", "O").replace("\\o", "o")
    for command in ('\\"', "\\'", "\\^", "\\`", "\\~", "\\c", "\\v", "\\H"):
        value = value.replace(command, "")
    return value.replace("{", "").replace("}", "").replace(" ", "")


def generate_pages(keys: list[str], seed: int = SEED) -> dict[str, str]:
    """Return `PAGE_COUNT` Markdown pages, keyed by file name, that cite `keys` `CITATION_COUNT` times.

    Each page has four citation groups: three single citations and one of two keys, `[@a; @b]`.
    mkdocs-bibtex and our plugin read the same syntax, so every site gets the same pages.
    """
    rng = random.Random(seed)
    per_page = CITATION_COUNT // PAGE_COUNT
    pages: dict[str, str] = {}

    for number in range(1, PAGE_COUNT + 1):
        cited = [rng.choice(keys) for _ in range(per_page)]
        groups = [f"[@{key}]" for key in cited[: per_page - 2]] + [f"[@{cited[-2]}; @{cited[-1]}]"]
        topic = TOPICS[number % len(TOPICS)]
        paragraphs = [
            f"# {topic.capitalize()} notes {number}",
            (
                f"This page collects what the wiki knows about {topic}. Early work framed the problem as "
                f"sequence modelling {groups[0]}, and later work scaled the same idea to far larger corpora."
            ),
            "## Background",
            (
                f"Most systems share a tokenizer, an embedding table and a stack of attention layers {groups[1]}. "
                "The differences lie in the training data, the objective and the decoding strategy, which the "
                "sections below compare on the benchmarks that the community reports most often."
            ),
            "## Results",
            (
                f"Reported gains depend on the evaluation protocol {groups[2]}. Comparisons across papers "
                "should fix the prompt format and the number of shots before reading anything into the numbers "
                f"{groups[3]}."
            ),
            "```python\nscores = {name: evaluate(model) for name, model in models.items()}\n```",
            "| Model | Parameters | Score |\n|---|---|---|\n| Small | 125M | 61.2 |\n| Large | 7B | 74.9 |",
            (
                "Open questions remain about data contamination, the cost of long contexts and how well the "
                "results carry over to languages with less training data."
            ),
        ]
        pages[f"notes-{number:03d}.md"] = "\n\n".join(paragraphs) + "\n"

    return pages


# Sites -------------------------------------------------------------------------------------------------------


SITE_HEADER = """site_name: Bibliography benchmark
# No path in site_url, because `mkdocs serve` would move the site under that path.
site_url: https://example.invalid/
theme:
  name: material
  font: false
markdown_extensions:
  - footnotes
  - tables
  - toc:
      permalink: true
  - pymdownx.superfences
  - pymdownx.highlight
"""

PLUGIN_BLOCKS = {
    "ours": "plugins:\n  - search\n  - wiki/bibliography:\n      bib_file: papers.bib\n",
    # mkdocs-bibtex 4.4.0 without `csl_file` formats with pybtex's `plain` style (SimpleRegistry).
    "mkdocs-bibtex": (
        "plugins:\n  - search\n  - bibtex:\n      bib_file: papers.bib\n      full_bib_command: \\full_bibliography\n"
    ),
    "plain": "plugins:\n  - search\n",
}

# The page that lists every entry. mkdocs-bibtex fills in its placeholder, and ours links to the generated hit list.
BIBLIOGRAPHY_PAGES = {
    "ours": "# Bibliography\n\nEvery entry is listed on the [paper hit list](papers/index.md).\n",
    "mkdocs-bibtex": "# Bibliography\n\n\\full_bibliography\n",
    "plain": "# Bibliography\n\nNo bibliography plugin is configured.\n",
}


def write_site(root: Path, flavour: str, bib_text: str, pages: dict[str, str]) -> Path:
    """Write one site with `flavour`'s plugin configuration under `root` and return its `mkdocs.yml`."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (root / "papers.bib").write_text(bib_text, encoding="utf-8")
    (docs / "index.md").write_text("# Benchmark wiki\n\nA generated site for timing builds.\n", encoding="utf-8")
    (docs / "bibliography.md").write_text(BIBLIOGRAPHY_PAGES[flavour], encoding="utf-8")
    for name, text in pages.items():
        (docs / name).write_text(text, encoding="utf-8")

    config = root / "mkdocs.yml"
    config.write_text(SITE_HEADER + PLUGIN_BLOCKS[flavour], encoding="utf-8")
    return config


def _environment() -> dict[str, str]:
    # PYTHONPATH puts this checkout first, so `wiki/bibliography` resolves to the code being measured.
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": path}


# Builds ------------------------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    """Wall time, CPU time (user and system) and peak resident memory of one `mkdocs build` process."""

    seconds: float
    cpu_seconds: float
    peak_mib: float


def time_build(config: Path) -> BuildResult:
    """Run `python -m mkdocs build -q` on `config` in its own process and measure it.

    Raises:
        RuntimeError: the build exited with an error; the message contains its output.
    """
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "--config-file", str(config)]
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=config.parent, env=_environment(), stdout=output, stderr=output)
        # `os.wait4` returns the usage of this one child, so every build gets its own peak memory.
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            text = output.read().decode("utf-8", "replace")
            raise RuntimeError(f"mkdocs build of {config} exited with {process.returncode}:\n{text}")

    # Linux reports ru_maxrss in KiB.
    return BuildResult(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def check_outputs(configs: dict[str, Path], size: int) -> None:
    """Check that the last builds wrote what is being timed: every paper page, and the full list of mkdocs-bibtex.

    Raises:
        RuntimeError: a site lacks the expected output, so its timing would be meaningless.
    """
    paper_pages = list((configs["ours"].parent / "site" / "papers").glob("*/index.html"))
    if len(paper_pages) < size:
        raise RuntimeError(f"Our plugin wrote {len(paper_pages)} paper pages for {size} entries.")

    listing = (configs["mkdocs-bibtex"].parent / "site" / "bibliography" / "index.html").read_text(encoding="utf-8")
    footnotes = listing.count('id="fn:')
    if footnotes < size:
        raise RuntimeError(f"mkdocs-bibtex listed {footnotes} of {size} entries on its bibliography page.")


def run_size(size: int, work_dir: Path, repeat: int) -> dict[str, list[BuildResult]]:
    """Generate the sites for one bibliography size and build each variant `repeat` times, interleaved.

    The variants take turns within each repetition, so a burst of load from elsewhere on the machine
    slows all of them rather than one.
    """
    bib_text, keys = generate_bibliography(size)
    pages = generate_pages(keys)
    configs = {
        flavour: write_site(work_dir / f"{size}-{flavour}", flavour, bib_text, pages) for flavour in PLUGIN_BLOCKS
    }
    cache_dir = configs["ours"].parent / ".cache"

    # One unmeasured build loads MkDocs, Material and pybtex from disk into the page cache.
    time_build(configs["plain"])

    results: dict[str, list[BuildResult]] = {variant: [] for variant in VARIANTS}
    for _ in range(repeat):
        shutil.rmtree(cache_dir, ignore_errors=True)
        results["ours-cold"].append(time_build(configs["ours"]))
        # The cold build just filled the cache, so this one reads every entry from it.
        results["ours-warm"].append(time_build(configs["ours"]))
        results["mkdocs-bibtex"].append(time_build(configs["mkdocs-bibtex"]))
        results["plain"].append(time_build(configs["plain"]))

    check_outputs(configs, size)
    return results


# Serve -------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_for(url: str, predicate, timeout: float, server: subprocess.Popen) -> float:
    """Poll `url` until `predicate(body)` is true and return the seconds it took.

    Raises:
        TimeoutError: the condition stayed false for `timeout` seconds.
        RuntimeError: the `server` process exited.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"mkdocs serve exited with {server.returncode} before {url} was ready")
        body = _fetch(url)
        if body is not None and predicate(body):
            return time.perf_counter() - started
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not show the expected content within {timeout:.0f} s")


def _cpu_seconds(pid: int) -> float:
    """Return the user and system CPU time that process `pid` has used so far, from `/proc/<pid>/stat`."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_serve_rebuild(config: Path, edits: int = SERVE_EDITS) -> list[BuildResult]:
    """Start `mkdocs serve` for `config`, edit one page `edits` times, and measure each rebuild.

    A rebuild's wall time runs from writing the file to the first response that contains the edit.
    MkDocs delays each response until a running rebuild finishes, so polling does not race the build.
    Its CPU time is what the server process used in between, which includes answering the polls.
    """
    port = _free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "--config-file", str(config), "--dev-addr", f"127.0.0.1:{port}"]
    log_file = config.parent / "serve.log"
    page = config.parent / "docs" / "notes-042.md"
    original = page.read_text(encoding="utf-8")
    url = f"http://127.0.0.1:{port}/notes-042/"

    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=config.parent, env=_environment(), stdout=log, stderr=log, start_new_session=True
        )
    try:
        _wait_for(url, lambda body: "notes 42" in body, SERVE_TIMEOUT_SECONDS, process)
        # Let the watcher settle after the first build before the first edit.
        time.sleep(1.0)

        timings = []
        for edit in range(edits):
            marker = f"bench-edit-{edit}-{time.time_ns()}"
            cpu_before = _cpu_seconds(process.pid)
            page.write_text(original + f"\n{marker}\n", encoding="utf-8")
            seconds = _wait_for(url, lambda body, marker=marker: marker in body, SERVE_TIMEOUT_SECONDS, process)
            timings.append(BuildResult(seconds, _cpu_seconds(process.pid) - cpu_before, 0.0))
            # MkDocs looks for changes every 0.5 s. A random part of the pause spreads the edits over that
            # cycle, so that a steady rhythm cannot favour or penalise one of the two sites.
            time.sleep(1.0 + random.uniform(0, 0.5))
        return timings
    finally:
        page.write_text(original, encoding="utf-8")
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# Report ------------------------------------------------------------------------------------------------------


def _median(results: list[BuildResult]) -> float:
    return statistics.median(result.seconds for result in results)


def _median_cpu(results: list[BuildResult]) -> float:
    return statistics.median(result.cpu_seconds for result in results)


def _peak(results: list[BuildResult]) -> float:
    return max(result.peak_mib for result in results)


def run(
    sizes: tuple[int, ...] = SIZES, repeat: int | None = None, serve: bool = True, work_dir: Path | None = None
) -> list[dict]:
    """Run the benchmark and return one row per measurement.

    Each row has `name`, `ours_seconds`, `baseline_name`, `baseline_seconds` and `ratio` (ours over
    baseline), plus the same for CPU time, `target_ratio`, peak memory in MiB and the no-plugin build
    time where they apply.
    `repeat` defaults to 5 builds per variant, and 3 at 10,000 entries or more.
    """
    owned = work_dir is None
    work_dir = Path(tempfile.mkdtemp(prefix="bib-scale-")) if owned else work_dir
    rows: list[dict] = []
    try:
        for size in sizes:
            count = repeat or (3 if size >= 10_000 else 5)
            print(f"Building the {size:,}-entry sites, {count} times each ...", file=sys.stderr, flush=True)
            results = run_size(size, work_dir, count)
            bibtex = _median(results["mkdocs-bibtex"])
            for variant, target in (("ours-cold", COLD_TARGET_RATIO), ("ours-warm", WARM_TARGET_RATIO)):
                ours = _median(results[variant])
                rows.append(
                    {
                        "name": f"build {size:,} entries, {variant.removeprefix('ours-')}",
                        "ours_seconds": ours,
                        "baseline_name": "mkdocs-bibtex",
                        "baseline_seconds": bibtex,
                        "ratio": ours / bibtex,
                        "target_ratio": target,
                        "ours_cpu_seconds": _median_cpu(results[variant]),
                        "baseline_cpu_seconds": _median_cpu(results["mkdocs-bibtex"]),
                        "cpu_ratio": _median_cpu(results[variant]) / _median_cpu(results["mkdocs-bibtex"]),
                        "ours_peak_mib": _peak(results[variant]),
                        "baseline_peak_mib": _peak(results["mkdocs-bibtex"]),
                        "plain_seconds": _median(results["plain"]),
                        "max_peak_mib": MEMORY_TARGET_MIB if size >= 10_000 and variant == "ours-warm" else None,
                        "repeat": count,
                    }
                )

        if serve:
            print(
                f"Timing one-page rebuilds under mkdocs serve at {SERVE_SIZE:,} entries ...",
                file=sys.stderr,
                flush=True,
            )
            bib_text, keys = generate_bibliography(SERVE_SIZE)
            pages = generate_pages(keys)
            ours_config = write_site(work_dir / "serve-ours", "ours", bib_text, pages)
            plain_config = write_site(work_dir / "serve-plain", "plain", bib_text, pages)
            ours_results = time_serve_rebuild(ours_config)
            plain_results = time_serve_rebuild(plain_config)
            ours, plain = _median(ours_results), _median(plain_results)
            ours_cpu, plain_cpu = _median_cpu(ours_results), _median_cpu(plain_results)
            rows.append(
                {
                    "name": f"serve rebuild, {SERVE_SIZE:,} entries",
                    "ours_seconds": ours,
                    "baseline_name": "no bibliography plugin",
                    "baseline_seconds": plain,
                    "ratio": ours / plain,
                    "ours_cpu_seconds": ours_cpu,
                    "baseline_cpu_seconds": plain_cpu,
                    "cpu_ratio": ours_cpu / plain_cpu,
                    "added_seconds": ours - plain,
                    "added_cpu_seconds": ours_cpu - plain_cpu,
                    "target_added_seconds": SERVE_TARGET_SECONDS,
                    "repeat": SERVE_EDITS,
                }
            )
    finally:
        if owned:
            shutil.rmtree(work_dir, ignore_errors=True)
    return rows


def format_table(rows: list[dict]) -> str:
    """Format the rows as a Markdown table, judging each target on wall time and on CPU time."""
    lines = [
        (
            "| Measurement | Ours (s) | Baseline | Baseline (s) | Ratio | Ours CPU (s) | Baseline CPU (s) | CPU ratio "
            "| No plugin (s) | Peak MiB ours / baseline | Target | Met (wall / CPU) |"
        ),
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        if "target_ratio" in row:
            memory = f"{row['ours_peak_mib']:.0f} / {row['baseline_peak_mib']:.0f}"
            target = f"≤ {row['target_ratio']:g}×"
            memory_met = row.get("max_peak_mib") is None or row["ours_peak_mib"] < row["max_peak_mib"]
            if row.get("max_peak_mib") is not None:
                target += f", < {row['max_peak_mib']} MiB"
            met = (
                row["ratio"] <= row["target_ratio"] and memory_met,
                row["cpu_ratio"] <= row["target_ratio"] and memory_met,
            )
            plain = f"{row['plain_seconds']:.2f}"
        else:
            memory = ""
            target = f"adds ≤ {row['target_added_seconds']:g} s (adds {row['added_seconds']:.2f} s, CPU {row['added_cpu_seconds']:.2f} s)"
            limit = row["target_added_seconds"]
            met = (row["added_seconds"] <= limit, row["added_cpu_seconds"] <= limit)
            plain = ""
        verdict = " / ".join("yes" if value else "NO" for value in met)
        lines.append(
            f"| {row['name']} | {row['ours_seconds']:.2f} | {row['baseline_name']} | {row['baseline_seconds']:.2f} "
            f"| {row['ratio']:.2f} | {row['ours_cpu_seconds']:.2f} | {row['baseline_cpu_seconds']:.2f} | {row['cpu_ratio']:.2f} "
            f"| {plain} | {memory} | {target} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES), help="comma-separated entry counts")
    parser.add_argument("--repeat", type=int, help="builds per variant (default 5, and 3 at 10,000 entries)")
    parser.add_argument("--no-serve", action="store_true", help="skip the mkdocs serve rebuild timing")
    parser.add_argument("--work-dir", type=Path, help="keep the generated sites here instead of a removed temp folder")
    arguments = parser.parse_args(argv)

    sizes = tuple(int(size.replace("_", "")) for size in arguments.sizes.split(",") if size.strip())
    rows = run(sizes, arguments.repeat, serve=not arguments.no_serve, work_dir=arguments.work_dir)
    print(format_table(rows))


if __name__ == "__main__":
    main()
