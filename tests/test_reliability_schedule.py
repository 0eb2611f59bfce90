"""Feeds are polled on time: the watcher wakes when the next feed is due, not on a tick.

The real `Poller` (APScheduler waking at the store's next due time) and pipeline poll a
loopback feed whose own `interval` is 5 s; the feed server's log of requests gives the
moments the polls arrived. Each gap must be 5 s within 5 % (the old fixed tick polled a
5 s feed every 10 s), while a second feed with the default interval is not polled again.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from bot.config import Config
from bot.poller import Poller
from tests.fakes.feed_server import FeedServer
from watchers.fetch import Fetcher
from watchers.models import FeedSource
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

FEEDS = Path(__file__).parent / "feeds"
INTERVAL = 5.0
POLLS = 5


async def test_a_5_s_feed_is_polled_every_5_s_within_5_percent(
    tmp_path: Path, config: Config
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'newsdelta.db'}")
    arrivals: list[float] = []
    try:
        async with FeedServer() as feeds, Fetcher(user_agent="t", timeout=5) as fetcher:
            feeds.set("/wire.xml", (FEEDS / "crash_wire.xml").read_bytes())
            feeds.set("/gulf.xml", (FEEDS / "crash_gulf.xml").read_bytes())
            store.sync_feeds(
                [
                    FeedSource(name="wire", url=feeds.url("/wire.xml"), interval=int(INTERVAL)),
                    FeedSource(name="gulf", url=feeds.url("/gulf.xml")),
                ],
                time.time(),
            )
            settings = PipelineSettings(poll_interval=600, first_poll_max_age=10**9)
            poller = Poller(Pipeline(store, config.topics, settings, fetcher=fetcher), per_pass=40)
            poller.start()
            try:
                seen = 0
                async with asyncio.timeout(POLLS * INTERVAL + 20):
                    while len(arrivals) < POLLS:
                        wire = [r for r in feeds.requests if r.path == "/wire.xml"]
                        if len(wire) > seen:
                            arrivals.append(time.monotonic())
                            seen = len(wire)
                        await asyncio.sleep(0.002)
            finally:
                poller.stop()
                await asyncio.gather(*poller.in_flight)
            gulf = [r for r in feeds.requests if r.path == "/gulf.xml"]
    finally:
        store.close()
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    print(f"\n5 s feed polled every {', '.join(f'{g:.3f}' for g in gaps)} s")
    assert all(abs(gap - INTERVAL) <= 0.05 * INTERVAL for gap in gaps), gaps
    assert len(gulf) == 1, "the 600 s feed is polled once"
