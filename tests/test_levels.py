"""Alert levels: `subscribe <topic> [all | stories | digest]` decides what reaches a channel.

`all` (the default, and what a subscription always did) gets every alert at once; `stories`
gets new stories at once and leaves new details to the digest; `digest` gets nothing at once.
The level lives on the subscription, and `record_story` creates deliveries by it, in the
transaction that records the story.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import Config
from tests.analysts import TOPIC, Clock, Newsroom
from tests.fakes.discord_fake import MEMBER, DiscordFake
from tests.fakes.slack_api import FakeSlackApi
from watchers.models import FactRecord, Judgement, Story, Verdict
from watchers.store import Store

LEVELS = {"C_ALL": "all", "C_STORIES": "stories", "C_DIGEST": "digest"}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token="xoxb-analyst-bot-token") as fake:
        yield fake


def record(store: Store, key: str, verdict: Verdict, now: float) -> list[int]:
    story = Story(key, "Duma ratifies", "x", "Wire", None, datetime(2025, 4, 8, tzinfo=UTC))
    judgement = Judgement(verdict, (TOPIC,), "w", facts=(FactRecord("A fact.", (1,), True),))
    with store.db.transaction():
        _, alert_ids = store.record_story(
            story, judgement, feed_id=None, label=key, alerts=[(TOPIC, {"headline": key})], now=now
        )
    return alert_ids


def delivered_to(store: Store, alert_id: int) -> list[str]:
    rows = store.db.query(
        "SELECT channel FROM deliveries WHERE alert_id = ? ORDER BY channel", (alert_id,)
    )
    return [r["channel"] for r in rows]


def test_each_level_gets_its_alerts_when_the_story_is_recorded(store: Store) -> None:
    for channel, level in LEVELS.items():
        store.subscribe("slack", channel, TOPIC, "U1", 1.0)
        store.set_level("slack", channel, TOPIC, level)

    [story_alert] = record(store, "new-story", Verdict.NEW_STORY, 2.0)
    [detail_alert] = record(store, "new-detail", Verdict.NEW_DETAIL, 3.0)

    assert delivered_to(store, story_alert) == ["C_ALL", "C_STORIES"]
    assert delivered_to(store, detail_alert) == ["C_ALL"]


async def test_slack_sets_changes_and_shows_a_level(
    store_url: str, config: Config, slack: FakeSlackApi
) -> None:
    async with Newsroom("serve", store_url, config, Clock("2025-06-01T20:00:00"), slack) as room:
        first = await room.slack_command(f"subscribe {TOPIC} stories")
        assert first["text"].splitlines() == [
            f"Subscribed this channel to {TOPIC} at level stories: new stories only; "
            "new details go to the digest.",
            "This channel has no digest yet: digest daily 08:00 Europe/Berlin "
            "(with your time zone) sets one.",
        ]
        again = await room.slack_command(f"subscribe {TOPIC} all")
        assert again["text"] == (
            f"This channel now gets {TOPIC} at level all: new stories and new details."
        )
        same = await room.slack_command(f"subscribe {TOPIC}")
        assert same["text"] == f"This channel is already subscribed to {TOPIC} (all)."
        wrong = await room.slack_command(f"subscribe {TOPIC} everything")
        assert wrong["text"].startswith("Unknown level 'everything'. Valid: all (every alert)")
        status = await room.slack_command("status")
        assert status["text"].splitlines()[-1] == f"This channel: {TOPIC} (all); digest: none"
        topics = await room.slack_command("topics")
        assert f"{TOPIC} — " in topics["text"] and "— subscribed —" in topics["text"]


async def test_discord_offers_the_level_as_an_option_and_checks_the_permission(
    store_url: str, config: Config, slack: FakeSlackApi
) -> None:
    async with (
        DiscordFake("analyst-discord-token") as discord,
        Newsroom("serve", store_url, config, Clock("2025-06-01T20:00:00"), slack, discord) as room,
    ):
        (group,) = discord.commands[discord.guild_id]
        [subscribe] = [o for o in group["options"] if o["name"] == "subscribe"]
        [level] = [o for o in subscribe["options"] if o["name"] == "level"]
        assert [c["value"] for c in level["choices"]] == ["all", "stories", "digest"]
        refused = await room.discord_command(
            "subscribe", {"topic": TOPIC, "level": "digest"}, permissions=MEMBER
        )
        assert "Manage Channels permission" in refused
        answer = await room.discord_command("subscribe", {"topic": TOPIC, "level": "digest"})
        assert answer.startswith(f"**Subscribed this channel to {TOPIC} at level digest")
        [sub] = room.store.subscriptions("discord")
        assert (sub["channel"], sub["topic"], sub["level"]) == (discord.channel_id, TOPIC, "digest")
