"""Topics made in chat: a second story starts mattering, and nobody edits config.toml.

`/newsdelta topic add <name> "<title>" <group> <group> … [--exclude …]` — each group is aliases
joined by `|`, every group must be named in the lead, like `[topics.groups]` in config.toml —
then `topic show`, `topic edit`, `topic remove`. The topic is validated by the code that reads
config.toml (the same one-line errors), stored in the database (every process sees it), and
matched by the watchers from their next poll on, exactly like a configured topic; its first
poll alerts only on recent items. Topics from config.toml cannot be changed from chat, and
managing topics needs the same permission as sources.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, topic_from_table
from bot.messages import Command
from bot.topic_commands import TopicBook, TopicCommands, topic_table
from tests.analysts import TOPIC, Clock, Newsroom, published_by
from tests.fakes.discord_fake import MEMBER, DiscordFake
from tests.fakes.feed_server import FeedServer
from tests.fakes.slack_api import FakeSlackApi
from watchers.models import FeedSource, Story
from watchers.store import Store
from watchers.topics import TopicMatcher

WIRE = "/wire.xml"
DRILL = (
    'topic add caspian-drill "Russia–Iran naval drills" "Russia*|Moscow" "Iran*|Tehran" '
    '"drill*|exercise*" --exclude "live fire"'
)
DAY_TWO = "Caspian naval drill by Russia and Iran enters second day"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token="xoxb-analyst-bot-token") as fake:
        yield fake


def headlines(slack: FakeSlackApi, channel: str) -> list[str]:
    return [
        call.fields["text"].splitlines()[0]
        for call in slack.calls_to("chat.postMessage")
        if call.fields["channel"] == channel
    ]


async def test_a_topic_made_in_one_process_alerts_from_the_next_poll_of_another(
    store_url: str, config, slack: FakeSlackApi
) -> None:
    clock = Clock("2025-06-04T08:00:00")
    async with (
        FeedServer() as feeds,
        Newsroom("watch", store_url, config, clock, slack) as watcher,
        Newsroom("serve", store_url, config, clock, slack) as server,
    ):
        feeds.set(WIRE, published_by("e2e_slack_wire", 0))  # nothing published yet
        watcher.store.sync_feeds([FeedSource("Caspian Wire", feeds.url(WIRE))], clock())
        await watcher.pipeline.poll_due()  # the feed is known and empty

        made = await server.slack_command(DRILL)
        assert made["text"].splitlines() == [
            "Made the topic caspian-drill — Russia–Iran naval drills.",
            "A story matches when its lead names (Russia* | Moscow) AND (Iran* | Tehran) AND "
            "(drill* | exercise*), and none of live fire.",
            "It is matched from the next poll on; its first poll alerts only on items from the "
            "last 24 h.",
            "subscribe caspian-drill sends its alerts to a channel.",
        ]
        subscribed = await server.slack_command("subscribe caspian-drill")
        assert subscribed["text"].startswith("Subscribed this channel to caspian-drill")

        # The wire now holds three drill stories: Monday's (two days old when the topic was
        # made: its backlog), Tuesday's second day, and Wednesday's live-fire one (excluded).
        clock.set("2025-06-04T08:30:00")
        feeds.set(WIRE, published_by("e2e_slack_wire", clock()))
        report = await watcher.pipeline.poll_due()
        assert sum(report.verdicts.values()) == 3
        await server.tick()
    assert headlines(slack, "C1") == [f"[new_detail] {DAY_TWO}"]


async def test_show_edit_remove_and_the_topics_list(
    store_url: str, config, slack: FakeSlackApi
) -> None:
    async with Newsroom("serve", store_url, config, Clock("2025-06-04T08:00:00"), slack) as room:
        await room.slack_command(DRILL)
        shown = await room.slack_command("topic show caspian-drill")
        assert shown["text"].splitlines() == [
            "caspian-drill — Russia–Iran naval drills (from chat; every group must match)",
            "russia: Russia* | Moscow",
            "iran: Iran* | Tehran",
            "drill: drill* | exercise*",
            "exclude (in the lead): live fire",
            "topic edit caspian-drill 'Russia–Iran naval drills' 'Russia*|Moscow' 'Iran*|Tehran' "
            "'drill*|exercise*' --exclude 'live fire'",
        ]
        edited = await room.slack_command(
            "topic edit caspian-drill “Caspian drills” Russia|Moscow Iran|Tehran Caspian"
        )
        assert edited["text"].startswith("Changed the topic caspian-drill — Caspian drills.")
        listed = await room.slack_command("topics")
        assert "caspian-drill — Caspian drills (made in chat) — not subscribed" in listed["text"]
        await room.slack_command("subscribe caspian-drill")
        removed = await room.slack_command("topic remove caspian-drill")
        assert removed["text"] == (
            "Removed the topic caspian-drill and every channel's subscription to it."
        )
        assert room.store.subscriptions("slack") == []
        gone = await room.slack_command("topic show caspian-drill")
        assert gone["text"] == f"No topic is named 'caspian-drill'. Topics: {TOPIC}"


async def test_topics_from_config_toml_are_shown_but_never_changed_from_chat(
    store_url: str, config, slack: FakeSlackApi
) -> None:
    async with Newsroom("serve", store_url, config, Clock("2025-06-04T08:00:00"), slack) as room:
        shown = await room.slack_command(f"topic show {TOPIC}")
        assert shown["text"].startswith(f"{TOPIC} — ") and "(from config.toml;" in shown["text"]
        for attempt in (f'topic edit {TOPIC} "x" Russia', f"topic remove {TOPIC}",
                        f'topic add {TOPIC} "x" Russia'):  # fmt: skip
            refused = await room.slack_command(attempt)
            assert refused["text"] == (
                f"{TOPIC} comes from config.toml: it belongs to the operator and can only be "
                "changed there. Give a topic made in chat another name."
            )


@pytest.mark.parametrize(
    ("words", "toml_groups"),
    [
        (["t", "T", "Russia||Moscow"], 'russia = ["Russia", "", "Moscow"]'),
        (["t", "T", "Russia", "--exclude", ""], 'russia = ["Russia"]\n'),
    ],
)
def test_a_bad_topic_gets_the_same_one_line_error_as_in_config_toml(
    tmp_path: Path, words: list[str], toml_groups: str
) -> None:
    exclude = 'exclude = [""]\n' if "--exclude" in words else ""
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[topics]]\nname = "t"\ntitle = "T"\n{exclude}[topics.groups]\n{toml_groups}\n'
    )
    with pytest.raises(ConfigError) as from_file:
        load_config(path, env={})
    with pytest.raises(ConfigError) as from_chat:
        topic_from_table(topic_table(words), "chat", "topic")
    assert str(from_file.value).split(": ", 2)[2] == str(from_chat.value).split(": ", 2)[2]
    assert str(from_chat.value).startswith("chat: topic.")


async def test_an_alias_the_matcher_cannot_use_is_refused_in_one_line(store: Store) -> None:
    topics = TopicCommands(TopicBook(store, []))
    words = 'add pact "Pact" Russia|Moscow "strategic partner*"'
    reply = await topics(Command("slack", "C1", "U1", "topic", words))
    assert reply.text == (
        "chat: topic.groups: stem 'strategic partner*' must be one word of 4+ letters"
    )
    assert store.chat_topics() == []


def test_a_chat_topic_matches_fuzzily_like_a_configured_one() -> None:
    topic = topic_from_table(
        topic_table(["visit", "Visit", "Pezeshkian|Tehran", "Kremlin|Moscow"]), "chat", "topic"
    )
    story = Story("k", "Pezshkian arrives at the Kremlin", "He met Putin.", "Wire")
    assert [m.topic for m in TopicMatcher([topic]).match(story)] == ["visit"]


async def test_managing_topics_on_discord_needs_manage_channels(
    store_url: str, config, slack: FakeSlackApi
) -> None:
    async with (
        DiscordFake("analyst-discord-token") as discord,
        Newsroom("serve", store_url, config, Clock("2025-06-04T08:00:00"), slack, discord) as room,
    ):
        spec = 'caspian-drill "Caspian drills" Russia|Moscow Iran|Tehran'
        refused = await room.discord_command(
            "topic", {"action": "add", "spec": spec}, permissions=MEMBER
        )
        assert "Manage Channels permission" in refused
        made = await room.discord_command("topic", {"action": "add", "spec": spec})
        assert made.startswith("**Made the topic caspian-drill — Caspian drills.**")
        shown = await room.discord_command(
            "topic", {"action": "show", "spec": "caspian-drill"}, permissions=MEMBER
        )
        assert "russia: Russia \\| Moscow" in shown  # markdown-escaped on Discord
        assert [c.topic.name for c in room.store.chat_topics()] == ["caspian-drill"]
        assert "caspian-drill" in room.core.topic_names()
        assert datetime.fromtimestamp(room.store.chat_topics()[0].created_at, UTC).hour == 8
