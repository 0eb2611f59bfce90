"""Digests: a channel asks for one message per period instead of a stream.

`/newsdelta digest daily 08:00 Europe/Berlin` (or `weekly mon 08:00 …`, `off`) sets it. At the
hour, the period's new stories and new details of the channel's topics come as one message —
each one line, linked — with the conflicts found and the retellings kept out; an empty period
sends nothing. The store decides who sends each digest, so several `serve` processes, and a
process that was down at the hour and comes back, send it exactly once.

The news is tests/feeds/e2e_slack_wire.xml and e2e_slack_courier.xml, served as they stood at
each moment of a fake clock that runs from Sunday 1 June 2025 evening to Wednesday morning:
a new story (Mon 08:00 UTC), a retelling of it (Mon 11:40), a new detail (Tue 09:30).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Config
from bot.digest import parse_schedule, period_end
from tests.analysts import TOPIC, Clock, Newsroom, published_by
from tests.fakes.discord_fake import MEMBER, DiscordFake
from tests.fakes.feed_server import FeedServer
from tests.fakes.slack_api import FakeSlackApi
from watchers.models import FeedSource
from watchers.store import DigestSchedule

WIRE, COURIER = "/wire.xml", "/courier.xml"
STORY = "Russia and Iran hold first naval drill under their partnership treaty"
DETAIL = (
    "Eleven warships and 1,200 sailors from the two navies are taking part, "
    "the Iranian navy said on Tuesday."
)
HALF_HOUR = 1800.0


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token="xoxb-analyst-bot-token") as fake:
        yield fake


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


def publish(feeds: FeedServer, clock: Clock) -> None:
    """The two feeds as they stood at the clock's time."""
    feeds.set(WIRE, published_by("e2e_slack_wire", clock()))
    feeds.set(COURIER, published_by("e2e_slack_courier", clock()))


def watch_feeds(room: Newsroom, feeds: FeedServer) -> None:
    room.store.sync_feeds(
        [
            FeedSource("Caspian Wire", feeds.url(WIRE)),
            FeedSource("Daily Courier", feeds.url(COURIER)),
        ],
        room.clock(),
    )


def digests(slack: FakeSlackApi) -> list[dict[str, Any]]:
    return [
        call.fields
        for call in slack.calls_to("chat.postMessage")
        if call.fields["text"].startswith("[digest]")
    ]


def heading(post: dict[str, Any]) -> str:
    """A digest's first line: the period it closes, in the channel's time zone."""
    return post["text"].splitlines()[0].removeprefix("[digest] ")


# -- the schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("daily 08:00 Europe/Berlin", ("daily", "08:00", "Europe/Berlin", None)),
        ("weekly mon 7:30 America/New_York", ("weekly", "07:30", "America/New_York", 0)),
        ("daily 25:00 Europe/Berlin", "digest: expected a time such as 08:00, found '25:00'"),
        (
            "daily 08:00 Europe/Atlantis",
            "digest: expected a time zone such as Europe/Berlin, found 'Europe/Atlantis'",
        ),
        (
            "weekly someday 08:00 UTC",
            "digest: expected a weekday (mon, tue, wed, thu, fri, sat, sun), found 'som'",
        ),
    ],
)
def test_a_schedule_is_read_or_refused_in_one_line(args: str, expected: Any) -> None:
    found = parse_schedule(args, "slack", "C1", 0.0)
    if isinstance(expected, str):
        assert found == expected
    else:
        assert isinstance(found, DigestSchedule)
        assert (found.every, found.at_time, found.zone, found.weekday) == expected


def test_eight_in_berlin_stays_eight_across_the_clock_change() -> None:
    berlin = DigestSchedule("slack", "C1", "daily", "08:00", "Europe/Berlin")
    before = period_end(berlin, datetime(2025, 3, 29, 12, tzinfo=UTC).timestamp())
    after = period_end(berlin, datetime(2025, 3, 30, 12, tzinfo=UTC).timestamp())
    assert datetime.fromtimestamp(before, UTC).hour == 7  # CET, UTC+1
    assert datetime.fromtimestamp(after, UTC).hour == 6  # CEST, UTC+2
    weekly = DigestSchedule("slack", "C1", "weekly", "08:00", "Europe/Berlin", weekday=0)
    monday = period_end(weekly, datetime(2025, 6, 4, 12, tzinfo=UTC).timestamp())
    assert datetime.fromtimestamp(monday, UTC) == datetime(2025, 6, 2, 6, tzinfo=UTC)


# -- two days, two serve processes ---------------------------------------------------------


