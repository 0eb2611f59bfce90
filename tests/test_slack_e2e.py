"""Slack end to end: a channel subscribes, hears each new thing once, and nothing twice.

The bot is assembled the way `bot/runtime.py` assembles it — the store (SQLite and
PostgreSQL), the seeds, the shipped topics, the command core, the Slack adapter serving
`/slack/events` over HTTP, the watcher's pipeline with the real fetcher, and the sender — and
everything goes through the wire: slash commands are signed like Slack signs them, feeds come
from a loopback `FeedServer`, and messages land in `FakeSlackApi`. The feeds are
`tests/feeds/e2e_slack_*.xml`, served item by item as the story unfolds; each feed is polled
empty first, so what arrives later is news rather than a first poll's backlog.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from bot.commands import SUBCOMMANDS, CommandCore
from bot.config import Config
from bot.delivery import Deliverer
from bot.platforms.slack import EVENTS_PATH, SlackPlatform
from bot.runtime import fetcher_for, pipeline_settings
from tests.conftest import FEEDS
from tests.fakes.feed_server import FeedServer
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import post_signed, slash_command
from watchers.models import FeedSource
from watchers.pipeline import PassReport, Pipeline
from watchers.store import Store

TOKEN = "xoxb-e2e-bot-token"
SECRET = "e2e-signing-secret"
TOPIC = "russia-iran"
WIRE, COURIER = "/wire.xml", "/courier.xml"

DRILL_LINK = "https://caspian-wire.example/2025/06/02/caspian-naval-drill"
DRILL_TITLE = "Russia and Iran hold first naval drill under their partnership treaty"
DAY_TWO_LINK = "https://caspian-wire.example/2025/06/03/caspian-naval-drill-day-two"
SAILORS = (
    "Eleven warships and 1,200 sailors from the two navies are taking part, "
    "the Iranian navy said on Tuesday."
)
LIVE_FIRE_LINK = "https://caspian-wire.example/2025/06/04/caspian-naval-drill-live-fire"
LIVE_FIRE = (
    "The drill will close on Thursday with a live-fire exercise by four missile boats, "
    "the Russian Caspian Flotilla said."
)


def feed(name: str, items: int) -> bytes:
    """tests/feeds/e2e_slack_<name>.xml as published when it had only its first `items` items."""
    root = ET.parse(FEEDS / f"e2e_slack_{name}.xml").getroot()
    channel = root.find("channel")
    assert channel is not None
    for later in channel.findall("item")[items:]:
        channel.remove(later)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class Clock:
    """The watcher's clock: real time plus the poll intervals the test skips over."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.time() + self.skipped

    def skip(self, seconds: float) -> None:
        self.skipped += seconds


@dataclass
class Bot:
    """One running newsdelta process, and the outside world it talks to."""

    store: Store
    platform: SlackPlatform
    pipeline: Pipeline
    deliverer: Deliverer
    slack: FakeSlackApi
    feeds: FeedServer
    clock: Clock
    interval: float

    async def command(self, text: str, channel: str) -> dict[str, Any]:
        """Type `/newsdelta <text>` in `channel`; returns what Slack got at the response_url."""
        count = len(self.slack.responses) + 1
        url = f"http://127.0.0.1:{self.platform.port}{EVENTS_PATH}"
        body = slash_command(
            text, response_url=self.slack.response_url(f"r{count}"), channel_id=channel
        )
        status, _ = await post_signed(url, body, SECRET)
        assert status == 200
        return await self.slack.next_response(count=count)

    async def poll(self) -> PassReport:
        """The next scheduler tick that finds the feeds due: one poll interval later."""
        self.clock.skip(self.interval)
        return await self.pipeline.poll_due()

    def posts(self) -> list[dict[str, Any]]:
        """Every chat.postMessage body Slack received, refused ones included."""
        return [call.fields for call in self.slack.calls_to("chat.postMessage")]


