"""The command core answers every platform's `/newsdelta …` the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.commands import SUBCOMMANDS, CommandCore
from bot.messages import Command
from watchers.models import AliasGroup, FactRecord, FeedSource, Judgement, Story, Topic, Verdict
from watchers.store import PollOutcome, Store

TOPIC = Topic("russia-iran", "Russia–Iran treaty", (AliasGroup("russia", ("Russia",)),))


def cmd(name: str, args: str = "", *, may_manage: bool = True, channel: str = "C1") -> Command:
    return Command("slack", channel, "U1", name, args, may_manage)


@pytest.fixture
def core(store: Store) -> CommandCore:
    return CommandCore(store, [TOPIC], clock=lambda: 1000.0)


async def test_help_lists_every_subcommand(core: CommandCore) -> None:
    reply = await core.handle(cmd("help"))
    for name in SUBCOMMANDS:
        assert any(line.startswith(name) for line in reply.lines)


async def test_an_unknown_subcommand_answers_with_the_valid_choices(core: CommandCore) -> None:
    reply = await core.handle(cmd("subscrbe", "russia-iran"))
    assert reply.choices == SUBCOMMANDS and "Unknown subcommand 'subscrbe'" in reply.title


async def test_subscribe_then_topics_then_unsubscribe(core: CommandCore, store: Store) -> None:
    assert "Subscribed" in (await core.handle(cmd("subscribe", "russia-iran"))).title
    assert "already" in (await core.handle(cmd("subscribe", "russia-iran"))).title
    assert store.subscriptions("slack", "C1")[0]["topic"] == "russia-iran"
    topics = await core.handle(cmd("topics"))
    assert "russia-iran — Russia–Iran treaty — subscribed" in topics.lines[0]
    assert "Unsubscribed" in (await core.handle(cmd("unsubscribe", "russia-iran"))).title
    assert store.subscriptions("slack", "C1") == []


async def test_an_unknown_topic_answers_with_the_valid_topics(core: CommandCore) -> None:
    reply = await core.handle(cmd("subscribe", "russia-china"))
    assert reply.choices == ("russia-iran",)
    assert reply.title == "Unknown topic 'russia-china'. Valid topics: russia-iran"


async def test_only_permitted_users_change_subscriptions(core: CommandCore, store: Store) -> None:
    reply = await core.handle(cmd("subscribe", "russia-iran", may_manage=False))
    assert "not allowed" in reply.title and store.subscriptions() == []


async def test_facts_finds_statements_with_every_source(core: CommandCore, store: Store) -> None:
    for n, source in enumerate(("Wire A", "Wire B")):
        story = Story(
            f"k{n}", "t", "x", source, f"https://{n}.example/", datetime(2025, 3, 1, tzinfo=UTC)
        )
        judgement = Judgement(
            Verdict.NEW_STORY,
            ("russia-iran",),
            "w",
            facts=(FactRecord("The Duma ratified the treaty 412 to 3.", (n,), True),),
        )
        with store.db.transaction():
            store.record_story(story, judgement, feed_id=None, label="l", alerts=[], now=1.0)
    reply = await core.handle(cmd("facts", "duma ratified"))
    assert len(reply.lines) == 1
    assert "Wire A, 2025-03-01" in reply.lines[0] and "Wire B" in reply.lines[0]
    assert "No known fact" in (await core.handle(cmd("facts", "zebra"))).title


async def test_status_shows_each_feeds_health(core: CommandCore, store: Store) -> None:
    store.sync_feeds([FeedSource("Wire", "https://w.example/rss")], 0.0)
    fid = store.feeds()[0]["id"]
    store.finish_poll(fid, "w", PollOutcome(False, 10.0, error="timeout after 20s"), 5.0)
    reply = await core.handle(cmd("status"))
    assert reply.lines[0].startswith("1 feeds, 1 failing")
    assert "Wire: failing" in reply.lines[1] and "timeout after 20s" in reply.lines[1]
