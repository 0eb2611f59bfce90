"""`newsdelta bench`, section "poll": the real poller against a loopback farm of feeds.

`run(quick)` returns printable lines; `measure(spec, rounds)` returns the `PollFigures`
behind them. The farm is an aiohttp server in a child process (so `time.process_time` here
counts the poller alone) listening on `spec.hosts` loopback addresses 127.0.1.x, because the
fetcher allows `per_host` requests at once per host, as it would across real sites. Every
answer waits `latency`. The farm honours ETag / Last-Modified with 304. Each round after the
first it changes a `changed` share of the feeds and answers HTTP 500 to an `errors` share;
`hangs` feeds never answer (the fetcher's timeout ends those); `retry_after` feeds answer
their first poll with 503 and Retry-After (delta-seconds for half, an HTTP date for the
rest), and any request for them before that elapsed is counted. All choices are seeded.

The poller is `Pipeline.poll_due` with a real `Fetcher` (the default concurrency) and a
SQLite store whose feeds come from `store.sync_feeds`. Its clock is simulated: rounds are
`step` seconds apart, longer than the feeds' interval and than the longest first backoff
(1.2 × interval), so every feed polled successfully or failed once is due again and the
scheduler's own backoff decides about the rest, while a Retry-After of `retry_after_s`
(between one and two steps) must skip exactly one round. Round 0 (first polls, backlog
stored, validators learned) is not measured. The reference, measured in the same run, is as
many bare httpx GETs of the farm's static 304 endpoint, through the same hosts with the same
latency and concurrency: the floor cost of HTTP itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
from aiohttp import web

from watchers.fetch import Fetcher
from watchers.models import AliasGroup, FeedSource, Topic
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

QUIET = ("newsdelta", "watchers")  # injected failures are expected: keep them off stderr
CONCURRENCY, PER_HOST = 20, 2  # the configuration defaults
TARGET_CORE_SHARE = 5.0  # % of one core for 10k feeds every 5 minutes
ITEMS = 3  # items per feed document
STATIC_ETAG = '"static"'

TOPIC = Topic(
    name="bench",
    title="Russia–Iran partnership (bench)",
    groups=(
        AliasGroup("russia", ("Russia", "Moscow", "Kremlin", "Putin")),
        AliasGroup("iran", ("Iran", "Tehran", "Pezeshkian")),
        AliasGroup("partnership", ("treaty", "pact", "partnership", "agreement*")),
    ),
)
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


@dataclass(frozen=True)
class PollFigures:
    """What one measurement found (measured rounds only, unless said otherwise)."""

    spec: FarmSpec
    rounds: int
    polls: int
    unchanged: int
    failed: int
    wall: float
    cpu: float
    ref_wall: float
    ref_cpu: float
    ref_not_modified: int
    farm: dict[str, int]  # the farm's counters, over all rounds

    @property
    def cpu_per_1k(self) -> float:
        return 1000 * self.cpu / self.polls

    @property
    def ref_cpu_per_1k(self) -> float:
        return 1000 * self.ref_cpu / self.polls

    @property
    def conditional_share(self) -> float:
        eligible = self.farm["eligible"]
        return 100.0 * self.farm["conditional"] / eligible if eligible else 0.0


def core_share(cpu_per_1k: float, feeds: int = 10_000, every: float = 300.0) -> float:
    """% of one core that polling `feeds` every `every` seconds costs at this CPU per poll."""
    return 100.0 * (feeds / every) * cpu_per_1k / 1000


# -- the farm (child process) ------------------------------------------------------------


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
def _farm(spec: FarmSpec) -> Iterator[list[str]]:
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


# -- the poller (this process) -----------------------------------------------------------


class _SimClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@contextmanager
def quiet(names: tuple[str, ...] = QUIET) -> Iterator[None]:
    """Raise these loggers to ERROR for the duration (the bench injects the failures)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def _poll(spec: FarmSpec, rounds: int, hosts: list[str], folder: Path) -> dict[str, Any]:
    sources = [
        FeedSource(name=f"bench-{i}", url=f"{hosts[i % len(hosts)]}/f/{i}", interval=spec.interval)
        for i in range(spec.feeds)
    ]
    clock = _SimClock(time.time())
    store = Store.open(f"sqlite:///{folder / 'poll.db'}")
    settings = PipelineSettings(poll_interval=spec.interval)
    fetcher = Fetcher(
        user_agent="newsdelta-bench",
        timeout=spec.timeout,
        max_concurrency=CONCURRENCY,
        per_host=PER_HOST,
    )
    totals = {"polls": 0, "unchanged": 0, "failed": 0, "wall": 0.0, "cpu": 0.0}
    bound = spec.timeout * 4 + spec.feeds * 0.02  # generous; a stuck round is an error
    try:
        store.sync_feeds(sources, clock())
        pipeline = Pipeline(store, [TOPIC], settings, fetcher=fetcher, owner="bench", clock=clock)
        async with fetcher, httpx.AsyncClient(base_url=hosts[0], trust_env=False) as control:
            for number in range(rounds + 1):
                await control.post("/_round", json={"round": number, "now": clock()})
                cpu, wall = time.process_time(), time.perf_counter()
                async with asyncio.timeout(bound * (10 if number == 0 else 1)):
                    report = await pipeline.poll_due(limit=spec.feeds)
                if number:
                    totals["wall"] += time.perf_counter() - wall
                    totals["cpu"] += time.process_time() - cpu
                    totals["polls"] += report.feeds
                    totals["unchanged"] += report.not_modified
                    totals["failed"] += report.failed
                clock.now += spec.step
            totals["farm"] = (await control.get("/_stats")).json()
    finally:
        store.close()
    return totals


