"""`wiki-tools papers add` and `papers refresh` on a small wiki, against a real arXiv test server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner, Result

from wiki_tools.cli import cli
from wiki_tools.papers.arxiv_client import API_URL_VARIABLE
from wiki_tools.papers.bibwriter import scan_entries
from wiki_tools.papers.library import load_bibliography
from wiki_tools.papers.metadata import load_metadata
from wiki_tools.plugins.bibliography.config import BibliographyConfig

from .arxiv_server import FIXTURES, ArxivTestServer, arxiv_server_fixture  # noqa: F401 (pytest fixture)
from .conftest import REPO_ROOT, run_mkdocs_build
from .test_arxiv_client import closed_port

SMALL_BIB = """% Three papers for the refresh tests.

@inproceedings{vaswani2017attention,
  title         = {Attention Is All You Need},
  author        = {Vaswani, Ashish and Shazeer, Noam},
  booktitle     = {Advances in Neural Information Processing Systems},
  year          = {2017},
  eprint        = {1706.03762},
  archivePrefix = {arXiv},
  primaryClass  = {cs.CL}
}

@misc{devlin2018bert,
  title         = {{BERT}: Pre-training of Deep Bidirectional Transformers for Language Understanding},
  author        = {Devlin, Jacob and Chang, Ming-Wei},
  year          = {2018},
  eprint        = {1810.04805v1},
  archivePrefix = {arXiv},
  doi           = {10.48550/arXiv.1810.04805},
}

@misc{example2023scaling,
  title  = {Scaling Laws for Tiny Language Models},
  author = {Example, Grace},
  year   = {2023},
  eprint = {2302.01234},
}
"""


def make_wiki(root: Path, api_url: str, bib_text: str = SMALL_BIB) -> Path:
    """Write a minimal wiki whose bibliography plugin points at `api_url`, and return its mkdocs.yml."""
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "papers.bib").write_text(bib_text, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: Test wiki\n"
        "plugins:\n"
        "  - wiki/bibliography:\n"
        f"      arxiv_api_url: {api_url}\n"
        "      arxiv_delay_seconds: 0.01\n"
        "      arxiv_timeout_seconds: 5\n"
        "      arxiv_max_retries: 1\n",
        encoding="utf-8",
    )
    return config


def run(config: Path, *arguments: str, environ: dict[str, str | None] | None = None) -> Result:
    environment = {API_URL_VARIABLE: None, **(environ or {})}
    return CliRunner().invoke(cli, ["-f", str(config), "papers", *arguments], env=environment)


def cache_path(config: Path) -> Path:
    return config.parent / "data" / "arxiv" / "metadata.json"


# ---- add ----


def test_add_every_form_appends_entries(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    bib = tmp_path / "papers.bib"
    shutil.copyfile(FIXTURES / "odd.bib", bib)
    before = bib.read_bytes()

    result = run(
        config,
        "add",
        "https://arxiv.org/abs/1810.04805v1",
        "arXiv:hep-th/9901001",
        "math.GT/0309136",
        "10.48550/arXiv.1706.03762",
        "https://arxiv.org/pdf/2106.09685v1.pdf",
        "1810.04805",
    )

    assert result.exit_code == 0, result.output
    after = bib.read_bytes()
    assert after[: len(before)] == before
    keys = [span.key for span in scan_entries(after.decode("utf-8"))]
    assert keys[-3:] == ["devlin2018bert", "vanderberg1999toy", "example2003knots"]
    assert "Added 3 papers" in result.stdout
    assert "10.48550/arXiv.1706.03762 is entry 'Vaswani2017Attention'" in result.stdout
    assert "2106.09685v1.pdf is entry 'lora:2021'" in result.stdout
    assert "Given more than once: 1810.04805" in result.stdout
    assert len(arxiv_server.requests) == 1
    assert sorted(load_metadata(cache_path(config))) == ["1810.04805", "hep-th/9901001", "math/0309136"]
    assert load_bibliography(bib).problems == []


HOSTILE_ENTRY = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/fixture-2401.00001</id>
  <title>Hostile entry</title>
  <updated>2026-11-30T09:00:00Z</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/abs/2401.00001v1</id>
    <title>Alpha-Net: a \\textbf{bold claim title</title>
    <updated>2024-01-02T08:00:00Z</updated>
    <link href="https://arxiv.org/abs/2401.00001v1" rel="alternate" type="text/html"/>
    <summary>An entry whose fields would break a BibTeX file.</summary>
    <category term="cs.LG}" scheme="http://arxiv.org/schemas/atom"/>
    <published>2024-01-02T08:00:00Z</published>
    <arxiv:doi>10.1/"}&gt;&lt;script&gt;</arxiv:doi>
    <arxiv:primary_category term="cs.LG}"/>
    <author><name> </name></author>
    <author><name>Second Author</name></author>
  </entry>
</feed>
"""


