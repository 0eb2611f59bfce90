"""The Discord adapter, end to end through discord.py against a loopback Discord.

Commands arrive as INTERACTION_CREATE on the fake gateway and their replies come back as
interaction callbacks; alerts go out as REST message posts the fake records. Nothing is mocked
inside discord.py or the adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.messages import Command, DeliveryError, FactLine, Message, Reply
from bot.platforms.discord_chat import DiscordPlatform, Handler
from bot.platforms.discord_embeds import nonce_for
from tests.fakes.discord_fake import MEMBER, MODERATOR, DiscordFake

TOKEN = "fake-bot-token"
TOPICS = ["russia-iran-treaty", "iran-nuclear-talks", "arctic-shipping"]
EPHEMERAL = 64
NO_MENTIONS = {"parse": []}

ALERT = Message(
    kind="alert",
    headline="Duma ratifies the Russia–Iran partnership treaty",
    verdict="new_detail",
    link="https://news.example/duma-ratifies",
    topic="russia-iran-treaty",
    source="Example Wire",
    published="2025-04-08T12:30:00+00:00",
    why="2 facts no known story states",
    facts=(
        FactLine(
            text="The lower house approved the treaty by 412 votes to 0.",
            source="Example Wire",
            link="https://news.example/duma-ratifies",
            date="2025-04-08",
        ),
        FactLine(
            text="The treaty has 47 articles.",
            source="Other Daily",
            conflict='number differs: "47" vs "46" (Seed Agency)',
        ),
    ),
)


@dataclass
class Bot:
    platform: DiscordPlatform
    fake: DiscordFake
    handled: list[Command] = field(default_factory=list)


@pytest.fixture
async def fake() -> AsyncIterator[DiscordFake]:
    async with DiscordFake(TOKEN) as server:
        yield server


def start(fake: DiscordFake, handle: Handler, **options: object) -> DiscordPlatform:
    """The adapter pointed at the fake, for the fake's guild unless told otherwise."""
    options.setdefault("guild_id", int(fake.guild_id))
    endpoints = {"api_base": fake.api_base, "gateway_url": fake.gateway_url}
    return DiscordPlatform(TOKEN, handle, lambda: TOPICS, **endpoints, **options)  # type: ignore[arg-type]


def echo_into(handled: list[Command]) -> Handler:
    """A stand-in for bot.commands.handle: records the command and echoes it as the title."""

    async def echo(command: Command) -> Reply:
        handled.append(command)
        return Reply(title=f"{command.name} {command.args}".strip(), lines=("echoed",))

    return echo


async def never(command: Command) -> Reply:
    raise AssertionError("no command should reach the handler")


@pytest.fixture
async def bot(fake: DiscordFake) -> AsyncIterator[Bot]:
    handled: list[Command] = []
    async with start(fake, echo_into(handled)) as platform:
        await platform.wait_until_ready()
        yield Bot(platform, fake, handled)


# Starting and stopping


async def test_start_syncs_the_command_group_to_the_guild_and_asks_no_privileged_intent(bot: Bot):
    (group,) = bot.fake.commands[bot.fake.guild_id]
    assert group["name"] == "newsdelta"
    subcommands = [option["name"] for option in group["options"]]
    assert subcommands == [
        "facts",
        "whatsnew",
        "subscribe",
        "unsubscribe",
        "topics",
        "topic",
        "digest",
        "status",
        "help",
        "sources",
    ]
    assert bot.fake.identify is not None
    assert bot.fake.identify["token"] == TOKEN
    assert bot.fake.identify["intents"] == discord.Intents(guilds=True).value


async def test_without_a_guild_id_the_commands_sync_globally(fake: DiscordFake):
    async with start(fake, never, guild_id=None) as platform:
        await platform.wait_until_ready()
        assert [c["name"] for c in fake.commands[None]] == ["newsdelta"]
        assert fake.guild_id not in fake.commands


async def test_leaving_restores_discord_endpoints(fake: DiscordFake):
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    async with start(fake, never) as platform:
        await platform.wait_until_ready()
        assert fake.api_base == Route.BASE
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


async def test_a_wrong_token_fails_to_start_and_leaves_nothing_patched(fake: DiscordFake):
    before = Route.BASE
    fake.token = "the-real-token"
    with pytest.raises(discord.LoginFailure):
        async with start(fake, never):
            pass
    assert before == Route.BASE


# Commands in


