"""Discord end to end: a slash command subscribes a channel, then polled news arrives there.

The real pieces are wired in-process the way bot/runtime.py wires them: the store (SQLite and
PostgreSQL) holding the shipped seeds, the `CommandCore`, a `DiscordPlatform` talking to the
loopback Discord, a `Pipeline` whose real `Fetcher` polls the loopback feed server, and a
`Deliverer` draining the outbox to {"discord": platform}. Commands arrive as
INTERACTION_CREATE on the fake gateway; alerts leave as REST posts the fake records. The
feed grows through tests/feeds/e2e_discord_*.xml, one file per poll, on a clock set half an
hour after each file's newest item (so the first poll's age rule lets the new story through).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime

import discord
import pytest

from bot.commands import CommandCore
from bot.config import Config
from bot.delivery import Deliverer
from bot.platforms.discord_chat import DiscordPlatform
from bot.runtime import fetcher_for, pipeline_settings
from tests.conftest import FEEDS
from tests.fakes.discord_fake import MEMBER, MODERATOR, DiscordFake, Exchange, Posted
from tests.fakes.feed_server import FeedServer
from watchers.models import FeedSource
from watchers.pipeline import PassReport, Pipeline
from watchers.store import Store

TOKEN = "fake-bot-token"
TOPIC = "russia-iran"
FEED_NAME = "Caspian Wire"
FEED_PATH = "/caspian-wire.xml"
SECOND_CHANNEL = "1330000000000999999"  # a channel of the guild no one subscribes
EPHEMERAL = 64
NO_MENTIONS = {"parse": []}
NONCE = re.compile(r"[0-9a-f]{24}")

STORY_LINK = "https://caspian-wire.example/2025/03/20/treaty-commission"
FERRY_FACT = (
    "A weekly ferry line between Astrakhan and Bandar Anzali will start carrying freight in May."
)
GRAIN_FACT = "The grain working group will hold its first meeting in Volgograd on 15 April."
CUSTOMS_FACT = (
    "The customs services of both countries will exchange cargo manifests electronically "
    "from 1 June."
)
RETOLD = "fourteen working groups"  # a sentence every later item repeats from the story


class Clock:
    """The one clock of pipeline, commands and delivery: set to a moment of 20 March 2025."""

    def __init__(self) -> None:
        self.now = 0.0

    def set(self, hhmm: str) -> None:
        hour, minute = map(int, hhmm.split(":"))
        self.now = datetime(2025, 3, 20, hour, minute, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


class Newsroom:
    """newsdelta's pieces over one store, against the loopback Discord and feed server."""

    def __init__(self, config: Config, store_url: str, fake: DiscordFake, feeds: FeedServer):
        self.config = config
        self.store_url = store_url
        self.fake = fake
        self.feeds = feeds
        self.clock = Clock()
        self._stack = AsyncExitStack()

    async def open(self, store: Store) -> None:
        """Start as `newsdelta run` does: store, command core, Discord, watcher, sender."""
        self.store = store
        self._stack.callback(store.close)
        self.core = CommandCore(store, self.config.topics, clock=self.clock)
        self.platform = await self._stack.enter_async_context(
            DiscordPlatform(
                TOKEN,
                self.core.handle,
                self.core.topic_names,
                int(self.fake.guild_id),
                api_base=self.fake.api_base,
                gateway_url=self.fake.gateway_url,
            )
        )
        await self.platform.wait_until_ready()
        fetcher = await self._stack.enter_async_context(fetcher_for(self.config))
        settings = pipeline_settings(self.config)
        self.pipeline = Pipeline(
            store, self.config.topics, settings, fetcher=fetcher, clock=self.clock
        )
        if store.dialect == "sqlite":
            store.release_claims()
        self.deliverer = Deliverer(store, {"discord": self.platform}, clock=self.clock)

    async def close(self) -> None:
        await self._stack.aclose()

    async def restart(self) -> None:
        """Close everything, then start again on the same database."""
        await self.close()
        await self.open(Store.open(self.store_url))

    async def poll(self, fixture: str, at: str) -> PassReport:
        """Serve the feed as `fixture` and poll what is due at `at` (HH:MM on 20 March)."""
        self.feeds.set(FEED_PATH, (FEEDS / fixture).read_bytes())
        self.clock.set(at)
        return await self.pipeline.poll_due()

    async def command(
        self, sub: str, options: dict[str, str] | None = None, *, permissions: int = MEMBER
    ) -> dict:
        """`/newsdelta <sub>` typed in channel 1; the interaction callback's message data."""
        exchange: Exchange = await self.fake.command(sub, options, permissions=permissions)
        assert exchange.callback is not None
        assert exchange.callback["type"] == 4
        return exchange.callback["data"]


