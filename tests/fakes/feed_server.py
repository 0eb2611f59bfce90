"""A loopback feed server that records what it was asked: the wire-level fake for feeds.

`FeedServer` serves in-memory documents on 127.0.0.1 (port 0) from a background thread, so
one object works in async tests and in plain code alike:

    async with FeedServer() as srv:            # or: with FeedServer() as srv:
        srv.set("/a.xml", body, delay=0.2)
        url = srv.url("/a.xml")

Per path (`srv.set` takes the fields of `Doc`): status, content type, ETag / Last-Modified
(on by default; a matching If-None-Match or If-Modified-Since is answered 304), extra headers
(Retry-After, Cache-Control, a ready-made Content-Encoding), a delay before answering, gzip
on the fly, or a redirect. Unknown paths get 404.
`srv.requests` logs every request (path with query, lower-cased headers);
`srv.max_in_flight` is the most requests it held at once, counted from arrival until the
answer starts, so a client's next request can never overlap a finished one.

The serving rules are the pure function `answer(doc, request_headers)`; the rest is stdlib
plumbing.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

DEFAULT_LAST_MODIFIED = "Wed, 01 May 2024 07:00:00 GMT"


@dataclass(frozen=True)
class Doc:
    """What one path serves."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    gzip: bool = False  # compress `body` and send Content-Encoding: gzip
    redirect: str | None = None  # answer 302 to this location


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: Mapping[str, str]  # names lower-cased


def answer(doc: Doc, request_headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for a GET of `doc` (request header names lower-cased)."""
    if doc.redirect:
        return 302, {"Location": doc.redirect, **doc.headers}, b""
    validators = {"ETag": doc.etag, "Last-Modified": doc.last_modified}
    validators = {name: value for name, value in validators.items() if value}
    if doc.status == 200 and _unchanged(doc, request_headers):
        return 304, {**validators, **doc.headers}, b""
    headers = {"Content-Type": doc.content_type, **validators, **doc.headers}
    body = doc.body
    if doc.gzip:
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return doc.status, headers, body


def _unchanged(doc: Doc, request_headers: Mapping[str, str]) -> bool:
    tags = request_headers.get("if-none-match")
    if tags is not None and doc.etag:
        return tags.strip() == "*" or doc.etag in [tag.strip() for tag in tags.split(",")]
    since = request_headers.get("if-modified-since")
    return bool(since and doc.last_modified and since.strip() == doc.last_modified)


class FeedServer:
    """Loopback HTTP server of in-memory feeds, with a request log (see module docstring)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[Seen] = []
        self.max_in_flight = 0
        self._docs: dict[str, Doc] = {}
        self._lock = threading.Lock()
        self._in_flight = 0
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def set(self, path: str, body: bytes = b"", *, validators: bool = True, **fields: Any) -> None:
        """Serve `body` at `path`; `fields` are those of `Doc`. With `validators`, an ETag
        (hash of the body) and a fixed Last-Modified are sent unless given."""
        if validators:
            fields.setdefault("etag", '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
            fields.setdefault("last_modified", DEFAULT_LAST_MODIFIED)
        with self._lock:
            self._docs[path] = Doc(body=body, **fields)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    def requests_for(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if urlsplit(seen.path).path == path]

    def start(self) -> FeedServer:
        self._httpd = _Server(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping on a delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> FeedServer:
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()

    def _arrive(self, raw_path: str, headers: Mapping[str, str]) -> Doc | None:
        """Log a request, count it in flight, and find its document."""
        with self._lock:
            self.requests.append(Seen(raw_path, headers))
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._docs.get(urlsplit(raw_path).path)

    def _hold(self, doc: Doc | None) -> None:
        """Wait out the document's delay, then count the request out of flight."""
        try:
            if doc is not None and doc.delay:
                self._stopping.wait(doc.delay)
        finally:
            with self._lock:
                self._in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, feeds: FeedServer) -> None:
        super().__init__((feeds.host, 0), _Handler)
        self.feeds = feeds

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        feeds = self.server.feeds
        headers = {name.lower(): value for name, value in self.headers.items()}
        doc = feeds._arrive(self.path, headers)
        feeds._hold(doc)
        if doc is None:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")
        else:
            self._send(*answer(doc, headers))

    def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            view = memoryview(body)
            for start in range(0, len(body), 1 << 16):
                self.wfile.write(view[start : start + (1 << 16)])
        except ConnectionError:
            pass  # the client stopped reading (a size cap, a timeout): expected

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `FeedServer.requests` instead."""
