"""The arXiv client against a real HTTP server on 127.0.0.1 that serves Atom fixtures."""

from __future__ import annotations

import logging
import socket

import pytest

from wiki_tools.papers.arxiv_client import (
    API_URL_VARIABLE,
    DEFAULT_API_URL,
    MAX_REQUESTS_PER_BATCH,
    ArxivClient,
    ArxivRedirectError,
    ArxivRejectedError,
    ArxivRequestLimitError,
    ArxivResponseError,
    ArxivUnavailableError,
    MalformedResponseError,
    resolve_api_url,
)

from .arxiv_server import FIXTURES, ArxivTestServer, ScriptedResponse, arxiv_server_fixture  # noqa: F401 (pytest fixture)

FAST_DELAY_SECONDS = 0.01


def make_client(server: ArxivTestServer, **options: float) -> ArxivClient:
    settings = {"delay_seconds": FAST_DELAY_SECONDS, "timeout_seconds": 5.0, "max_retries": 2, **options}
    return ArxivClient(server.url, **settings)


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening, found by binding and releasing it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- Records ----


def test_fetch_one_paper_fills_record(arxiv_server: ArxivTestServer) -> None:
    result = make_client(arxiv_server).fetch(["1706.03762"])

    record = result.records["1706.03762"]
    assert record.title == "Attention Is All You Need"
    assert record.authors == ["Ashish Vaswani", "Noam Shazeer", "Łukasz Kaiser"]
    assert record.abstract.startswith(
        "The dominant sequence transduction models are based on complex recurrent or convolutional"
    )
    assert "&" in record.abstract
    assert record.primary_category == "cs.CL"
    assert record.categories == ["cs.CL", "cs.LG"]
    assert record.other_categories == ["cs.LG"]
    assert record.published == "2017-06-12T17:57:34Z"
    assert record.updated == "2023-08-02T00:41:18Z"
    assert record.version == 7
    assert record.version_label == "v7, updated 2023-08-02"
    assert record.comment == "15 pages, 5 figures"
    assert record.doi is None
    assert record.journal_ref is None
    assert record.pdf_url == "https://arxiv.org/pdf/1706.03762v7"
    assert record.withdrawn is False
    assert result.not_found == []


def test_fetch_old_style_format(arxiv_server: ArxivTestServer) -> None:
    result = make_client(arxiv_server).fetch(["hep-th/9901001", "math/0309136"])

    old = result.records["hep-th/9901001"]
    assert old.title == "A Toy Model of Strings on a Circle with Two Boundaries"
    assert (
        old.abstract
        == "We study a toy model of closed strings on a circle and compute its partition function in closed form."
    )
    assert old.doi == "10.1016/S0550-3213(99)00001-1"
    assert old.journal_ref == "Nucl.Phys. B550 (1999) 1-20"
    assert old.version == 3
    assert result.records["math/0309136"].primary_category == "math.GT"
    assert arxiv_server.requests[0].ids == ["hep-th/9901001", "math/0309136"]


