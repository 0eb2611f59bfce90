"""The feed farm of the poll bench: many RSS feeds served over loopback by a child process.

What it holds: `FarmSpec` (how many feeds on how many hosts, and how they misbehave), the
farm's server (`_Farm`, run by `serve_farm` in the child) and `farm_hosts`, which starts it.
The farm is an aiohttp server listening on `spec.hosts` loopback addresses 127.0.1.x. Every
answer waits `spec.latency`; feeds honour ETag / Last-Modified with 304. Each round after the
first a seeded `changed` share of the feeds gains an item and an `errors` share answers HTTP
500; `hangs` feeds never answer until the farm stops; `retry_after` feeds answer their first
poll with 503 and Retry-After (delta-seconds for odd feeds, an HTTP date for even ones), and
a request for them before that elapsed is counted as `early`. `/static` is a bare 304 (ETag
`STATIC_ETAG`), the reference's endpoint.

How it is used: `with farm_hosts(spec) as hosts:` starts the child (`python -c ... serve_farm()`),
yields each host's base URL, and stops it on exit. Through any host, the parent drives the
farm: POST `/_round` with `{"round": n, "now": simulated_time}` before each round, GET
`/_stats` for its counters; feeds are at `/f/{n}`. Running in a child process keeps the
farm's CPU out of the parent's `time.process_time`. Nothing starts at import.
"""

from __future__ import annotations

import asyncio
import json
import random
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from email.utils import formatdate
from xml.sax.saxutils import escape

from aiohttp import web

ITEMS = 3  # items per feed document
STATIC_ETAG = '"static"'

_WHO = ("Port authority", "City council", "Central bank", "Rail operator", "Weather service")
_DOES = ("announces", "delays", "reviews", "expands", "suspends", "approves")
_WHAT = ("a new timetable", "winter tariffs", "the harbour upgrade", "a flood warning")
_ON_TOPIC = "Moscow and Tehran {does} steps under their strategic partnership treaty"


@dataclass(frozen=True)
class FarmSpec:
    """The feed farm: how many feeds on how many hosts, and how they misbehave."""

    feeds: int
    hosts: int = 50
    seed: int = 20250117
    latency: float = 0.003
    changed: float = 0.05
    errors: float = 0.01
    hangs: int = 5
    retry_after: int = 6
    retry_after_s: int = 700  # more than one step, less than two
    interval: int = 300
    step: int = 400  # simulated seconds between rounds: > interval and > first backoff (360)
    timeout: float = 1.0  # the fetcher's, for this bench (production: fetch_timeout)


