"""Secrets never reach the logs, even at DEBUG, and neither does a refused request's body.

Canary values stand in for every secret; after a full cycle every line the program wrote is
searched for them.
- Slack, as a user runs it: `newsdelta --log-level DEBUG run` as a subprocess with canary
  SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (and, on PostgreSQL, a canary password in
  DATABASE_URL) polls a loopback feed, delivers to `FakeSlackApi`, answers a signed slash
  command and refuses a request with a bad signature; its stdout and stderr are searched.
- Discord, in process (its endpoints can only be redirected there): `setup_logging` at DEBUG
  with a canary DISCORD_TOKEN, the adapter logged in to `DiscordFake`, a slash command,
  a delivery and a failed delivery; everything written to stderr is searched.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.commands import CommandCore
from bot.config import Config, Secrets
from bot.delivery import Deliverer
from bot.logs import setup_logging
from bot.platforms.discord_chat import DiscordPlatform
from bot.platforms.slack import EVENTS_PATH
from tests.fakes.discord_fake import DiscordFake
from tests.fakes.feed_server import FeedServer
from tests.fakes.process import Running, write_config
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import post_signed, slash_command
from watchers.payload import notice_payload
from watchers.store import Store

FEEDS = Path(__file__).parent / "feeds"
SLACK_TOKEN = "xoxb-canary-7d41e0c2b9"
SIGNING_SECRET = "canary-signing-secret-5be81f"
DB_PASSWORD = "canary-db-password-31c9"
DISCORD_TOKEN = "canary-discord-token-MTMzMA.Gx1c2a.0e9f"
REFUSED_TEXT = "refused-body-canary-64aa treaty"
SERVING = re.compile(r"slack: serving /slack/events on [\d.]+:(\d+)")


def with_password(url: str) -> tuple[str, list[str]]:
    """`url` carrying the canary password (PostgreSQL), and the canaries that adds."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite" or parts.password:
        return url, []
    netloc = f"{parts.username}:{DB_PASSWORD}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc)), [DB_PASSWORD]


async def wait_for(predicate, timeout: float = 60.0) -> None:
    """Poll `predicate` until it holds (a guard against a hang, not a speed check)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_slack_cycle_at_debug_logs_no_secret_and_no_refused_body(
    tmp_path: Path, store_url: str
) -> None:
    database_url, canaries = with_password(store_url)
    canaries += [SLACK_TOKEN, SIGNING_SECRET]
    store = Store.open(store_url)
    store.subscribe("slack", "C1", "russia-iran", "U_ADMIN", 0.0)
    store.close()
    async with FakeSlackApi(token=SLACK_TOKEN) as slack, FeedServer() as feeds:
        feeds.set("/wire.xml", (FEEDS / "crash_wire.xml").read_bytes())
        config = write_config(tmp_path, [("Northern Wire", feeds.url("/wire.xml"))])
        env = {
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "PORT": "0",
            "DATABASE_URL": database_url,
        }
        bot = await Running.start("--log-level", "DEBUG", "--config", str(config), "run", env=env)
        try:
            await bot.until(lambda: any(SERVING.search(line) for line in bot.err))
            port = next(m.group(1) for line in bot.err if (m := SERVING.search(line)))
            events = f"http://127.0.0.1:{port}{EVENTS_PATH}"
            await wait_for(lambda: len(slack.messages.get("C1", [])) == 2)  # both alerts

            signed = slash_command("status", response_url=slack.response_url("ok"))
            assert (await post_signed(events, signed, SIGNING_SECRET))[0] == 200
            assert (await slack.next_response())["text"].startswith("Status")
            refused = slash_command(REFUSED_TEXT, response_url=slack.response_url("refused"))
            assert (await post_signed(events, refused, "not-the-signing-secret"))[0] == 401
        finally:
            await bot.terminate()
    assert bot.process.returncode == 0, "\n".join(bot.err)
    logged = "\n".join(bot.out + bot.err)
    assert any(line.startswith("DEBUG ") for line in bot.err)
    assert "slack: rejected a request with a bad or expired signature" in logged
    assert [canary for canary in canaries if canary in logged] == []
    assert "refused-body-canary" not in logged and refused.decode() not in logged


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """setup_logging reconfigures the root logger and a few others; put them all back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logger.level for name, logger in _loggers()}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, logger in _loggers():
            logger.setLevel(levels.get(name, logging.NOTSET))


def _loggers() -> list[tuple[str, logging.Logger]]:
    known = list(logging.root.manager.loggerDict.items())
    return [(name, logger) for name, logger in known if isinstance(logger, logging.Logger)]


async def test_a_discord_cycle_at_debug_logs_no_token(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    setup_logging("DEBUG", Secrets(discord_token=DISCORD_TOKEN).values())
    store = Store.open(f"sqlite:///{tmp_path / 'newsdelta.db'}")
    core = CommandCore(store, config.topics)
    try:
        async with (
            DiscordFake(DISCORD_TOKEN) as fake,
            DiscordPlatform(
                DISCORD_TOKEN,
                core.handle,
                core.topic_names,
                guild_id=int(fake.guild_id),
                api_base=fake.api_base,
                gateway_url=fake.gateway_url,
            ) as platform,
        ):
            await platform.wait_until_ready()
            subscribed = await fake.command("subscribe", {"topic": "russia-iran"})
            assert "Subscribed" in str(subscribed.callback)
            deliverer = Deliverer(store, {"discord": platform})
            store.add_notice("n1", notice_payload("Feed Wire is failing", "HTTP 503"), 1.0)
            assert await deliverer.drain() == 1
            fake.fail_messages(403)
            store.add_notice("n2", notice_payload("Feed Wire has recovered", "ok"), 2.0)
            assert await deliverer.drain() == 0  # refused: the subscription is paused
    finally:
        store.close()
    logged = capsys.readouterr().err
    assert "DEBUG discord" in logged and "WARNING newsdelta.delivery: subscription paused" in logged
    assert DISCORD_TOKEN not in logged