def test_add_hostile_entry_still_parses(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    papers = tmp_path / "served"
    papers.mkdir()
    (papers / "2401.00001.xml").write_text(HOSTILE_ENTRY, encoding="utf-8")
    arxiv_server.paper_dirs.insert(0, papers)
    config = make_wiki(tmp_path / "wiki", arxiv_server.url)

    result = run(config, "add", "2401.00001")

    assert result.exit_code == 0, result.output
    bibliography = load_bibliography(config.parent / "papers.bib")
    assert [str(problem) for problem in bibliography.problems] == []
    paper = bibliography.get("author2024alpha")
    assert paper.title == "Alpha-Net: a bold claim title"
    assert paper.authors == ("Second Author",)
    assert paper.doi == '10.1/"><script>'
    assert len(bibliography.papers) == 4


def test_add_twice_adds_once(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url, bib_text="")
    assert run(config, "add", "1706.03762").exit_code == 0
    before = (tmp_path / "papers.bib").read_bytes()

    result = run(config, "add", "arXiv:1706.03762v3")

    assert result.exit_code == 0
    assert "is entry 'vaswani2017attention'; not added again" in result.stdout
    assert (tmp_path / "papers.bib").read_bytes() == before


def test_add_reports_bad_ids_and_adds_rest(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url, bib_text="")
    arxiv_server.rejected_ids = {"0802.9999"}

    result = run(config, "add", "1810.04805", "0801.0001", "abc", "0802.9999")

    assert result.exit_code == 1
    assert "no paper 0801.0001 on arXiv" in result.stderr
    assert "Invalid arXiv identifier 'abc'" in result.stderr
    assert "arXiv rejected the identifier '0802.9999': incorrect id format for 0802.9999" in result.stderr
    assert [paper.key for paper in load_bibliography(tmp_path / "papers.bib")] == ["devlin2018bert"]


def test_add_network_down_changes_nothing(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, f"http://127.0.0.1:{closed_port()}/api/query")
    before = (tmp_path / "papers.bib").read_bytes()

    result = run(config, "add", "2106.09685")

    assert result.exit_code == 1
    assert "could not be reached: connection failed (connection refused)" in result.stderr
    assert "No file was changed." in result.stderr
    assert "Traceback" not in result.output
    assert (tmp_path / "papers.bib").read_bytes() == before
    assert not cache_path(config).exists()


def test_add_plain_400_fails_once(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    before = (tmp_path / "papers.bib").read_bytes()
    for _ in range(10):
        arxiv_server.script(status=400)

    result = run(config, "add", "2106.09685", "2005.11401", "1910.10683")

    assert result.exit_code == 1
    assert len(arxiv_server.requests) == 1
    assert "HTTP 400" in result.stderr
    assert "No file was changed." in result.stderr
    assert "rejected the identifier" not in result.stderr
    assert (tmp_path / "papers.bib").read_bytes() == before
    assert not cache_path(config).exists()


def test_add_redirect_loop_blames_request(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    before = (tmp_path / "papers.bib").read_bytes()
    for _ in range(40):
        arxiv_server.script(status=302, Location=arxiv_server.url)

    result = run(config, "add", "2106.09685")

    assert result.exit_code == 1
    assert f"redirected the request to {arxiv_server.url} for 1 id (2106.09685)" in result.stderr
    assert "No file was changed." in result.stderr
    assert "Cannot read or write a file" not in result.stderr
    assert (tmp_path / "papers.bib").read_bytes() == before


def test_add_removes_stale_temporary_files(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url, bib_text="")
    stale_bib = tmp_path / ".papers.bib.k1ll3d.tmp"
    stale_cache = tmp_path / "data" / "arxiv" / ".metadata.json.k1ll3d.tmp"
    fresh_bib = tmp_path / ".papers.bib.running.tmp"
    for leftover in (stale_bib, stale_cache, fresh_bib):
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_text("partial", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(stale_bib, (an_hour_ago, an_hour_ago))
    os.utime(stale_cache, (an_hour_ago, an_hour_ago))

    result = run(config, "add", "1706.03762")

    assert result.exit_code == 0, result.output
    assert not stale_bib.exists()
    assert not stale_cache.exists()
    # A young temporary file may belong to a write still under way elsewhere.
    assert fresh_bib.exists()
    assert "Removed .papers.bib.k1ll3d.tmp, left behind by an interrupted run." in result.stderr


def test_temporary_files_are_git_ignored() -> None:
    for path in (".papers.bib.k1ll3d.tmp", "data/arxiv/.metadata.json.k1ll3d.tmp"):
        check = subprocess.run(["git", "check-ignore", "--quiet", "--no-index", path], cwd=REPO_ROOT, check=False)
        assert check.returncode == 0, f"{path} is not ignored by .gitignore"


def test_environment_url_overrides_config(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, f"http://127.0.0.1:{closed_port()}/api/query", bib_text="")
    result = run(config, "add", "1706.03762", environ={API_URL_VARIABLE: arxiv_server.url})
    assert result.exit_code == 0, result.output
    assert len(arxiv_server.requests) == 1


def test_add_withdrawn_paper_warns(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    arxiv_server.paper_dirs.insert(0, FIXTURES / "refreshed")
    config = make_wiki(tmp_path, arxiv_server.url, bib_text="")
    result = run(config, "add", "2302.01234")
    assert result.exit_code == 0
    assert "example2023scaling (arXiv:2302.01234) is withdrawn on arXiv" in result.stderr


# ---- refresh ----


def test_refresh_reports_drift(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    first = run(config, "refresh")
    assert first.exit_code == 0, first.output
    assert "Fetched 3 papers of 3 with an arXiv eprint in 1 request." in first.stdout
    assert "First fetched: 3 papers" in first.stdout
    assert load_metadata(cache_path(config))["1706.03762"].version == 7

    arxiv_server.paper_dirs.insert(0, FIXTURES / "refreshed")
    second = run(config, "refresh")

    assert second.exit_code == 0, second.output
    assert "New version: vaswani2017attention (arXiv:1706.03762) v7 → v8" in second.stdout
    assert "New version: example2023scaling (arXiv:2302.01234) v1 → v2" in second.stdout
    assert "New DOI: devlin2018bert (arXiv:1810.04805) 10.18653/v1/N19-1423" in second.stdout
    journal = "Proceedings of NAACL-HLT 2019, pages 4171-4186"
    assert f"New journal reference: devlin2018bert (arXiv:1810.04805) {journal}" in second.stdout
    assert "Withdrawn: example2023scaling (arXiv:2302.01234)" in second.stdout
    assert "'example2023scaling' cites arXiv:2302.01234, which is withdrawn" in second.stderr
    assert load_metadata(cache_path(config))["2302.01234"].withdrawn


def test_refresh_without_changes(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    run(config, "refresh")
    result = run(config, "refresh")
    assert "No changes since the last refresh." in result.stdout


def test_update_bib_touches_one_entry(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    run(config, "refresh")
    arxiv_server.paper_dirs.insert(0, FIXTURES / "refreshed")
    bib = tmp_path / "papers.bib"
    text = bib.read_text(encoding="utf-8")
    span = next(span for span in scan_entries(text) if span.key == "devlin2018bert")

    result = run(config, "refresh", "--update-bib")

    assert result.exit_code == 0, result.output
    updated = bib.read_text(encoding="utf-8")
    assert updated[: span.start] == text[: span.start]
    assert updated.endswith(text[span.end :])
    paper = load_bibliography(bib).get("devlin2018bert")
    assert paper.entry_type == "article"
    assert paper.doi == "10.18653/v1/N19-1423"
    assert paper.fields["journal"] == "Proceedings of NAACL-HLT 2019, pages 4171-4186"
    assert "Updated 1 entry in papers.bib:" in result.stdout
    assert (
        "  devlin2018bert (arXiv:1810.04805): doi 10.48550/arXiv.1810.04805 → 10.18653/v1/N19-1423; "
        "type @misc → @article; journal added (Proceedings of NAACL-HLT 2019, pages 4171-4186)\n"
    ) in result.stdout


def test_refresh_stale_fetches_only_old(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    run(config, "refresh")

    fresh = run(config, "refresh", "--stale", "1")
    assert fresh.exit_code == 0
    assert "Fetched 0 papers of 3 with an arXiv eprint in 0 requests." in fresh.stdout
    assert len(arxiv_server.requests) == 1

    document = json.loads(cache_path(config).read_text(encoding="utf-8"))
    document["papers"]["1810.04805"]["fetched_at"] = "2020-01-01T00:00:00Z"
    cache_path(config).write_text(json.dumps(document), encoding="utf-8")
    old = run(config, "refresh", "--stale", "1")

    assert old.exit_code == 0
    assert arxiv_server.requests[-1].ids == ["1810.04805"]
    assert load_metadata(cache_path(config))["1810.04805"].fetched_at > "2020-01-01T00:00:00Z"


def test_refresh_keeps_orphans_until_prune(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    run(config, "refresh")
    bib = tmp_path / "papers.bib"
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text[: text.index("@misc{example2023scaling")], encoding="utf-8")

    kept = run(config, "refresh")
    assert "1 cached record no longer in the bibliography (kept; run with --prune to remove): 2302.01234" in kept.stdout
    assert "2302.01234" in load_metadata(cache_path(config))

    pruned = run(config, "refresh", "--prune")
    assert "Pruned 1 record: 2302.01234" in pruned.stdout
    assert sorted(load_metadata(cache_path(config))) == ["1706.03762", "1810.04805"]


def test_refresh_corrupt_cache_exits(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    cache_path(config).parent.mkdir(parents=True)
    cache_path(config).write_text("{", encoding="utf-8")

    result = run(config, "refresh")

    assert result.exit_code == 1
    assert f"Cannot read the arXiv metadata cache {cache_path(config)}" in result.stderr
    assert cache_path(config).read_text(encoding="utf-8") == "{"
    assert arxiv_server.requests == []


def test_corrupt_cache_message_reads_once(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    cache_path(config).parent.mkdir(parents=True)
    cache_path(config).write_text("{", encoding="utf-8")

    refreshed = run(config, "refresh")
    built = run_mkdocs_build(config, tmp_path / "site", strict=False)

    for output in (refreshed.stderr, built.stderr):
        assert "Cannot read the arXiv metadata cache" in output
        assert ".." not in output.replace("...", "")
        assert output.count("papers refresh") == 1


def test_refresh_malformed_response_keeps_files(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    run(config, "refresh")
    before = cache_path(config).read_bytes()
    arxiv_server.script(fixture="malformed.xml")

    result = run(config, "refresh", "--prune", "--update-bib")

    assert result.exit_code == 1
    assert "Malformed arXiv API response to the request to" in result.stderr
    assert "1706.03762" in result.stderr
    assert "Traceback" not in result.output
    assert cache_path(config).read_bytes() == before
    assert (tmp_path / "papers.bib").read_text(encoding="utf-8") == SMALL_BIB


def test_refresh_warns_on_title_mismatch(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(
        tmp_path, arxiv_server.url, SMALL_BIB.replace("Attention Is All You Need", "Deep Residual Learning")
    )
    result = run(config, "refresh")
    assert result.exit_code == 0
    assert "the title of 'vaswani2017attention' differs from arXiv's" in result.stderr


# ---- Configuration and docs ----


def test_config_defaults() -> None:
    config = BibliographyConfig()
    config.load_dict({})
    errors, warnings = config.validate()
    assert errors == []
    assert warnings == []
    assert config.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert config.arxiv_delay_seconds == 3.0
    assert config.metadata_file == "data/arxiv/metadata.json"


def test_short_delay_for_arxiv_is_an_error(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, "https://export.arxiv.org/api/query")
    result = run(config, "refresh")
    assert result.exit_code == 1
    assert "breaks arXiv's terms of use" in result.stderr


def test_strict_build_accepts_arxiv_options(tmp_path: Path, arxiv_server: ArxivTestServer) -> None:
    config = make_wiki(tmp_path, arxiv_server.url)
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert arxiv_server.requests == []


def test_readme_documents_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for text in (
        "wiki-tools papers add",
        "wiki-tools papers refresh",
        "--stale",
        "--prune",
        "--update-bib",
        API_URL_VARIABLE,
    ):
        assert text in readme
