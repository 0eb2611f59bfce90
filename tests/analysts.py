"""One newsdelta process for the analyst-command tests, wired the way bot/runtime.py wires it.

`Newsroom` opens its own connection to the test's database and runs, against loopback fakes,
the command core (with whatsnew, digest and topic), the Slack adapter serving signed
`/slack/events` over HTTP to `FakeSlackApi`, optionally the Discord adapter on `DiscordFake`,
the watcher's pipeline with the real fetcher, the sender (`Deliverer`) and the digest runner,
all on one fake `Clock`. Several `Newsroom`s over one database are several `serve`
processes. The fetcher lets the guard through to 127.0.0.0/8 only when `allow_loopback`
(pages served by the test's `FeedServer`); otherwise loopback is refused as in production.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from bot.commands import CommandCore
from bot.config import Config
from bot.delivery import Deliverer
from bot.digest import DigestRunner
from bot.messages import Platform
from bot.platforms.discord_chat import DiscordPlatform
from bot.platforms.slack import EVENTS_PATH, SlackPlatform
from bot.runtime import pipeline_settings
from bot.topic_commands import TopicBook
from bot.whatsnew import WhatsNew
from tests.conftest import FEEDS
from tests.fakes.discord_fake import MODERATOR, DiscordFake, Exchange
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import post_signed, slash_command
from watchers.fetch import Fetcher
from watchers.pipeline import Pipeline
from watchers.store import Store

TOKEN = "xoxb-analyst-bot-token"
SECRET = "analyst-signing-secret"
DISCORD_TOKEN = "analyst-discord-token"
TOPIC = "russia-iran"


class Clock:
    """The one clock of every process in a test."""

    def __init__(self, at: str) -> None:
        self.now = 0.0
        self.set(at)

    def set(self, at: str) -> None:
        """`at` in ISO 8601, UTC when it names no zone."""
        moment = datetime.fromisoformat(at)
        self.now = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def published_by(name: str, now: float) -> bytes:
    """tests/feeds/<name>.xml as it stood at `now`: only the items published by then."""
    root = ET.parse(FEEDS / f"{name}.xml").getroot()
    channel = root.find("channel")
    assert channel is not None
    for item in channel.findall("item"):
        date = item.findtext("pubDate") or ""
        if datetime.strptime(date, "%a, %d %b %Y %H:%M:%S %z").timestamp() > now:
            channel.remove(item)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class Newsroom:
    """One process; `async with Newsroom(...) as room:`."""

    def __init__(
        self,
        name: str,
        store_url: str,
        config: Config,
        clock: Clock,
        slack: FakeSlackApi,
        discord: DiscordFake | None = None,
        *,
        allow_loopback: bool = True,
        defer_after: float = 2.0,
    ) -> None:
        self.name = name
        self.store_url = store_url
        self.config = config
        self.clock = clock
        self.slack_api = slack
        self.discord_fake = discord
        self.allow_loopback = allow_loopback
        self.defer_after = defer_after
        self._stack = AsyncExitStack()
        self._responses = 0

    async def __aenter__(self) -> Newsroom:
        self.store = store = Store.open(self.store_url)
        self._stack.callback(store.close)
        settings = pipeline_settings(self.config)
        allow = ["127.0.0.0/8"] if self.allow_loopback else []
        fetcher = Fetcher(user_agent="newsdelta-test", timeout=5.0, guard_allow=allow)
        self.fetcher = await self._stack.enter_async_context(fetcher)
        self.pipeline = Pipeline(
            store, self.config.topics, settings, fetcher=fetcher, owner=self.name, clock=self.clock
        )
        self.pipeline.load_seeds(self.config.settings.seeds_dir)
        book = TopicBook(store, self.config.topics)
        whatsnew = WhatsNew(store, fetcher, lambda: tuple(book.all().values()), settings)
        self.core = CommandCore(
            store,
            self.config.topics,
            whatsnew=whatsnew,
            first_poll_max_age=self.config.settings.first_poll_max_age,
            clock=self.clock,
        )
        platforms: dict[str, Platform] = {}
        self.slack = await self._stack.enter_async_context(
            SlackPlatform(
                bot_token=TOKEN,
                signing_secret=SECRET,
                api_url=self.slack_api.api_url,
                handle=self.core.handle,
                topic_names=self.core.topic_names,
                port=0,
                host="127.0.0.1",
                pace=0.0,
            )
        )
        platforms["slack"] = self.slack
        if self.discord_fake is not None:
            self.discord = await self._stack.enter_async_context(
                DiscordPlatform(
                    DISCORD_TOKEN,
                    self.core.handle,
                    self.core.topic_names,
                    int(self.discord_fake.guild_id),
                    api_base=self.discord_fake.api_base,
                    gateway_url=self.discord_fake.gateway_url,
                    defer_after=self.defer_after,
                )
            )
            await self.discord.wait_until_ready()
            platforms["discord"] = self.discord
        self.deliverer = Deliverer(store, platforms, owner=self.name, clock=self.clock)
        self.digests = DigestRunner(store, clock=self.clock)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()

    async def slack_command(
        self, text: str, channel: str = "C1", user: str = "U_MEMBER"
    ) -> dict[str, Any]:
        """Type `/newsdelta <text>` in a Slack channel; what came back at the response_url."""
        count = len(self.slack_api.responses) + 1
        url = f"http://127.0.0.1:{self.slack.port}{EVENTS_PATH}"
        body = slash_command(
            text,
            response_url=self.slack_api.response_url(f"{self.name}-{count}"),
            channel_id=channel,
            user_id=user,
        )
        status, _ = await post_signed(url, body, SECRET)
        assert status == 200
        return await self.slack_api.next_response(count=count)

    async def discord_command(
        self, sub: str, options: dict[str, str] | None = None, *, permissions: int = MODERATOR
    ) -> str:
        """`/newsdelta <sub>` in the Discord channel; the whole answer's text."""
        assert self.discord_fake is not None
        exchange: Exchange = await self.discord_fake.command(sub, options, permissions=permissions)
        assert exchange.callback is not None
        if exchange.callback["type"] == 5:  # deferred: the answer follows
            await self.discord_fake.until(lambda: bool(exchange.followups))
            return "\n".join(f["content"] for f in exchange.followups)
        return exchange.callback["data"]["content"]

    async def tick(self) -> None:
        """What a serve process does when its timers fire: due digests, then deliveries."""
        await asyncio.to_thread(self.digests.run_due)
        await self.deliverer.drain()