@contextmanager
def typing_in(fake: DiscordFake, channel: str) -> Iterator[None]:
    """Commands dispatched inside come from `channel` (the fake knows one channel)."""
    first = fake.channel_id
    fake.channel_id = channel
    try:
        yield
    finally:
        fake.channel_id = first


@pytest.fixture
async def newsroom(store: Store, store_url: str, config: Config) -> AsyncIterator[Newsroom]:
    async with DiscordFake(TOKEN) as fake, FeedServer() as feeds:
        room = Newsroom(config, store_url, fake, feeds)
        room.clock.set("07:00")
        await room.open(store)
        Pipeline(store, config.topics, pipeline_settings(config), clock=room.clock).load_seeds(
            config.settings.seeds_dir
        )
        store.sync_feeds([FeedSource(FEED_NAME, feeds.url(FEED_PATH))], room.clock())
        try:
            yield room
        finally:
            await room.close()


def only_embed(message: Posted) -> dict:
    (embed,) = message.body["embeds"]
    return embed


# Subscribing


async def test_only_a_member_who_may_manage_channels_subscribes_a_channel(newsroom: Newsroom):
    fake = newsroom.fake

    granted = await newsroom.command("subscribe", {"topic": TOPIC}, permissions=MODERATOR)
    with typing_in(fake, SECOND_CHANNEL):
        refused = await newsroom.command("subscribe", {"topic": TOPIC}, permissions=MEMBER)

    assert granted["flags"] == EPHEMERAL
    assert granted["content"] == (
        "**Subscribed this channel to russia-iran: new stories and new details from now on.**"
    )
    assert refused["flags"] == EPHEMERAL
    assert refused["content"] == (
        "**You need the Manage Channels permission for that.**\n"
        "Subscriptions and sources decide what this channel receives."
    )
    subscribed = [(s["platform"], s["channel"], s["topic"]) for s in newsroom.store.subscriptions()]
    assert subscribed == [("discord", fake.channel_id, TOPIC)]


# Alerts out


