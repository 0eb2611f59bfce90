"""Failing feeds: one notice when a feed starts failing, one when it recovers, never disabled.

The watcher's pipeline polls a loopback `FeedServer` through the real fetcher, on both
storage backends, with a clock the test moves to each feed's next check. Notices travel the
way alerts do: the outbox, `Deliverer`, and a `RecordingPlatform` with two subscribed
channels. The feed's documents are `tests/feeds/crash_health*.xml` (one off-topic item, so
the only messages are notices) or a plain-text error page.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.commands import CommandCore
from bot.config import Config
from bot.delivery import Deliverer
from bot.messages import Command
from tests.conftest import FEEDS
from tests.fakes.feed_server import FeedServer
from tests.fakes.recording_platform import RecordingPlatform
from watchers.fetch import Fetcher
from watchers.models import FeedSource
from watchers.pipeline import PassReport, Pipeline, PipelineSettings
from watchers.store import Store

INTERVAL = 60
THRESHOLD = 3
START = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC
NAME, PATH = "Harbour Notes", "/harbour.xml"
CHANNELS = ("C1", "C2")
HEALTHY = (FEEDS / "crash_health.xml").read_bytes()
HEALTHY_TTL = (FEEDS / "crash_health_ttl.xml").read_bytes()
DOWN: dict[str, Any] = {
    "body": b"down for maintenance",
    "status": 503,
    "content_type": "text/plain",
}
FAILING = f"Feed {NAME} is failing"
RECOVERED = f"Feed {NAME} has recovered"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@dataclass
class Watch:
    """One watched feed, the watcher polling it, and the channels told about it."""

    store: Store
    pipeline: Pipeline
    deliverer: Deliverer
    chat: RecordingPlatform
    feeds: FeedServer
    clock: Clock

    def feed(self) -> dict[str, Any]:
        (row,) = self.store.feeds()
        return row

    async def poll_when_due(self) -> PassReport:
        """Move the clock to the feed's next check and run the scheduler's pass."""
        self.clock.now = max(self.clock.now, self.feed()["next_check_at"])
        return await self.pipeline.poll_due()

    def wait_asked(self) -> float:
        """Seconds from now to the next check the last poll scheduled."""
        return self.feed()["next_check_at"] - self.clock.now

    async def new_notices(self) -> list[tuple[str, str]]:
        """Deliver what is due; the (channel, headline) of the notices that went out."""
        seen = len(self.chat.sent)
        await self.deliverer.drain()
        sent = [s for s in self.chat.sent[seen:] if s.message.kind == "notice"]
        return sorted((s.channel, s.message.headline) for s in sent)

    async def status(self) -> tuple[str, ...]:
        core = CommandCore(self.store, [], clock=self.clock)
        return (await core.handle(Command("chat", "C1", "U1", "status"))).lines


@asynccontextmanager
async def watching(store: Store, config: Config) -> AsyncIterator[Watch]:
    clock = Clock()
    settings = PipelineSettings(poll_interval=INTERVAL, failures_before_warning=THRESHOLD)
    async with FeedServer() as feeds, Fetcher(user_agent="newsdelta-test", timeout=5) as fetcher:
        pipeline = Pipeline(store, config.topics, settings, fetcher=fetcher, clock=clock)
        store.sync_feeds([FeedSource(NAME, feeds.url(PATH))], clock())
        for channel in CHANNELS:
            store.subscribe("chat", channel, "russia-iran", "U1", clock())
        chat = RecordingPlatform()
        deliverer = Deliverer(store, {"chat": chat}, clock=clock)
        yield Watch(store, pipeline, deliverer, chat, feeds, clock)


async def test_a_failing_feed_warns_once_recovers_once_and_is_never_disabled(
    store: Store, config: Config
) -> None:
    async with watching(store, config) as watch:
        watch.feeds.set(PATH, **DOWN)
        waits, notices = [], []
        for _ in range(2 * THRESHOLD):
            report = await watch.poll_when_due()
            assert (report.feeds, report.failed) == (1, 1)  # leased and polled when due
            assert (await watch.pipeline.poll_due()).feeds == 0  # and not before
            waits.append(watch.wait_asked())
            notices.append(await watch.new_notices())
        assert notices == [[], [], [(c, FAILING) for c in CHANNELS], [], [], []]
        assert all(later > earlier for earlier, later in itertools.pairwise(waits)), waits
        assert watch.feed()["paused"] == 0 and watch.feed()["failures"] == 2 * THRESHOLD
        failing = next(s.message for s in watch.chat.sent if s.message.headline == FAILING)
        assert failing.why == (
            f"{THRESHOLD} polls in a row failed; last error: HTTP 503 Service Unavailable. "
            "It keeps being retried with backoff."
        )

        watch.feeds.set(PATH, HEALTHY)
        assert (await watch.poll_when_due()).failed == 0
        assert await watch.new_notices() == [(c, RECOVERED) for c in CHANNELS]
        assert (await watch.poll_when_due()).failed == 0  # 304 Not Modified: still healthy
        watch.feeds.set(PATH, **DOWN)
        for _ in range(THRESHOLD - 1):  # a short outage stays below the threshold
            assert (await watch.poll_when_due()).failed == 1
        assert await watch.new_notices() == []


async def test_status_shows_health_last_success_and_the_error(store: Store, config: Config):
    async with watching(store, config) as watch:
        watch.feeds.set(PATH, HEALTHY)
        await watch.poll_when_due()
        succeeded = "2025-06-15 15:06 UTC"
        assert (await watch.status())[1] == (
            f"{NAME}: ok; last poll {succeeded}, last success {succeeded}"
        )
        watch.feeds.set(PATH, **DOWN)
        for _ in range(THRESHOLD):
            await watch.poll_when_due()
        failed = datetime.fromtimestamp(watch.feed()["last_polled_at"], UTC)
        summary, line, channel = await watch.status()
        assert summary.startswith("1 feeds, 1 failing; stories: ")
        assert channel == "This channel: russia-iran (all); digest: none"
        assert line == (
            f"{NAME}: failing; last poll {failed:%Y-%m-%d %H:%M} UTC, last success {succeeded}"
            f" — {THRESHOLD} failures, last error: HTTP 503 Service Unavailable"
        )


@pytest.mark.parametrize(
    ("served", "wait"),
    [
        ({"body": HEALTHY}, INTERVAL),
        ({"body": HEALTHY, "headers": {"Cache-Control": "max-age=3600"}}, 3600),
        ({"body": HEALTHY, "headers": {"Cache-Control": "public, max-age=10"}}, INTERVAL),
        ({"body": HEALTHY_TTL}, 90 * 60),
        ({**DOWN, "headers": {"Retry-After": "7200"}}, 7200),
        ({"body": b"slow down", "status": 429, "headers": {"Retry-After": "1800"}}, 1800),
    ],
    ids=["interval", "max-age", "short-max-age", "ttl", "503-retry-after", "429-retry-after"],
)
async def test_what_the_server_asks_is_a_floor_on_the_next_check(
    store: Store, config: Config, served: dict[str, Any], wait: float
) -> None:
    async with watching(store, config) as watch:
        watch.feeds.set(PATH, **served)
        await watch.poll_when_due()
        assert watch.wait_asked() == wait