@pytest.mark.parametrize(
    ("sub", "options", "args"),
    [
        ("facts", {"query": "vote count"}, "vote count"),
        ("subscribe", {"topic": "russia-iran-treaty"}, "russia-iran-treaty"),
        ("unsubscribe", {"topic": "russia-iran-treaty"}, "russia-iran-treaty"),
        ("topics", {}, ""),
        ("status", {}, ""),
        ("help", {}, ""),
        (
            "sources",
            {"action": "add", "arg": "https://feeds.example/rss"},
            "add https://feeds.example/rss",
        ),
        ("sources", {"action": "list"}, "list"),
    ],
)
async def test_each_command_reaches_the_handler_and_replies_ephemerally(
    bot: Bot, sub: str, options: dict[str, str], args: str
):
    exchange = await bot.fake.command(sub, options, permissions=MODERATOR)

    assert bot.handled == [
        Command(
            platform="discord",
            channel=bot.fake.channel_id,
            user=bot.fake.member_id,
            name=sub,
            args=args,
            may_manage=True,
        )
    ]
    assert exchange.callback is not None
    assert exchange.callback["type"] == 4
    assert exchange.callback["data"]["flags"] == EPHEMERAL
    assert exchange.callback["data"]["allowed_mentions"] == NO_MENTIONS
    title = discord.utils.escape_markdown(f"{sub} {args}".strip())
    assert exchange.callback["data"]["content"] == f"**{title}**\nechoed"


@pytest.mark.parametrize(
    ("sub", "options"),
    [
        ("subscribe", {"topic": "russia-iran-treaty"}),
        ("unsubscribe", {"topic": "russia-iran-treaty"}),
        ("sources", {"action": "remove", "arg": "Example Wire"}),
        ("sources", {"action": "pause", "arg": "Example Wire"}),
    ],
)
async def test_a_member_without_manage_channels_is_refused_and_told_why(
    bot: Bot, sub: str, options: dict[str, str]
):
    exchange = await bot.fake.command(sub, options, permissions=MEMBER)

    assert bot.handled == []
    assert exchange.callback is not None
    assert exchange.callback["data"]["flags"] == EPHEMERAL
    assert "Manage Channels permission" in exchange.callback["data"]["content"]


async def test_reading_commands_pass_through_for_members_with_may_manage_false(bot: Bot):
    await bot.fake.command("sources", {"action": "list"}, permissions=MEMBER)
    await bot.fake.command("facts", {"query": "articles"}, permissions=MEMBER)

    assert [(c.name, c.may_manage) for c in bot.handled] == [
        ("sources", False),
        ("facts", False),
    ]


async def test_topic_autocomplete_offers_the_matching_topic_names(bot: Bot):
    assert await bot.fake.autocomplete("subscribe", "topic", "IRAN") == [
        {"name": "russia-iran-treaty", "value": "russia-iran-treaty"},
        {"name": "iran-nuclear-talks", "value": "iran-nuclear-talks"},
    ]
    offered = await bot.fake.autocomplete("unsubscribe", "topic", "")
    assert [c["value"] for c in offered] == TOPICS


async def test_a_long_reply_is_split_into_ephemeral_followups_under_2000_chars(
    fake: DiscordFake,
):
    lines = tuple(f"{n:03} " + "fact " * 20 for n in range(60))

    async def lengthy(command: Command) -> Reply:
        return Reply(title="Facts", lines=lines)

    async with start(fake, lengthy) as platform:
        await platform.wait_until_ready()
        exchange = await fake.command("facts", {"query": "fact"})
        await fake.until(lambda: len(exchange.followups) == 3)

    assert exchange.callback is not None
    parts = [exchange.callback["data"], *exchange.followups]
    assert len(parts) == 4
    assert all(len(p["content"]) <= 2000 for p in parts)
    assert all(p["flags"] == EPHEMERAL and p["allowed_mentions"] == NO_MENTIONS for p in parts)
    assert "\n".join(p["content"] for p in parts) == "\n".join(("**Facts**", *lines))


async def test_a_slow_handler_is_deferred_then_answered_in_a_followup(fake: DiscordFake):
    async def slow(command: Command) -> Reply:
        await asyncio.sleep(0.2)
        return Reply(title="Status", lines=("all feeds healthy",))

    async with start(fake, slow, defer_after=0.01) as platform:
        await platform.wait_until_ready()
        exchange = await fake.command("status")
        await fake.until(lambda: bool(exchange.followups))

    assert exchange.callback == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert exchange.followups[0]["content"] == "**Status**\nall feeds healthy"