async def test_a_story_and_its_details_reach_discord_once_through_errors_and_a_restart(
    newsroom: Newsroom,
):
    fake = newsroom.fake
    await newsroom.command("subscribe", {"topic": TOPIC}, permissions=MODERATOR)

    # A new story: one message, one embed, in channel 1 only; it opens a thread.
    report = await newsroom.poll("e2e_discord_1_new_story.xml", at="08:30")
    assert (report.verdicts["new_story"], report.alerts) == (1, 1)
    assert await newsroom.deliverer.drain() == 1

    (story,) = fake.messages
    assert story.channel_id == fake.channel_id
    embed = only_embed(story)
    assert embed["title"] == "Russia and Iran hold the first treaty commission in Astrakhan"
    assert embed["url"] == STORY_LINK
    assert embed["fields"] == [{"name": "Verdict", "value": "New story", "inline": True}]
    assert embed["footer"]["text"] == (
        "russia-iran · Caspian Wire · 2025-03-20 08:00 UTC · "
        "new story: 0 of 4 facts known; no known story shares its wording"
    )
    assert embed["description"].startswith("Russia and Iran held the first session")
    assert story.body["allowed_mentions"] == NO_MENTIONS
    assert NONCE.fullmatch(story.body["nonce"]) and story.body["enforce_nonce"] is True
    assert fake.threads[story.id]["name"] == embed["title"]
    thread = story.id

    # A retelling with one added fact: posted in that thread, quoting only the new fact.
    report = await newsroom.poll("e2e_discord_2_ferry_detail.xml", at="10:30")
    assert (report.verdicts["new_detail"], report.alerts) == (1, 1)
    assert await newsroom.deliverer.drain() == 1

    ferry = fake.messages[-1]
    assert ferry.channel_id == thread
    embed = only_embed(ferry)
    assert embed["title"] == "Treaty commission in Astrakhan: ferry line to Anzali from May"
    assert embed["fields"][0]["value"] == "New detail"
    assert embed["description"] == (
        f"• {FERRY_FACT}\n"
        "  — Caspian Wire, 2025-03-20 · https://caspian-wire.example/2025/03/20/anzali-ferry"
    )
    assert RETOLD not in embed["description"]
    assert ferry.body["allowed_mentions"] == NO_MENTIONS
    assert list(fake.threads) == [thread]

    # Discord writes the next message, then answers 500: the client retries with the same
    # nonce and Discord keeps one message.
    fake.fail_messages(500, after_store=True)
    await newsroom.poll("e2e_discord_3_grain_detail.xml", at="12:30")
    posts_before = len(fake.message_posts)
    assert await newsroom.deliverer.drain() == 1

    first_try, retry = fake.message_posts[posts_before:]
    assert first_try == retry
    assert retry[0] == thread and NONCE.fullmatch(retry[1]["nonce"])
    grain = fake.messages[-1]
    assert len(fake.messages) == 3
    assert grain.channel_id == thread and GRAIN_FACT in only_embed(grain)["description"]

    # A 429 with retry_after: waited out by the client, then delivered once.
    fake.fail_messages(429, retry_after=0.25)
    await newsroom.poll("e2e_discord_4_customs_detail.xml", at="14:30")
    posts_before = len(fake.message_posts)
    assert await newsroom.deliverer.drain() == 1

    assert len(fake.message_posts) == posts_before + 2
    customs = fake.messages[-1]
    assert len(fake.messages) == 4
    assert customs.channel_id == thread and CUSTOMS_FACT in only_embed(customs)["description"]

    # Nothing went anywhere but channel 1 and its thread; every alert had its own nonce.
    assert {channel for channel, _ in fake.message_posts} == {fake.channel_id, thread}
    assert len({m.body["nonce"] for m in fake.messages}) == 4

    # Restart on the same database: new store, new client, new deliverer. Nothing is re-sent.
    posts_before = len(fake.message_posts)
    await newsroom.restart()
    assert await newsroom.deliverer.drain() == 0
    assert len(fake.message_posts) == posts_before
    assert newsroom.store.delivery_counts() == {"sent": 4}


# Commands in


async def test_reading_commands_answer_from_what_was_polled(newsroom: Newsroom):
    await newsroom.command("subscribe", {"topic": TOPIC}, permissions=MODERATOR)
    await newsroom.poll("e2e_discord_3_grain_detail.xml", at="12:30")

    topics = await newsroom.command("topics")
    status = await newsroom.command("status")
    facts = await newsroom.command("facts", {"query": "Volgograd"})
    offered = await newsroom.fake.autocomplete("subscribe", "topic", "iran")

    assert topics["flags"] == status["flags"] == facts["flags"] == EPHEMERAL
    assert topics["content"].startswith(
        "**Topics**\nrussia-iran — Russia–Iran comprehensive strategic partnership treaty — "
        "subscribed — matches russia: Russia\\*, Moscow, Kremlin, Putin…"
    )
    assert status["content"] == (
        "**Status**\n"
        "1 feeds, 0 failing; stories: new\\_detail 2, new\\_story 1, seed 2\n"
        "Caspian Wire: ok; last poll 2025-03-20 12:30 UTC, last success 2025-03-20 12:30 UTC\n"
        f"This channel: {TOPIC} (all); digest: none"
    )
    assert facts["content"].startswith("**Known facts for 'Volgograd':**\n")
    assert discord.utils.escape_markdown(GRAIN_FACT) in facts["content"]
    assert "Caspian Wire, 2025-03-20" in facts["content"]
    assert offered == [{"name": TOPIC, "value": TOPIC}]
