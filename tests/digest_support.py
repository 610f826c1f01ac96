"""A real HTTP server on 127.0.0.1 for the digest tests, and helpers to write feeds and archives."""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

FEEDS = Path(__file__).resolve().parent / "fixtures" / "digest"


@dataclass
class Route:
    """The response the server sends for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    """Pause before responding, to simulate a slow server."""
    etag: str | None = None
    """When set, a request with a matching If-None-Match gets 304."""
    last_modified: str | None = None
    """When set, a request with a matching If-Modified-Since gets 304."""
    gzip: bool = False
    """Compress the body when the client accepts gzip."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that gives up (a timeout test) resets the connection. That is expected here.
        pass


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class FeedServer:
    """A threaded HTTP server that responds to each path from `routes`. Unknown paths get 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | list[Route]] = {}
        """Responses by path. A list is used in order, one entry per request, and its last entry repeats."""
        self.requests: list[Request] = []
        self.active = 0
        self.max_active = 0
        """Maximum number of requests in progress at the same time since the server started."""
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._respond(self)

            def log_message(self, format: str, *args) -> None:
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _respond(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(Request(handler.path, {key.lower(): value for key, value in handler.headers.items()}))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            route = self.routes.get(handler.path)
            if isinstance(route, list):
                route = route.pop(0) if len(route) > 1 else route[0]
        try:
            self._send(handler, route or Route(status=404, body=b"not found", content_type="text/plain"))
        finally:
            with self._lock:
                self.active -= 1

    def _send(self, handler: BaseHTTPRequestHandler, route: Route) -> None:
        if route.delay_seconds:
            time.sleep(route.delay_seconds)

        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        not_modified = (route.etag and handler.headers.get("If-None-Match") == route.etag) or (
            route.last_modified and handler.headers.get("If-Modified-Since") == route.last_modified
        )
        status = 304 if not_modified and route.status == 200 else route.status
        body = b"" if status == 304 else route.body
        if body and route.gzip and "gzip" in handler.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"

        try:
            handler.send_response(status)
            if route.content_type and status != 304:
                handler.send_header("Content-Type", route.content_type)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def rss(*items: str, title: str = "Test feed", link: str = "https://news.example/") -> bytes:
    """Return an RSS 2.0 document around `items` (each an `<item>` element as text)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>{link}</link><description>Test</description>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    ).encode("utf-8")


def rss_item(
    number: int, *, date: str | None = "Mon, 30 Nov 2026 08:00:00 GMT", guid: bool = True, extra: str = ""
) -> str:
    """Return one RSS `<item>` numbered `number`, with a GUID and a date unless the arguments turn them off."""
    parts = [f"<title>Story {number}</title>", f"<link>https://news.example/story/{number}</link>"]
    if guid:
        parts.append(f'<guid isPermaLink="false">story-{number}</guid>')
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts.append(f"<description>Text of story {number}.</description>{extra}")
    return "<item>" + "".join(parts) + "</item>"