@asynccontextmanager
async def newsdelta(
    store: Store, config: Config, slack: FakeSlackApi, feeds: FeedServer, clock: Clock
) -> AsyncIterator[Bot]:
    """Start the bot on `store` as `bot/runtime.py` does; stop and close it all on exit."""
    settings = pipeline_settings(config)
    sources = [
        FeedSource("Caspian Wire", feeds.url(WIRE)),
        FeedSource("Daily Courier", feeds.url(COURIER)),
    ]
    async with AsyncExitStack() as stack:
        fetcher = await stack.enter_async_context(fetcher_for(config))
        pipeline = Pipeline(
            store, config.topics, settings, fetcher=fetcher, owner="watcher", clock=clock
        )
        pipeline.load_seeds(config.settings.seeds_dir)
        store.sync_feeds(sources, clock())
        core = CommandCore(store, config.topics)
        platform = await stack.enter_async_context(
            SlackPlatform(
                bot_token=TOKEN,
                signing_secret=SECRET,
                api_url=slack.api_url,
                handle=core.handle,
                topic_names=core.topic_names,
                who_may_manage=config.slack.who_may_manage,
                broadcast_replies=config.slack.broadcast_replies,
                port=0,
                host="127.0.0.1",
                pace=0.0,  # so that any wait seen on the wire is Slack's Retry-After alone
            )
        )
        if store.dialect == "sqlite":
            store.release_claims()
        deliverer = Deliverer(store, {"slack": platform}, owner="sender")
        yield Bot(store, platform, pipeline, deliverer, slack, feeds, clock, settings.poll_interval)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        server.set(WIRE, feed("wire", 0))
        server.set(COURIER, feed("courier", 0))
        yield server


def sections(post: dict[str, Any]) -> list[str]:
    return [block["text"]["text"] for block in post["blocks"] if block["type"] == "section"]


def delivery_key(post: dict[str, Any]) -> str:
    metadata = post["metadata"]
    assert metadata["event_type"] == "newsdelta_delivery"
    return metadata["event_payload"]["key"]