def test_fetch_flags_withdrawn_paper(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.paper_dirs.insert(0, FIXTURES / "refreshed")
    record = make_client(arxiv_server).fetch(["2302.01234"]).records["2302.01234"]
    assert record.withdrawn is True
    assert record.version_label == "v2, withdrawn 2023-05-30"


def test_request_uses_configured_url(arxiv_server: ArxivTestServer) -> None:
    make_client(arxiv_server).fetch(["1706.03762"])
    assert arxiv_server.requests[0].path == "/api/query"
    assert arxiv_server.requests[0].ids == ["1706.03762"]


# ---- Batching, rate limit, progress ----


def test_batching_250_ids_takes_3_requests(arxiv_server: ArxivTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    arxiv_server.synthetic_prefixes = ("2403.",)
    ids = [f"2403.{number:05d}" for number in range(1, 251)]

    client = make_client(arxiv_server)
    result = client.fetch(ids)

    assert len(arxiv_server.requests) == 3
    assert client.request_count == 3
    assert [len(request.ids) for request in arxiv_server.requests] == [100, 100, 50]
    assert sorted(result.records) == ids
    progress = capsys.readouterr().err
    assert "250/250" in progress
    assert "<00:00" in progress  # tqdm's time-left field


def test_single_request_draws_no_progress_bar(
    arxiv_server: ArxivTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    make_client(arxiv_server).fetch(["1706.03762"])
    assert "Fetching from arXiv" not in capsys.readouterr().err


def test_requests_spaced_by_delay(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.synthetic_prefixes = ("2403.",)
    delay_seconds = 0.3
    make_client(arxiv_server, delay_seconds=delay_seconds).fetch([f"2403.{number:05d}" for number in range(1, 301)])

    arrivals = [request.arrived_at for request in arxiv_server.requests]
    assert len(arrivals) == 3
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert all(gap >= delay_seconds for gap in gaps), gaps


def test_default_delay_is_3_seconds() -> None:
    client = ArxivClient("http://127.0.0.1:1/api/query")
    assert client.delay_seconds == 3.0
    assert ArxivClient().api_url == DEFAULT_API_URL


def test_short_delay_for_arxiv_rejected() -> None:
    with pytest.raises(ValueError, match="at least 3 s"):
        ArxivClient(DEFAULT_API_URL, delay_seconds=0.5)


# ---- Missing and rejected identifiers ----


def test_empty_result_reports_not_found(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.script(fixture="empty.xml")
    result = make_client(arxiv_server).fetch(["0801.0001"])
    assert result.records == {}
    assert result.not_found == ["0801.0001"]
    assert len(arxiv_server.requests) == 1


def test_missing_id_among_good_ones(arxiv_server: ArxivTestServer) -> None:
    result = make_client(arxiv_server).fetch(["1706.03762", "0801.0001", "1810.04805"])
    assert sorted(result.records) == ["1706.03762", "1810.04805"]
    assert result.not_found == ["0801.0001"]


def test_rejected_id_refetches_the_others(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.rejected_ids = {"0801.9999"}
    result = make_client(arxiv_server).fetch(["1706.03762", "0801.9999", "1810.04805"])

    assert result.rejected == {"0801.9999": "incorrect id format for 0801.9999"}
    assert sorted(result.records) == ["1706.03762", "1810.04805"]
    assert arxiv_server.requests[1].ids == ["1706.03762", "1810.04805"]


def test_unnamed_rejection_isolates_culprit(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.rejected_unnamed_ids = {"0802.9999"}
    result = make_client(arxiv_server).fetch(["1706.03762", "1810.04805", "0802.9999", "math/0309136"])

    assert list(result.rejected) == ["0802.9999"]
    assert sorted(result.records) == ["1706.03762", "1810.04805", "math/0309136"]
    assert [request.ids for request in arxiv_server.requests] == [
        ["1706.03762", "1810.04805", "0802.9999", "math/0309136"],
        ["1706.03762", "1810.04805"],
        ["0802.9999", "math/0309136"],
        ["0802.9999"],
        ["math/0309136"],
    ]


def test_plain_400_fails_without_splitting(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.synthetic_prefixes = ("2401.",)
    for _ in range(60):
        arxiv_server.script(status=400)
    ids = [f"2401.{number:05d}" for number in range(24)]

    with pytest.raises(ArxivRejectedError) as caught:
        make_client(arxiv_server).fetch(ids)

    assert len(arxiv_server.requests) == 1
    assert "HTTP 400" in str(caught.value)
    assert "24 ids" in str(caught.value)


def test_400_with_other_error_fails_once(arxiv_server: ArxivTestServer) -> None:
    template = (FIXTURES / "error_incorrect_id.xml").read_text(encoding="utf-8")
    body = template.replace("incorrect id format for ${arxiv_id}", "max_results must be positive")
    arxiv_server.scripted.append(ScriptedResponse(400, body.encode("utf-8")))

    with pytest.raises(ArxivRejectedError, match="max_results must be positive"):
        make_client(arxiv_server).fetch(["1706.03762", "1810.04805"])
    assert len(arxiv_server.requests) == 1


def test_unnamed_rejections_stop_at_request_limit(arxiv_server: ArxivTestServer) -> None:
    ids = [f"2401.{number:05d}" for number in range(100)]
    arxiv_server.rejected_unnamed_ids = set(ids)

    with pytest.raises(ArxivRequestLimitError, match=f"already sent {MAX_REQUESTS_PER_BATCH} requests"):
        make_client(arxiv_server).fetch(ids)
    assert len(arxiv_server.requests) == MAX_REQUESTS_PER_BATCH


def test_redirect_loop_names_request(arxiv_server: ArxivTestServer) -> None:
    for _ in range(40):
        arxiv_server.script(status=302, Location=arxiv_server.url + "?id_list=1706.03762")

    with pytest.raises(ArxivRedirectError) as caught:
        make_client(arxiv_server).fetch(["1706.03762"])

    message = str(caught.value)
    assert "redirected" in message
    assert f"{arxiv_server.url} for 1 id (1706.03762)" in message


# ---- Retries and faults ----


def test_503_then_success_retries(arxiv_server: ArxivTestServer, caplog: pytest.LogCaptureFixture) -> None:
    arxiv_server.script(status=503, Retry_After="0")
    with caplog.at_level(logging.WARNING, logger="wiki_tools.papers"):
        result = make_client(arxiv_server).fetch(["1706.03762"])

    assert "1706.03762" in result.records
    assert len(arxiv_server.requests) == 2
    assert "HTTP 503" in caplog.text
    assert "retry 1 of 2" in caplog.text


def test_retries_back_off_exponentially(arxiv_server: ArxivTestServer) -> None:
    for _ in range(3):
        arxiv_server.script(status=502)
    delay_seconds = 0.1
    with pytest.raises(ArxivUnavailableError):
        make_client(arxiv_server, delay_seconds=delay_seconds).fetch(["1706.03762"])

    arrivals = [request.arrived_at for request in arxiv_server.requests]
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps[0] >= delay_seconds
    assert gaps[1] >= 2 * delay_seconds


def test_persistent_503_names_request(arxiv_server: ArxivTestServer) -> None:
    for _ in range(3):
        arxiv_server.script(status=503)
    with pytest.raises(ArxivUnavailableError) as caught:
        make_client(arxiv_server).fetch(["1706.03762"])

    message = str(caught.value)
    assert "answered HTTP 503" in message
    assert "could not be reached" not in message
    assert caught.value.status == 503
    assert "1706.03762" in message
    assert "after 3 attempts" in message
    assert len(arxiv_server.requests) == 3


def test_404_fails_without_retry(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.script(status=404, fixture="not_a_feed.html")
    with pytest.raises(ArxivResponseError, match="HTTP 404"):
        make_client(arxiv_server).fetch(["1706.03762"])
    assert len(arxiv_server.requests) == 1


def test_malformed_xml_names_request(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.script(fixture="malformed.xml")
    with pytest.raises(MalformedResponseError) as caught:
        make_client(arxiv_server).fetch(["1706.03762"])

    message = str(caught.value)
    assert "invalid XML" in message
    assert f"{arxiv_server.url} for 1 id (1706.03762)" in message


def test_html_page_is_malformed(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.script(fixture="not_a_feed.html")
    with pytest.raises(MalformedResponseError):
        make_client(arxiv_server).fetch(["1706.03762"])


def test_incomplete_entry_restates_package_warning(
    arxiv_server: ArxivTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    arxiv_server.script(fixture="incomplete_entry.xml")
    with caplog.at_level(logging.DEBUG), pytest.raises(MalformedResponseError) as caught:
        make_client(arxiv_server).fetch(["1706.03762"])

    assert "missing <published>" in str(caught.value)
    assert not [record for record in caplog.records if record.name.startswith("arxiv")]


def test_package_warning_becomes_ours(arxiv_server: ArxivTestServer, caplog: pytest.LogCaptureFixture) -> None:
    arxiv_server.script(fixture="two_pdf_links.xml")
    with caplog.at_level(logging.WARNING):
        result = make_client(arxiv_server).fetch(["1706.03762"])

    assert result.records["1706.03762"].pdf_url == "https://arxiv.org/pdf/1706.03762v7"
    ours = [record for record in caplog.records if record.name == "wiki_tools.papers.arxiv_client"]
    assert len(ours) == 1
    assert "multiple PDF links" in ours[0].getMessage()
    assert "1706.03762" in ours[0].getMessage()
    assert not [record for record in caplog.records if record.name.startswith("arxiv")]


def test_slow_server_times_out_then_succeeds(arxiv_server: ArxivTestServer) -> None:
    arxiv_server.script(fixture="papers/1706.03762.xml", delay_seconds=1.5)
    result = make_client(arxiv_server, timeout_seconds=0.3).fetch(["1706.03762"])
    assert "1706.03762" in result.records
    assert len(arxiv_server.requests) == 2


def test_slow_server_gives_up(arxiv_server: ArxivTestServer) -> None:
    for _ in range(2):
        arxiv_server.script(fixture="papers/1706.03762.xml", delay_seconds=1.0)
    with pytest.raises(ArxivUnavailableError, match=r"could not be reached: timed out after 0.2 s"):
        make_client(arxiv_server, timeout_seconds=0.2, max_retries=1).fetch(["1706.03762"])


def test_closed_port_reports_network_down() -> None:
    client = ArxivClient(f"http://127.0.0.1:{closed_port()}/api/query", delay_seconds=FAST_DELAY_SECONDS, max_retries=1)
    with pytest.raises(ArxivUnavailableError, match="connection refused") as caught:
        client.fetch(["1706.03762"])
    assert "could not be reached" in str(caught.value)
    assert caught.value.attempts == 2


# ---- Configuration ----


def test_environment_overrides_api_url() -> None:
    environ = {API_URL_VARIABLE: "http://127.0.0.1:8080/api/query"}
    assert resolve_api_url(DEFAULT_API_URL, environ) == "http://127.0.0.1:8080/api/query"
    assert resolve_api_url(DEFAULT_API_URL, {}) == DEFAULT_API_URL


def test_invalid_api_url_names_source() -> None:
    with pytest.raises(ValueError, match=API_URL_VARIABLE):
        resolve_api_url(DEFAULT_API_URL, {API_URL_VARIABLE: "127.0.0.1:8080/api"})
    with pytest.raises(ValueError, match="mkdocs.yml"):
        resolve_api_url("ftp://mirror/api", {})
