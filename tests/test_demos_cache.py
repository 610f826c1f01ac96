"""The execution cache, on tiny throwaway demos: real kernels, real `mkdocs build --strict` runs in tmp_path."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from wiki_tools.cli import cli
from wiki_tools.demos.cache import DemoCache, check_demo
from wiki_tools.demos.execute import CellFailure, execute_notebook
from wiki_tools.demos.source import DemoSource

from .conftest import run_mkdocs_build

GOOD_DEMO = """\
# %% [markdown]
# # Tiny demo
# Inline math $a^2 + b^2$ and a [@demo] citation.
#
# ## Numbers

# %%
import json

values = [n * n for n in range(4)]
print("squares", values)

# %% tags=["results"]
print(json.dumps({"total": sum(values)}))
"""

FAILING_DEMO = """\
# %% [markdown]
# # Failing demo

# %%
print("first cell runs")

# %%
raise ValueError("the numbers do not add up")

# %%
print("never reached")
"""


def make_site(root: Path, demos: dict[str, str], plugin_options: str = "", extra: str = "") -> Path:
    """Write a small site with the `wiki/demos` plugin and the given demo sources, and return its `mkdocs.yml`."""
    (root / "docs" / "demos").mkdir(parents=True, exist_ok=True)
    first = min(demos)
    (root / "docs" / "index.md").write_text(f"# Home\n\nSee [the demo](demos/{first}.py).\n", encoding="utf-8")
    for name, text in demos.items():
        (root / "docs" / "demos" / f"{name}.py").write_text(text, encoding="utf-8")
    options = textwrap.indent(plugin_options, " " * 6) if plugin_options else ""
    config = root / "mkdocs.yml"
    config.write_text(
        f"site_name: Demo test\nplugins:\n  - wiki/demos{':' if options else ''}\n{options}\n{extra}", encoding="utf-8"
    )
    return config


def build(config: Path) -> tuple[int, str]:
    result = run_mkdocs_build(config, config.parent / "site")
    return result.returncode, result.stdout + result.stderr


def executed_names(log: str) -> list[str]:
    return sorted(line.split("'")[1] for line in log.splitlines() if "Executed demo '" in line)


def read_page(config: Path, name: str) -> BeautifulSoup:
    path = config.parent / "site" / "demos" / name / "index.html"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.slow
def test_second_build_executes_nothing(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})

    code, log = build(config)
    assert code == 0, log
    assert executed_names(log) == ["tiny"]
    stored = tmp_path / "data" / "demos" / "tiny.ipynb"
    modified = stored.stat().st_mtime_ns

    code, log = build(config)
    assert code == 0, log
    assert executed_names(log) == []
    assert stored.stat().st_mtime_ns == modified


@pytest.mark.slow
def test_edited_cell_reruns_one_demo(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO, "other": GOOD_DEMO.replace("Tiny demo", "Other demo")})
    code, log = build(config)
    assert code == 0, log
    assert executed_names(log) == ["other", "tiny"]

    source = tmp_path / "docs" / "demos" / "tiny.py"
    source.write_text(GOOD_DEMO.replace("range(4)", "range(5)"), encoding="utf-8")
    code, log = build(config)

    assert code == 0, log
    assert executed_names(log) == ["tiny"]
    assert '{"total": 30}' in read_page(config, "tiny").get_text()


@pytest.mark.slow
def test_markdown_edit_renders_without_execution(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})
    assert build(config)[0] == 0

    source = tmp_path / "docs" / "demos" / "tiny.py"
    source.write_text(GOOD_DEMO.replace("## Numbers", "## Squares of small numbers"), encoding="utf-8")
    code, log = build(config)

    assert code == 0, log
    assert executed_names(log) == []
    page = read_page(config, "tiny")
    assert page.find(id="squares-of-small-numbers") is not None
    assert "squares [0, 1, 4, 9]" in page.get_text()


@pytest.mark.slow
def test_failing_cell_stops_build(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"broken": FAILING_DEMO})

    code, log = build(config)

    assert code != 0
    assert "Demo 'broken' failed in cell 3 (line 8 of broken.py): ValueError: the numbers do not add up" in log
    # Never half-executed: nothing was stored for the demo.
    assert not (tmp_path / "data" / "demos" / "broken.ipynb").exists()
    failure = json.loads((tmp_path / "data" / "demos" / "broken.failure.json").read_text(encoding="utf-8"))
    assert failure["cell"] == 3


@pytest.mark.slow
def test_allow_errors_renders_error(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"broken": FAILING_DEMO}, "demos:\n  broken:\n    allow_errors: true\n")

    code, log = build(config)

    assert code == 0, log
    page = read_page(config, "broken")
    status = page.select_one(".demo-status")
    assert status["data-passed"] == "false"
    assert "cell 3 (ValueError)" in status.get_text()
    assert "never reached" in page.get_text()
    assert "the numbers do not add up" in page.get_text()


@pytest.mark.slow
def test_failed_rerun_keeps_last_outputs(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO}, "allow_stale: true\n")
    assert build(config)[0] == 0
    stored = (tmp_path / "data" / "demos" / "tiny.ipynb").read_bytes()

    source = tmp_path / "docs" / "demos" / "tiny.py"
    source.write_text(GOOD_DEMO.replace("values = [", "values = 1 / 0\nvalues = ["), encoding="utf-8")
    code, log = build(config)

    assert code == 0, log
    assert (tmp_path / "data" / "demos" / "tiny.ipynb").read_bytes() == stored
    page = read_page(config, "tiny")
    notice = page.select_one(".demo-notice").get_text(" ")
    assert "cell 2 (line 8 of tiny.py): ZeroDivisionError: division by zero" in notice
    assert "squares [0, 1, 4, 9]" in page.get_text()


@pytest.mark.slow
def test_stale_demo_missing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo imports a module that only exists while `extra_path` is on PYTHONPATH.
    extra_path = tmp_path / "extra"
    extra_path.mkdir()
    (extra_path / "tinydependency.py").write_text("BASE = 10\n", encoding="utf-8")
    demo = GOOD_DEMO.replace("import json\n", "import json\n\nimport tinydependency\n")
    config = make_site(tmp_path, {"tiny": demo})
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(extra_path), os.environ.get("PYTHONPATH", "")]))
    assert build(config)[0] == 0

    # Without the package, an unchanged demo still renders from the cache.
    monkeypatch.setenv("PYTHONPATH", os.environ["PYTHONPATH"].split(os.pathsep, 1)[1])
    code, log = build(config)
    assert code == 0, log
    assert executed_names(log) == []

    # A changed demo cannot be executed, and the build names the demo and the command.
    source = tmp_path / "docs" / "demos" / "tiny.py"
    source.write_text(demo.replace("range(4)", "range(6)"), encoding="utf-8")
    code, log = build(config)
    assert code != 0
    assert "Demo 'tiny' is stale (code cells changed)" in log
    assert "because tinydependency is not installed" in log
    assert "run 'wiki-tools demos run tiny'" in log
    assert "pip install -e '.[demos]'" in log

    # With allow_stale, the last outputs are shown with a notice.
    config.write_text(
        config.read_text(encoding="utf-8").replace("- wiki/demos\n", "- wiki/demos:\n      allow_stale: true\n")
    )
    code, log = build(config)
    assert code == 0, log
    page = read_page(config, "tiny")
    assert "tinydependency is not installed" in page.select_one(".demo-notice").get_text(" ")
    assert "squares [0, 1, 4, 9]" in page.get_text()


@pytest.mark.slow
def test_demo_page_shows_status(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})
    assert build(config)[0] == 0
    record = json.loads((tmp_path / "data" / "demos" / "tiny.ipynb").read_text(encoding="utf-8"))["metadata"][
        "wiki_demos"
    ]

    page = read_page(config, "tiny")
    status = page.select_one(".demo-status")
    assert status["data-cache-key"] == record["cache_key"]
    assert status["data-passed"] == "true"
    assert "Last executed" in status.get_text()
    assert record["cache_key"][:12] in status.get_text()
    assert page.select(".jp-MarkdownCell .jp-RenderedMarkdown"), "KaTeX looks for math in these elements"
    assert page.find(id="numbers") is not None

    home = BeautifulSoup((tmp_path / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert home.find("a", string="the demo")["href"] == "demos/tiny/"


@pytest.mark.slow
def test_demo_page_requests_no_other_host(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO}, extra="theme:\n  name: material\n  font: false\n")
    assert build(config)[0] == 0

    page = read_page(config, "tiny")
    html = str(page)
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        for element in page.find_all(tag):
            assert "//" not in (element.get(attribute) or ""), element
    assert "cdnjs" not in html
    assert "mathjax" not in html.lower()
    assert (tmp_path / "site" / "assets" / "demos" / "notebook.css").stat().st_size > 10_000


@pytest.mark.slow
def test_markdown_hooks_reach_cells(tmp_path: Path) -> None:
    # A MkDocs hook plays the citation plugin: it edits the Markdown cells and appends a section.
    (tmp_path / "cite_hook.py").write_text(
        "def on_page_markdown(markdown, page, **kwargs):\n"
        "    return markdown.replace('[@demo]', '<span class=\"cited\">(Demo, 2024)</span>') + '\\n## References\\n\\nDemo, 2024.\\n'\n",
        encoding="utf-8",
    )
    config = make_site(tmp_path, {"tiny": GOOD_DEMO}, extra="hooks:\n  - cite_hook.py\n")

    code, log = build(config)

    assert code == 0, log
    page = read_page(config, "tiny")
    assert page.select_one(".jp-RenderedMarkdown span.cited").get_text() == "(Demo, 2024)"
    assert page.find(id="references") is not None
    assert "[@demo]" not in page.get_text()


@pytest.mark.slow
def test_cli_run_then_up_to_date(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})
    runner = CliRunner()

    first = runner.invoke(cli, ["-f", str(config), "demos", "run"])
    second = runner.invoke(cli, ["-f", str(config), "demos", "run", "tiny"])
    forced = runner.invoke(cli, ["-f", str(config), "demos", "run", "--force"])
    unknown = runner.invoke(cli, ["-f", str(config), "demos", "run", "nope"])

    assert first.exit_code == 0, first.output
    assert "[1/1] tiny: executed in" in first.output
    assert "stored in data/demos/tiny.ipynb" in first.output
    assert "[1/1] tiny: up to date" in second.output
    assert "executed in" in forced.output
    assert unknown.exit_code != 0
    assert "No demo named 'nope'" in unknown.output


def test_package_version_change_makes_stale(tmp_path: Path) -> None:
    folder = tmp_path / "demos"
    folder.mkdir()
    (folder / "tiny.py").write_text(
        GOOD_DEMO.replace("import json\n", "import json\n\nimport click\n"), encoding="utf-8"
    )
    source = DemoSource("tiny", folder / "tiny.py").load()
    cache = DemoCache(tmp_path / "cache")
    status = check_demo(source, cache, "python3")
    assert status.reasons == ["never executed"]

    # Store a record whose click version differs from the installed one.
    import nbformat

    from wiki_tools.demos.cache import ExecutionRecord

    record = ExecutionRecord(
        cache_key="0" * 64,
        code_hash=status.code_hash,
        kernel="python3 (Python 3.11)",
        packages={"click": ["click", "0.1"]},
        executed_at="2026-01-01T00:00:00+00:00",
        duration_seconds=1.0,
        passed=True,
    )
    cache.store_executed("tiny", nbformat.v4.new_notebook(), record)
    status = check_demo(source, cache, "python3")

    assert not status.is_fresh
    assert any(reason.startswith("click 0.1 -> ") for reason in status.reasons)
    assert "code cells changed" not in status.reasons


def test_markdown_not_in_cache_key(tmp_path: Path) -> None:
    first = tmp_path / "first.py"
    second = tmp_path / "second.py"
    first.write_text(GOOD_DEMO, encoding="utf-8")
    second.write_text(GOOD_DEMO.replace("# Tiny demo", "# A renamed demo"), encoding="utf-8")
    cache = DemoCache(tmp_path / "cache")

    key_first = check_demo(DemoSource("x", first).load(), cache, "python3").cache_key
    key_second = check_demo(DemoSource("x", second).load(), cache, "python3").cache_key

    assert key_first == key_second


def test_cell_timeout_names_cell(tmp_path: Path) -> None:
    source = tmp_path / "slow.py"
    source.write_text("# %%\nx = 1\n\n# %%\nimport time\ntime.sleep(30)\n", encoding="utf-8")
    notebook = DemoSource("slow", source).load().to_notebook()

    with pytest.raises(CellFailure) as caught:
        execute_notebook(notebook, cwd=tmp_path, cell_timeout_seconds=2)

    assert caught.value.cell_index == 1
    assert caught.value.ename == "TimeoutError"
    assert "2 s" in caught.value.evalue


@pytest.mark.slow
def test_markdown_links_resolve(tmp_path: Path) -> None:
    linked = GOOD_DEMO.replace("# ## Numbers", "# Back to [the home page](../index.md#home).\n#\n# ## Numbers")
    config = make_site(tmp_path, {"tiny": linked})

    code, log = build(config)
    assert code == 0, log
    assert read_page(config, "tiny").find("a", string="the home page")["href"] == "../../#home"

    source = tmp_path / "docs" / "demos" / "tiny.py"
    source.write_text(linked.replace("../index.md#home", "../missing.md"), encoding="utf-8")
    code, log = build(config)
    assert code != 0
    assert "Doc file 'demos/tiny.py' contains a link '../missing.md', but the target is not found" in log


def test_missing_module_ignores_other_versions(tmp_path: Path) -> None:
    # In an environment that cannot run the demo, another version of an installed module changes nothing.
    import nbformat

    from wiki_tools.demos.cache import ExecutionRecord, compute_cache_key, kernel_identity

    folder = tmp_path / "demos"
    folder.mkdir()
    code = GOOD_DEMO.replace("import json\n", "import json\n\nimport click\nimport notinstalledmodule\n")
    (folder / "tiny.py").write_text(code, encoding="utf-8")
    source = DemoSource("tiny", folder / "tiny.py").load()
    packages = {"click": ["click", "0.1"], "notinstalledmodule": ["notinstalledmodule", "1.0"]}
    kernel = kernel_identity("python3")
    cache_key, code_hash = compute_cache_key(source, kernel, packages)
    record = ExecutionRecord(cache_key, code_hash, kernel, packages, "2026-01-01T00:00:00+00:00", 1.0, True)
    cache = DemoCache(tmp_path / "cache")
    cache.store_executed("tiny", nbformat.v4.new_notebook(), record)

    status = check_demo(source, cache, "python3")

    assert status.missing_modules == ["notinstalledmodule"]
    assert status.is_fresh, status.reasons


def test_demo_citation_keeps_card(tmp_path: Path) -> None:
    # The bibliography and demos plugins both hand the search plugin a trimmed page and restore it after.
    config = make_site(tmp_path, {"tiny": GOOD_DEMO})
    (tmp_path / "papers.bib").write_text(
        "@misc{demo, title = {A Demo Paper}, author = {Doe, Jane}, year = {2024}}\n", encoding="utf-8"
    )
    config.write_text(
        "site_name: Demo test\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - wiki/bibliography\n  - wiki/demos\n",
        encoding="utf-8",
    )

    code, log = build(config)

    assert code == 0, log
    card = read_page(config, "tiny").select_one(".jp-RenderedMarkdown .wiki-cite .wiki-cite__card")
    assert card is not None
    assert "A Demo Paper" in card.get_text()
    docs = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    demo_text = " ".join(doc["text"] for doc in docs if doc["location"].startswith("demos/tiny/"))
    assert "Doe, 2024" in demo_text
    # The card's byline: the References section writes the same facts as "Jane Doe. A Demo Paper. 2024."
    assert "Jane Doe, 2024" in card.get_text()
    assert "Jane Doe, 2024" not in demo_text
