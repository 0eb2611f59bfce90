"""`newsdelta bench`, section "poll": the real poller against a loopback farm of feeds.

`run(quick)` returns printable lines; `measure(spec, rounds)` returns the `PollFigures`
behind them. The farm (`feed_farm`) is an aiohttp server in a child process (so
`time.process_time` here counts the poller alone) listening on `spec.hosts` loopback
addresses 127.0.1.x, because the fetcher allows `per_host` requests at once per host, as it
would across real sites. Every answer waits `latency`. The farm honours ETag / Last-Modified
with 304. Each round after the first it changes a `changed` share of the feeds and answers
HTTP 500 to an `errors` share; `hangs` feeds never answer (the fetcher's timeout ends
those); `retry_after` feeds answer their first poll with 503 and Retry-After (delta-seconds
for half, an HTTP date for the rest), and any request for them before that elapsed is
counted. All choices are seeded.

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
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from watchers.fetch import Fetcher
from watchers.models import AliasGroup, FeedSource, Topic
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

from .feed_farm import STATIC_ETAG, FarmSpec, farm_hosts

QUIET = ("newsdelta", "watchers")  # injected failures are expected: keep them off stderr
CONCURRENCY, PER_HOST = 20, 2  # the configuration defaults
TARGET_CORE_SHARE = 5.0  # % of one core for 10k feeds every 5 minutes

TOPIC = Topic(
    name="bench",
    title="Russia–Iran partnership (bench)",
    groups=(
        AliasGroup("russia", ("Russia", "Moscow", "Kremlin", "Putin")),
        AliasGroup("iran", ("Iran", "Tehran", "Pezeshkian")),
        AliasGroup("partnership", ("treaty", "pact", "partnership", "agreement*")),
    ),
)


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
    with quiet(), farm_hosts(spec) as hosts, tempfile.TemporaryDirectory() as folder:
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