class _Farm:
    """The farm's state and handlers; one instance lives in the child process."""

    def __init__(self, spec: FarmSpec) -> None:
        self.spec = spec
        order = list(range(spec.feeds))
        random.Random(spec.seed).shuffle(order)
        self.hang = set(order[: spec.hangs])
        self.slow_down = order[spec.hangs : spec.hangs + spec.retry_after]
        start = time.time()
        self.history = [[start - 3600.0] for _ in order]  # one item to start with
        self.round, self.now = 0, start
        self.failing: set[int] = set()
        self.deadlines: dict[int, float] = {}
        self.served: dict[int, tuple[str, str]] = {}  # feed → validators last sent with a body
        self.count = dict.fromkeys(
            ("requests", "eligible", "conditional", "stale", "early", "retry_after_sent",
             "came_back", "ok", "not_modified", "errors", "hung", "static"),
            0,
        )  # fmt: skip
        self.stopping = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/f/{feed}", self.feed)
        app.router.add_get("/static", self.static)
        app.router.add_post("/_round", self.next_round)
        app.router.add_get("/_stats", self.stats)
        return app

    async def next_round(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.round, self.now = int(body["round"]), float(body["now"])
        if self.round == 0:  # first polls: every feed answers
            return web.json_response({})
        picker = random.Random(self.spec.seed * 1009 + self.round)
        everyone = range(self.spec.feeds)
        for feed in picker.sample(everyone, round(self.spec.feeds * self.spec.changed)):
            self.history[feed].append(self.now)
        self.failing = set(picker.sample(everyone, round(self.spec.feeds * self.spec.errors)))
        return web.json_response({})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.count)

    async def static(self, request: web.Request) -> web.Response:
        self.count["static"] += 1
        await asyncio.sleep(self.spec.latency)
        return web.Response(status=304, headers={"ETag": STATIC_ETAG})

    async def feed(self, request: web.Request) -> web.StreamResponse:
        feed, count = int(request.match_info["feed"]), self.count
        count["requests"] += 1
        tag = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        if feed in self.served:
            count["eligible"] += 1
            count["conditional"] += bool(tag or since)
            latest_tag, latest_since = self.served[feed]
            count["stale"] += tag != latest_tag if tag else since != latest_since
        await asyncio.sleep(self.spec.latency)
        if feed in self.hang:
            count["hung"] += 1
            await self.stopping.wait()
            return web.Response(status=503)
        if (wait := self._retry_after(feed)) is not None:
            return web.Response(status=503, headers={"Retry-After": wait})
        if feed in self.failing:
            count["errors"] += 1
            return web.Response(status=500, text="injected failure")
        history = self.history[feed]
        etag, modified = f'"{feed}-{len(history)}"', formatdate(history[-1], usegmt=True)
        validators = {"ETag": etag, "Last-Modified": modified}
        if tag == etag or (tag is None and since == modified):
            count["not_modified"] += 1
            return web.Response(status=304, headers=validators)
        count["ok"] += 1
        self.served[feed] = (etag, modified)
        body = _document(self.spec.seed, feed, history)
        return web.Response(body=body, content_type="application/rss+xml", headers=validators)

    def _retry_after(self, feed: int) -> str | None:
        """The Retry-After to answer with, if this feed is slowing us down now."""
        deadline = self.deadlines.get(feed)
        if deadline is not None:
            if self.now >= deadline:
                del self.deadlines[feed]
                self.count["came_back"] += 1
                return None
            self.count["early"] += 1
            return str(int(deadline - self.now))
        if self.round != 0 or feed not in self.slow_down:
            return None
        self.slow_down.remove(feed)
        self.count["retry_after_sent"] += 1
        seconds = self.spec.retry_after_s
        self.deadlines[feed] = self.now + seconds
        as_date = feed % 2 == 0
        return formatdate(time.time() + seconds, usegmt=True) if as_date else str(seconds)


def _document(seed: int, feed: int, history: list[float]) -> bytes:
    """An RSS document with the feed's newest `ITEMS` items (text seeded by feed and item)."""
    items = []
    for number in range(max(0, len(history) - ITEMS), len(history)):
        rng = random.Random(f"{seed}:{feed}:{number}")
        does = rng.choice(_DOES)
        if rng.random() < 0.1:
            title = _ON_TOPIC.format(does=does)
        else:
            title = f"{rng.choice(_WHO)} {does} {rng.choice(_WHAT)}"
        text = " ".join(
            f"{rng.choice(_WHO)} {rng.choice(_DOES)} {rng.choice(_WHAT)} in district {n}."
            for n in rng.sample(range(1, 90), 3)
        )
        link = f"https://bench.invalid/{feed}/{number}"
        items.append(
            f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{formatdate(history[number], usegmt=True)}</pubDate>"
            f"<description>{escape(text)}</description></item>"
        )
    channel = f"<title>Bench feed {feed}</title><link>https://bench.invalid/{feed}</link>"
    xml = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{channel}'
    return (xml + "".join(items) + "</channel></rss>").encode()


def serve_farm() -> None:
    """The child process: read a `FarmSpec` (JSON) line from stdin, print the hosts' base
    URLs (JSON) on stdout, serve until stdin closes."""
    spec = FarmSpec(**json.loads(sys.stdin.readline()))
    asyncio.run(_serve_farm(spec))


async def _serve_farm(spec: FarmSpec) -> None:
    farm = _Farm(spec)
    runner = web.AppRunner(farm.app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    for host in range(1, spec.hosts + 1):
        await web.TCPSite(runner, f"127.0.1.{host}", 0, backlog=1024).start()
    print(json.dumps([f"http://{host}:{port}" for host, port in runner.addresses]), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    farm.stopping.set()
    await runner.cleanup()


@contextmanager
def farm_hosts(spec: FarmSpec) -> Iterator[list[str]]:
    """Start the farm in a child process; yields the base URL of each host."""
    child = subprocess.Popen(
        [sys.executable, "-c", f"from {__name__} import serve_farm; serve_farm()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(json.dumps(asdict(spec)) + "\n")
        child.stdin.flush()
        ready, _, _ = select.select([child.stdout], [], [], 60)
        if not ready:
            raise RuntimeError("the bench feed farm did not start within 60 s")
        yield json.loads(child.stdout.readline())
    finally:
        child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
