"""Polite, bounded HTTP fetching of feeds.

`Fetcher.fetch(url)` never raises for network or HTTP trouble: it returns a `FetchResult`
whose `status` is "ok" (body read), "not_modified" (a 304 answer to our If-None-Match /
If-Modified-Since) or "error" (with a one-line `error`). Bounds and manners:
- our User-Agent on every request; conditional GET with the validators of the last fetch;
- one total timeout per fetch, covering connect, redirects and body (not the queueing);
- a body cap counted on DECOMPRESSED bytes while streaming: gzip/deflate are inflated in
  64 KiB slices, so a gzip bomb is inflated only as far as the cap, then the download stops;
- Retry-After (seconds or an HTTP date) reported on 429/503; Cache-Control max-age reported;
- redirects followed, at most 5;
- at most `max_concurrency` fetches at once, and at most `per_host` per host.

`guard=True` (feeds added from chat) passes the request through the SSRF guard
(`watchers.ssrf`): the URL is checked first, and every connection of every redirect hop goes
only to a resolved-and-checked address. `transport` replaces the unguarded transport (tests);
guarded requests always use the guard's own transport. `guard_allow` lists networks the guard
lets through, for tests only. The client ignores proxy environment variables.
`FetchResult.url` is where the answer came from, after redirects.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from watchers import ssrf

_GUARD = "newsdelta.ssrf_guard"
_STEP = 64 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_ENCODINGS = "gzip, deflate"  # what _Inflater undoes
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: str  # "ok" | "not_modified" | "error"
    body: bytes | None
    etag: str | None
    last_modified: str | None
    retry_after: float | None  # seconds, from Retry-After on 429/503
    max_age: float | None  # seconds, from Cache-Control max-age
    error: str | None  # one line, e.g. "timeout after 20s", "HTTP 500 Internal Server Error"
    elapsed: float  # seconds, from the call to the result


class _BodyTooLarge(Exception):
    pass


class _BadEncoding(Exception):
    pass


class Fetcher:
    """Owns one httpx.AsyncClient: `async with Fetcher(user_agent=...) as f: await f.fetch(u)`."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        max_bytes: int = 5 << 20,
        max_concurrency: int = 20,
        per_host: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        guard_allow: Sequence[str] = (),
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._per_host = per_host
        self._all = asyncio.Semaphore(max_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._allow = ssrf.networks(guard_allow)
        router = _GuardRouter(
            plain=transport or httpx.AsyncHTTPTransport(trust_env=False),
            guarded=ssrf.guarded_transport(self._allow),
        )
        self._client = httpx.AsyncClient(
            transport=router,
            headers={"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": _ENCODINGS},
            timeout=timeout,
            follow_redirects=True,
            max_redirects=5,
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        guard: bool = False,
    ) -> FetchResult:
        """GET `url` conditionally; never raises for network or HTTP errors."""
        started = time.monotonic()
        try:
            if guard:
                ssrf.check_url(url, self._allow)
            host = httpx.URL(url).host
        except ssrf.BlockedAddress as exc:
            return _failure(url, f"refused: {exc}", started)
        except httpx.InvalidURL as exc:
            return _failure(url, f"bad URL: {exc}", started)
        async with self._hosts.setdefault(host, asyncio.Semaphore(self._per_host)), self._all:
            try:
                async with asyncio.timeout(self._timeout):
                    return await self._get(url, etag, last_modified, guard, started)
            except (TimeoutError, httpx.TimeoutException):
                error = f"timeout after {self._timeout:g}s"
            except ssrf.BlockedAddress as exc:
                error = f"refused: {exc}"
            except httpx.TooManyRedirects:
                error = "too many redirects (over 5)"
            except _BodyTooLarge:
                error = f"body over {_size(self._max_bytes)} cap"
            except (_BadEncoding, zlib.error) as exc:
                error = f"bad compressed body: {exc}"
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = _one_line(exc)
        return _failure(url, error, started)

    async def _get(
        self, url: str, etag: str | None, last_modified: str | None, guard: bool, started: float
    ) -> FetchResult:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        stream = self._client.stream("GET", url, headers=headers, extensions={_GUARD: guard})
        async with stream as response:
            got = response.headers
            if response.status_code == 304:
                return _answer(
                    response,
                    started,
                    status="not_modified",
                    etag=got.get("etag") or etag,
                    last_modified=got.get("last-modified") or last_modified,
                )
            if not response.is_success:
                waited = response.status_code in (429, 503)
                return _answer(
                    response,
                    started,
                    status="error",
                    error=f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                    retry_after=_retry_after(got.get("retry-after")) if waited else None,
                )
            body = await _read_capped(response, self._max_bytes)
            return _answer(
                response,
                started,
                status="ok",
                body=body,
                etag=got.get("etag"),
                last_modified=got.get("last-modified"),
            )


class _GuardRouter(httpx.AsyncBaseTransport):
    """Sends requests marked with the guard extension (kept on redirects) to `guarded`."""

    def __init__(self, plain: httpx.AsyncBaseTransport, guarded: httpx.AsyncBaseTransport):
        self._plain = plain
        self._guarded = guarded

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._guarded if request.extensions.get(_GUARD) else self._plain
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._plain.aclose()
        await self._guarded.aclose()


class _Inflater:
    """Undoes Content-Encoding (identity, gzip, deflate) in slices of at most 64 KiB."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise _BadEncoding(f"unsupported Content-Encoding {encoding!r}")
        self.compressed = encoding not in ("", "identity")
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        self._raw_deflate_fallback = encoding == "deflate"

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self.compressed:
            yield data
            return
        while not self._zlib.eof:
            out = self._decompress(data)
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _STEP:
                return

    def _decompress(self, data: bytes) -> bytes:
        try:
            out = self._zlib.decompress(data, _STEP)
        except zlib.error:
            if not self._raw_deflate_fallback:
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent without header
            out = self._zlib.decompress(data, _STEP)
        self._raw_deflate_fallback = False
        return out


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """The decoded body, or `_BodyTooLarge` as soon as it passes `cap` bytes."""
    inflater = _Inflater(response.headers.get("content-encoding", ""))
    declared = response.headers.get("content-length", "")
    if not inflater.compressed and declared.isdigit() and int(declared) > cap:
        raise _BodyTooLarge
    chunks, size = [], 0
    async for raw in response.aiter_raw():
        for piece in inflater.feed(raw):
            size += len(piece)
            if size > cap:
                raise _BodyTooLarge
            chunks.append(piece)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait, from a Retry-After of delta-seconds or an HTTP date."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _max_age(cache_control: str | None) -> float | None:
    match = _MAX_AGE.search(cache_control or "")
    return float(match.group(1)) if match else None


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n} bytes"


def _one_line(exc: Exception) -> str:
    detail = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _answer(
    response: httpx.Response,
    started: float,
    *,
    status: str,
    body: bytes | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    retry_after: float | None = None,
    error: str | None = None,
) -> FetchResult:
    return FetchResult(
        url=str(response.url),
        status=status,
        body=body,
        etag=etag,
        last_modified=last_modified,
        retry_after=retry_after,
        max_age=_max_age(response.headers.get("cache-control")),
        error=error,
        elapsed=time.monotonic() - started,
    )


def _failure(url: str, error: str, started: float) -> FetchResult:
    return FetchResult(
        url=url,
        status="error",
        body=None,
        etag=None,
        last_modified=None,
        retry_after=None,
        max_age=None,
        error=error,
        elapsed=time.monotonic() - started,
    )