async def test_two_serve_processes_over_two_days_send_one_digest_per_channel_per_day(
    store_url: str, config: Config, slack: FakeSlackApi, feeds: FeedServer
) -> None:
    clock = Clock("2025-06-01T20:00:00")
    publish(feeds, clock)
    async with (
        Newsroom("serve-1", store_url, config, clock, slack) as one,
        Newsroom("serve-2", store_url, config, clock, slack) as two,
    ):
        watch_feeds(one, feeds)
        # C1 reads the digest alone, each morning in Berlin; C2 wants new stories at once and
        # the rest in its New York morning digest.
        await one.slack_command(f"subscribe {TOPIC} digest", channel="C1")
        reply = await two.slack_command("digest daily 08:00 Europe/Berlin", channel="C1")
        assert reply["text"].startswith("Digest set: daily 08:00 Europe/Berlin.")
        await two.slack_command(f"subscribe {TOPIC} stories", channel="C2")
        await one.slack_command("digest daily 08:00 America/New_York", channel="C2")
        status = await two.slack_command("status", channel="C2")
        assert (
            f"This channel: {TOPIC} (stories); digest: daily 08:00 America/New_York"
            in (status["text"])
        )

        while clock() < datetime(2025, 6, 4, 7, tzinfo=UTC).timestamp():
            clock.advance(HALF_HOUR)
            publish(feeds, clock)
            await one.pipeline.poll_due()  # one watcher; both serve processes tick together
            await asyncio.gather(one.tick(), two.tick())

    sent = [(post["channel"], heading(post)) for post in digests(slack)]
    assert sorted(sent) == [
        ("C1", "Daily digest, Tue 03 Jun 2025 08:00 CEST"),
        ("C1", "Daily digest, Wed 04 Jun 2025 08:00 CEST"),
        ("C2", "Daily digest, Mon 02 Jun 2025 08:00 EDT"),
        ("C2", "Daily digest, Tue 03 Jun 2025 08:00 EDT"),
    ]
    posts = {(post["channel"], heading(post)[14:17]): post for post in digests(slack)}
    tuesday_c1 = posts["C1", "Tue"]["text"]
    assert f"New story: {STORY}" in tuesday_c1
    assert "1 new story; 0 new details; 0 conflicts found" in tuesday_c1
    assert "1 retelling from 1 outlet suppressed" in tuesday_c1
    wednesday_c1 = posts["C1", "Wed"]["text"]
    assert f"New detail: {DETAIL}" in wednesday_c1 and "New story" not in wednesday_c1
    # The stories level: C2 had the new story at once, never the detail.
    at_once = [p for p in slack.calls_to("chat.postMessage") if p.fields["channel"] == "C2"]
    assert [p.fields["text"].splitlines()[0] for p in at_once] == [
        f"[new_story] {STORY}",
        "[digest] Daily digest, Mon 02 Jun 2025 08:00 EDT",
        "[digest] Daily digest, Tue 03 Jun 2025 08:00 EDT",
    ]


async def test_processes_down_at_the_digest_hour_send_it_once_when_back(
    store_url: str, config: Config, slack: FakeSlackApi, feeds: FeedServer
) -> None:
    clock = Clock("2025-06-01T20:00:00")
    publish(feeds, clock)
    async with Newsroom("serve-1", store_url, config, clock, slack) as one:
        watch_feeds(one, feeds)
        await one.slack_command(f"subscribe {TOPIC} digest", channel="C1")
        await one.slack_command("digest daily 08:00 Europe/Berlin", channel="C1")
        while clock() < datetime(2025, 6, 3, 5, 30, tzinfo=UTC).timestamp():
            clock.advance(HALF_HOUR)
            publish(feeds, clock)
            await one.pipeline.poll_due()
            await one.tick()
    assert digests(slack) == []  # Monday's period (Sun–Mon 08:00) was empty: no message

    clock.set("2025-06-03T06:40:00")  # everything was down at 06:00 UTC; two come back
    async with (
        Newsroom("serve-2", store_url, config, clock, slack) as two,
        Newsroom("serve-3", store_url, config, clock, slack) as three,
    ):
        for _ in range(3):
            await asyncio.gather(two.tick(), three.tick())
            clock.advance(HALF_HOUR)
    [digest] = digests(slack)
    assert digest["channel"] == "C1"
    assert heading(digest) == "Daily digest, Tue 03 Jun 2025 08:00 CEST"
    assert f"New story: {STORY}" in digest["text"]


async def test_digest_on_discord_is_set_by_a_manager_and_arrives_as_an_embed(
    store_url: str, config: Config, slack: FakeSlackApi, feeds: FeedServer
) -> None:
    clock = Clock("2025-06-01T20:00:00")
    publish(feeds, clock)
    async with (
        DiscordFake("analyst-discord-token") as discord,
        Newsroom("serve", store_url, config, clock, slack, discord) as room,
    ):
        watch_feeds(room, feeds)
        refused = await room.discord_command(
            "digest", {"schedule": "daily 08:00 Europe/Berlin"}, permissions=MEMBER
        )
        assert "Manage Channels permission" in refused
        assert "This channel has no digest." in await room.discord_command("digest")
        await room.discord_command("subscribe", {"topic": TOPIC, "level": "digest"})
        answer = await room.discord_command("digest", {"schedule": "daily 08:00 Europe/Berlin"})
        assert answer.startswith("**Digest set: daily 08:00 Europe/Berlin.**")
        while clock() < datetime(2025, 6, 3, 7, tzinfo=UTC).timestamp():
            clock.advance(HALF_HOUR)
            publish(feeds, clock)
            await room.pipeline.poll_due()
            await room.tick()
        [message] = discord.messages
        (embed,) = message.body["embeds"]
        assert embed["title"] == "Daily digest, Tue 03 Jun 2025 08:00 CEST"
        assert embed["fields"] == [{"name": "Verdict", "value": "Digest", "inline": True}]
        assert f"New story: {STORY}" in embed["description"]
        assert "1 retelling from 1 outlet suppressed" in embed["footer"]["text"]
        off = await room.discord_command("digest", {"schedule": "off"})
        assert off == "**Digest off.**"