async def _bare_gets(hosts: list[str], count: int) -> tuple[float, float, int]:
    """`count` GETs of the static 304 endpoint, `CONCURRENCY` at once: (wall, cpu, 304s)."""
    gate = asyncio.Semaphore(CONCURRENCY)
    answered = 0
    async with httpx.AsyncClient(trust_env=False, timeout=10.0) as client:

        async def one(n: int) -> None:
            nonlocal answered
            async with gate:
                response = await client.get(
                    f"{hosts[n % len(hosts)]}/static", headers={"If-None-Match": STATIC_ETAG}
                )
                answered += response.status_code == 304

        cpu, wall = time.process_time(), time.perf_counter()
        async with asyncio.timeout(30 + count * 0.01):
            await asyncio.gather(*(one(n) for n in range(count)))
        return time.perf_counter() - wall, time.process_time() - cpu, answered


def measure(spec: FarmSpec, rounds: int) -> PollFigures:
    """Round 0 plus `rounds` measured rounds over the farm, then the bare-GET reference."""
    with quiet(), _farm(spec) as hosts, tempfile.TemporaryDirectory() as folder:
        totals = asyncio.run(_poll(spec, rounds, hosts, Path(folder)))
        ref_wall, ref_cpu, ref_304 = asyncio.run(_bare_gets(hosts, totals["polls"]))
    return PollFigures(
        spec=spec,
        rounds=rounds,
        polls=totals["polls"],
        unchanged=totals["unchanged"],
        failed=totals["failed"],
        wall=totals["wall"],
        cpu=totals["cpu"],
        ref_wall=ref_wall,
        ref_cpu=ref_cpu,
        ref_not_modified=ref_304,
        farm=totals["farm"],
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def lines(f: PollFigures) -> list[str]:
    """The section's printable lines for one measurement."""
    s, farm = f.spec, f.farm
    rate, ref_rate = f.polls / f.wall, f.polls / f.ref_wall
    share, ref_share = core_share(f.cpu_per_1k), core_share(f.ref_cpu_per_1k)
    unchanged = 100.0 * f.unchanged / f.polls
    return [
        f"poll: {s.feeds:,} feeds on {s.hosts} loopback hosts, {f.rounds} rounds after the "
        f"first ({s.changed:.0%} changed and {s.errors:.0%} HTTP 500 per round, {s.hangs} "
        f"hanging, {s.retry_after} with 503 + Retry-After {s.retry_after_s} s; latency "
        f"{s.latency * 1000:g} ms, timeout {s.timeout:g} s, concurrency {CONCURRENCY}, SQLite)",
        f"  polls measured           {f.polls:>9,}   {unchanged:.1f} % unchanged, "
        f"{f.failed} failed   reference: {f.ref_not_modified:,} bare 304 GETs",
        f"  polls/s                  {rate:>9,.0f}   reference {ref_rate:,.0f}/s   "
        f"ratio {rate / ref_rate:.2f}",
        f"  CPU s per 1k polls       {f.cpu_per_1k:>9.3f}   reference {f.ref_cpu_per_1k:.3f}   "
        f"ratio {f.cpu_per_1k / f.ref_cpu_per_1k:.2f}",
        f"  conditional requests     {f.conditional_share:>8.1f} %   {farm['conditional']:,} of "
        f"{farm['eligible']:,} with validators known, {farm['stale']} stale   target 100 %  "
        f"{_verdict(farm['conditional'] == farm['eligible'] and not farm['stale'])}",
        f"  before Retry-After ended {farm['early']:>9}   {farm['retry_after_sent']} told to "
        f"wait, {farm['came_back']} came back after   target 0  {_verdict(not farm['early'])}",
        f"  10k feeds every 5 min  = {share:>8.2f} % of one core   reference {ref_share:.2f} %"
        f"   ratio {share / ref_share:.2f}   target ≤ {TARGET_CORE_SHARE:g} %  "
        f"{_verdict(share <= TARGET_CORE_SHARE)}",
    ]


def run(quick: bool) -> list[str]:
    """Quick: 1k feeds, two measured rounds. Full: 1k feeds (four rounds), 10k feeds (two)."""
    sizes = [(1_000, 2)] if quick else [(1_000, 4), (10_000, 2)]
    out: list[str] = []
    for feeds, rounds in sizes:
        out += lines(measure(FarmSpec(feeds=feeds), rounds))
    return out
