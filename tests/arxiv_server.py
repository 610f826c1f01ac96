"""A real HTTP server on 127.0.0.1 that responds to arXiv API queries from the fixture files in `fixtures/arxiv/`.

By default it responds to `id_list` queries as arXiv does: one entry per known identifier, taken from
`papers/<id>.xml` (or an earlier folder in `paper_dirs`), nothing for unknown ones, and HTTP 400
with an error entry for identifiers listed in `rejected_ids` (naming the identifier) or in
`rejected_unnamed_ids` (naming none). Identifiers that start with one of
`synthetic_prefixes` get an entry made from `entry_template.xml`. A test can queue scripted
responses (status, fixture, delay) that take precedence over the default, one per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arxiv"
_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class ScriptedResponse:
    """One response that the server sends instead of the default, for the next request."""

    status: int = 200
    body: bytes = b""
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ReceivedRequest:
    path: str
    ids: list[str]
    arrived_at: float
    """`time.monotonic()` when the request arrived."""


class ArxivTestServer:
    """The server and the state that tests configure and inspect."""

    def __init__(self) -> None:
        self.paper_dirs: list[Path] = [FIXTURES / "papers"]
        self.rejected_ids: set[str] = set()
        self.rejected_unnamed_ids: set[str] = set()
        self.synthetic_prefixes: tuple[str, ...] = ()
        self.scripted: list[ScriptedResponse] = []
        self.requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        """The API endpoint, as `arxiv_api_url` expects it."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def start(self) -> ArxivTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, status: int = 200, fixture: str | None = None, delay_seconds: float = 0.0, **headers: str) -> None:
        """Queue one response: a status with a fixture file's bytes as body, sent after `delay_seconds`."""
        body = (FIXTURES / fixture).read_bytes() if fixture else b""
        self.scripted.append(ScriptedResponse(status, body, delay_seconds, headers))

    def respond(self, path: str, query: str) -> ScriptedResponse:
        """Decide the response to one request and record the request."""
        ids = [identifier for identifier in parse_qs(query).get("id_list", [""])[0].split(",") if identifier]
        with self._lock:
            self.requests.append(ReceivedRequest(path, ids, time.monotonic()))
            if self.scripted:
                return self.scripted.pop(0)

        template = Template((FIXTURES / "error_incorrect_id.xml").read_text(encoding="utf-8"))
        rejected = [identifier for identifier in ids if identifier in self.rejected_ids]
        if rejected:
            return ScriptedResponse(400, template.substitute(arxiv_id=rejected[0]).encode("utf-8"))
        if any(identifier in self.rejected_unnamed_ids for identifier in ids):
            # An error entry that names no identifier of the request, so the client must find the culprit itself.
            return ScriptedResponse(400, template.substitute(arxiv_id="id_list").encode("utf-8"))
        # Like arXiv, `start` and `max_results` page through the entries that the id list matches.
        arguments = parse_qs(query)
        start = int(arguments.get("start", ["0"])[0])
        page_size = int(arguments.get("max_results", ["100"])[0])
        return ScriptedResponse(200, self._feed_for(ids, start, page_size))

    def _feed_for(self, ids: list[str], start: int = 0, page_size: int = 100) -> bytes:
        entries = []
        entry_template = Template((FIXTURES / "entry_template.xml").read_text(encoding="utf-8"))
        for identifier in ids:
            if self.synthetic_prefixes and identifier.startswith(self.synthetic_prefixes):
                entries.append(entry_template.substitute(arxiv_id=identifier))
                continue
            fixture = next(
                (folder / f"{identifier.replace('/', '_')}.xml" for folder in self.paper_dirs
                 if (folder / f"{identifier.replace('/', '_')}.xml").is_file()),
                None,
            )  # fmt: skip
            if fixture is not None:
                entries.append(_entry_text(fixture))

        feed = Template((FIXTURES / "feed_template.xml").read_text(encoding="utf-8"))
        page = entries[start : start + page_size]
        text = feed.substitute(id_list=",".join(ids), total=len(entries), entries="\n".join(page))
        return text.encode("utf-8")


def _entry_text(fixture: Path) -> str:
    """The `<entry>` of a one-paper fixture feed, serialised on its own (it carries its namespace declarations)."""
    root = etree.fromstring(fixture.read_bytes())
    entry = root.find(f"{_ATOM}entry")
    return etree.tostring(entry, encoding="unicode")


def _make_handler(server: ArxivTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            parts = urlsplit(self.path)
            response = server.respond(parts.path, parts.query)
            if response.delay_seconds:
                time.sleep(response.delay_seconds)
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", "application/atom+xml; charset=UTF-8")
                self.send_header("Content-Length", str(len(response.body)))
                for name, value in response.headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up after its timeout, which is what a slow-server test expects.
                pass

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    return Handler


@pytest.fixture(name="arxiv_server")
def arxiv_server_fixture() -> Iterator[ArxivTestServer]:
    """A fresh server per test, so that request counts and scripted responses never leak between tests."""
    server = ArxivTestServer().start()
    yield server
    server.stop()