async def test_a_story_unfolds_in_one_slack_thread_once_across_a_restart_and_a_429(
    store: Store, store_url: str, config: Config, slack: FakeSlackApi, feeds: FeedServer
) -> None:
    clock = Clock()
    async with newsdelta(store, config, slack, feeds, clock) as bot:
        # 1. C1 subscribes; C2 does not.
        reply = await bot.command(f"subscribe {TOPIC}", channel="C1")
        assert reply["response_type"] == "ephemeral"
        assert reply["text"] == (
            f"Subscribed this channel to {TOPIC}: new stories and new details from now on."
        )
        elsewhere = await bot.command("topics", channel="C2")
        assert f"{TOPIC} — " in elsewhere["text"] and "— not subscribed —" in elsewhere["text"]
        assert [s["channel"] for s in store.subscriptions("slack")] == ["C1"]
        assert (await bot.poll()).feeds == 2  # both feeds, still empty: nothing is news yet

        # 2. The wire breaks a new story: one message, to C1 only, with link and summary.
        feeds.set(WIRE, feed("wire", 1))
        report = await bot.poll()
        assert dict(report.verdicts) == {"new_story": 1} and report.alerts == 1
        assert await bot.deliverer.drain() == 1
        [story] = bot.posts()
        assert story["channel"] == "C1" and set(slack.messages) == {"C1"}
        assert "thread_ts" not in story
        headline, summary, *_ = sections(story)
        assert headline == f"*New story:* *<{DRILL_LINK}|{DRILL_TITLE}>*"
        assert summary.startswith(
            "Russian and Iranian warships began a joint naval drill in the Caspian Sea"
        )
        key = delivery_key(story)
        assert re.fullmatch(r"nd\d+-\d+", key)
        root = slack.messages["C1"][0]["ts"]
        assert await bot.platform.find_sent("C1", key) == root

        # 3. The wire retells the story with one new fact: a reply in the story's thread
        #    quoting that fact alone.
        feeds.set(WIRE, feed("wire", 2))
        report = await bot.poll()
        assert dict(report.verdicts) == {"new_detail": 1} and report.alerts == 1
        assert await bot.deliverer.drain() == 1
        detail = bot.posts()[-1]
        assert (detail["channel"], detail["thread_ts"]) == ("C1", root)
        assert [text for text in sections(detail) if text.startswith("•")] == [
            f"• {SAILORS} — <{DAY_TWO_LINK}|Caspian Wire>, 2025-06-03"
        ]
        assert "Anzali" not in str(detail["blocks"])  # the retold part is not quoted
        assert delivery_key(detail) != key

        # 4. Another outlet syndicates the first item word for word: nothing at all.
        feeds.set(COURIER, feed("courier", 1))
        report = await bot.poll()
        assert dict(report.verdicts) == {"retelling": 1} and report.alerts == 0
        assert await bot.deliverer.drain() == 0
        assert len(bot.posts()) == 2

    # 5. Restart: a new process on the same database sends nothing again, and the feeds,
    #    unchanged, answer the conditional GETs with 304.
    store.close()
    reopened = Store.open(store_url)
    try:
        async with newsdelta(reopened, config, slack, feeds, clock) as bot:
            assert await bot.deliverer.drain() == 0
            report = await bot.poll()
            assert (report.feeds, report.not_modified, report.alerts) == (2, 2, 0)
            assert all("if-none-match" in seen.headers for seen in feeds.requests[-2:])
            assert await bot.deliverer.drain() == 0
            assert len(bot.posts()) == 2

            # 6. Slack answers the next post with 429, Retry-After: 1: it is posted once,
            #    no sooner than a second later, in the thread remembered across the restart.
            feeds.set(WIRE, feed("wire", 3))
            report = await bot.poll()
            assert dict(report.verdicts) == {"new_detail": 1}
            slack.rate_limit_next("chat.postMessage", retry_after=1)
            assert await bot.deliverer.drain() == 1
            refused, posted = slack.calls_to("chat.postMessage")[-2:]
            assert posted.at - refused.at >= 1.0
            assert refused.fields == posted.fields
            assert posted.fields["thread_ts"] == root
            assert f"• {LIVE_FIRE} — <{LIVE_FIRE_LINK}|Caspian Wire>" in str(posted.fields)
            assert len(slack.messages["C1"]) == 3
            keys = [delivery_key(message) for message in slack.messages["C1"]]
            assert len(set(keys)) == 3
            assert await bot.deliverer.drain() == 0
    finally:
        reopened.close()


async def test_commands_answer_from_what_the_bot_has_learned(
    store: Store, config: Config, slack: FakeSlackApi, feeds: FeedServer
) -> None:
    async with newsdelta(store, config, slack, feeds, Clock()) as bot:
        await bot.poll()
        feeds.set(WIRE, feed("wire", 2))
        await bot.poll()

        facts = await bot.command("facts sailors", channel="C1")
        assert facts["response_type"] == "ephemeral"
        assert facts["text"].startswith("Known facts for 'sailors':\n")
        assert f"“{SAILORS}” — Caspian Wire, 2025-06-03 &lt;{DAY_TWO_LINK}&gt;" in facts["text"]

        bogus = await bot.command("bogus", channel="C1")
        assert bogus["text"] == f"Unknown subcommand 'bogus'. Valid: {', '.join(SUBCOMMANDS)}"
        choices = bogus["blocks"][-1]["elements"][0]["text"]
        assert choices == " · ".join(f"`{name}`" for name in SUBCOMMANDS)

        nosuch = await bot.command("subscribe nosuch", channel="C1")
        assert nosuch["text"] == f"Unknown topic 'nosuch'. Valid topics: {TOPIC}"
        assert nosuch["blocks"][-1]["elements"][0]["text"] == f"`{TOPIC}`"
        assert store.subscriptions("slack") == []