async def test_a_failing_handler_still_gets_an_answer(fake: DiscordFake):
    async def broken(command: Command) -> Reply:
        raise RuntimeError("store is down")

    async with start(fake, broken) as platform:
        await platform.wait_until_ready()
        exchange = await fake.command("topics")

    assert exchange.callback is not None
    assert "command failed" in exchange.callback["data"]["content"]


# Alerts out


async def test_an_alert_is_one_embed_with_no_mentions_and_a_nonce_then_a_thread(bot: Bot):
    ref = await bot.platform.send(bot.fake.channel_id, ALERT, key="d42-3f9a")

    (posted,) = bot.fake.messages
    assert posted.channel_id == bot.fake.channel_id
    assert posted.body == {
        "embeds": [
            {
                "type": "rich",
                "title": "Duma ratifies the Russia–Iran partnership treaty",
                "url": "https://news.example/duma-ratifies",
                "description": (
                    "• The lower house approved the treaty by 412 votes to 0.\n"
                    "  — Example Wire, 2025-04-08 · https://news.example/duma-ratifies\n\n"
                    "• The treaty has 47 articles.\n"
                    "  — Other Daily\n"
                    '  ⚠ conflicts with: number differs: "47" vs "46" (Seed Agency)'
                ),
                "color": 0xD69E2E,
                "fields": [{"name": "Verdict", "value": "New detail", "inline": True}],
                "footer": {
                    "text": "russia-iran-treaty · Example Wire · 2025-04-08 12:30 UTC · "
                    "2 facts no known story states"
                },
                "flags": 0,
            }
        ],
        "content": None,
        "components": [],
        "tts": False,
        "nonce": nonce_for("d42-3f9a", 0),
        "enforce_nonce": True,
        "allowed_mentions": NO_MENTIONS,
    }
    assert len(nonce_for("d42-3f9a", 0)) <= 25
    assert ref == posted.id
    assert bot.fake.threads[posted.id]["name"] == ALERT.headline
    assert bot.fake.threads[posted.id]["parent_id"] == bot.fake.channel_id


async def test_nothing_from_a_feed_can_ping_or_smuggle_a_link(bot: Bot):
    hostile = Message(
        kind="alert",
        headline="@everyone treaty signed <@&1234567890123456>",
        verdict="new_story",
        link="javascript:alert(1)",
        source="@here Agency",
        summary="Ask <@123456789012345678> or @here.\x07 [Read more](https://evil.example)",
    )
    await bot.platform.send(bot.fake.channel_id, hostile, key="d43-0001")

    (embed,) = bot.fake.messages[0].body["embeds"]
    assert embed["title"] == "@\u200deveryone treaty signed <@\u200d&1234567890123456>"
    assert "url" not in embed
    assert embed["description"] == (
        "Ask <@\u200d123456789012345678> or @\u200dhere. \\[Read more](https://evil.example)"
    )
    assert embed["footer"]["text"] == "@\u200dhere Agency"
    assert bot.fake.messages[0].body["allowed_mentions"] == NO_MENTIONS


async def test_a_second_alert_about_the_story_goes_into_its_thread(bot: Bot):
    thread = await bot.platform.send(bot.fake.channel_id, ALERT, key="d42-0001")
    follow_up = Message(
        kind="alert", headline="Treaty enters into force", verdict="new_detail", thread=thread
    )

    ref = await bot.platform.send(bot.fake.channel_id, follow_up, key="d42-0002")

    assert ref == thread
    assert [m.channel_id for m in bot.fake.messages] == [bot.fake.channel_id, thread]
    assert bot.fake.messages[1].body["nonce"] == nonce_for("d42-0002", 0)
    assert len(bot.fake.threads) == 1


async def test_when_threads_are_refused_details_go_to_the_channel_as_replies(bot: Bot):
    bot.fake.refuse_threads()
    ref = await bot.platform.send(bot.fake.channel_id, ALERT, key="d44-0001")
    root = bot.fake.messages[0]
    assert ref == f"message:{root.id}"

    later = Message(kind="alert", headline="More detail", verdict="new_detail", thread=ref)
    assert await bot.platform.send(bot.fake.channel_id, later, key="d44-0002") == ref

    reply = bot.fake.messages[1]
    assert reply.channel_id == bot.fake.channel_id
    assert reply.body["message_reference"]["message_id"] == int(root.id)
    assert reply.body["allowed_mentions"] == NO_MENTIONS


async def test_a_thread_that_is_gone_starts_over_in_the_channel(bot: Bot):
    later = Message(
        kind="alert", headline="More detail", verdict="new_detail", thread="1330000000000009999"
    )

    ref = await bot.platform.send(bot.fake.channel_id, later, key="d45-0001")

    posted = bot.fake.messages[-1]
    assert posted.channel_id == bot.fake.channel_id
    assert ref == posted.id and ref in bot.fake.threads


async def test_redelivering_the_same_key_posts_once_and_returns_the_same_thread(bot: Bot):
    first = await bot.platform.send(bot.fake.channel_id, ALERT, key="d46-0001")
    again = await bot.platform.send(bot.fake.channel_id, ALERT, key="d46-0001")

    assert again == first
    assert len(bot.fake.messages) == 1
    assert len(bot.fake.message_posts) == 2


async def test_a_long_alert_is_split_within_discord_limits_and_continues_in_the_thread(
    bot: Bot,
):
    facts = tuple(
        FactLine(text=f"Statement {n}: " + "detail " * 120, source="Wire") for n in range(30)
    )
    long_alert = Message(kind="alert", headline="A long day", verdict="new_detail", facts=facts)

    ref = await bot.platform.send(bot.fake.channel_id, long_alert, key="d47-0001")

    first, *rest = bot.fake.messages
    assert rest, "expected more than one message"
    assert first.channel_id == bot.fake.channel_id
    assert {m.channel_id for m in rest} == {ref}
    for message in bot.fake.messages:
        embeds = message.body["embeds"]
        assert 1 <= len(embeds) <= 10
        assert all(len(e.get("description", "")) <= 4096 for e in embeds)
        assert sum(_embed_size(e) for e in embeds) <= 6000
    nonces = [m.body["nonce"] for m in bot.fake.messages]
    assert nonces == [nonce_for("d47-0001", part) for part in range(len(nonces))]
    text = "".join(e["description"] for m in bot.fake.messages for e in m.body["embeds"])
    assert all(f"Statement {n}:" in text for n in range(30))


def _embed_size(embed: dict) -> int:
    """Characters Discord counts toward its 6000 per message (title, description, ...)."""
    return len(discord.Embed.from_dict(embed))


# Failures


async def test_a_500_after_the_write_is_retried_with_the_same_nonce_and_stored_once(bot: Bot):
    bot.fake.fail_messages(500, after_store=True)

    ref = await bot.platform.send(bot.fake.channel_id, ALERT, key="d48-0001")

    (first_try, retry) = bot.fake.message_posts
    assert first_try == retry
    assert retry[1]["nonce"] == nonce_for("d48-0001", 0)
    assert len(bot.fake.messages) == 1
    assert ref == bot.fake.messages[0].id


async def test_a_429_is_waited_out_and_delivered_once(bot: Bot):
    bot.fake.fail_messages(429, retry_after=0.2)

    ref = await bot.platform.send(bot.fake.channel_id, ALERT, key="d49-0001")

    assert len(bot.fake.message_posts) == 2
    assert len(bot.fake.messages) == 1
    assert ref == bot.fake.messages[0].id


async def test_a_rate_limit_too_long_to_wait_is_handed_back_with_retry_after(bot: Bot):
    bot.fake.fail_messages(429, retry_after=120.0)

    with pytest.raises(DeliveryError) as failure:
        await bot.platform.send(bot.fake.channel_id, ALERT, key="d50-0001")

    assert failure.value.retry_after == 120.0
    assert not failure.value.permanent
    assert bot.fake.messages == []


@pytest.mark.parametrize("status", [404, 403])
async def test_unknown_channel_or_missing_access_is_permanent(bot: Bot, status: int):
    bot.fake.fail_messages(status)

    with pytest.raises(DeliveryError) as failure:
        await bot.platform.send(bot.fake.channel_id, ALERT, key="d51-0001")

    assert failure.value.permanent
    assert bot.fake.messages == []


async def test_a_channel_discord_does_not_know_is_permanent(bot: Bot):
    with pytest.raises(DeliveryError) as failure:
        await bot.platform.send("1330000000000008888", ALERT, key="d52-0001")

    assert failure.value.permanent


async def test_no_answer_after_sending_may_have_been_sent(fake: DiscordFake):
    fake.stall_messages()
    async with start(fake, never, send_timeout=0.2) as platform:
        with pytest.raises(DeliveryError) as failure:
            await platform.send(fake.channel_id, ALERT, key="d53-0001")

    assert failure.value.maybe_sent
    assert not failure.value.permanent
