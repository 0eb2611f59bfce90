"""Delivery drains the outbox: once per alert and channel, in order, across failures."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest

from bot.delivery import Deliverer
from bot.messages import DeliveryError
from bot.platforms.console import ConsolePlatform
from tests.fakes.recording_platform import RecordingPlatform
from watchers.models import FactRecord, Judgement, KnownStory, Story, Verdict
from watchers.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _alert(store: Store, key: str, *, dup: KnownStory | None = None, headline: str = "H") -> int:
    story = Story(
        key=key,
        title=headline,
        text="t",
        source="Wire",
        link=f"https://w.example/{key}",
        published=datetime(2025, 2, 1, tzinfo=UTC),
    )
    verdict = Verdict.NEW_DETAIL if dup else Verdict.NEW_STORY
    judgement = Judgement(
        verdict=verdict,
        topics=("russia-iran",),
        why="w",
        duplicate_of=dup,
        facts=(FactRecord("f", (1,), True),),
        story_keys=(1,),
    )
    payload = {
        "headline": headline,
        "verdict": verdict.value,
        "link": story.link,
        "facts": [{"text": "A new fact.", "source": "Wire"}],
    }
    with store.db.transaction():
        sid, _ = store.record_story(
            story, judgement, feed_id=None, label=key, alerts=[("russia-iran", payload)], now=1.0
        )
    return sid


async def test_each_alert_reaches_each_subscribed_channel_once(store: Store) -> None:
    store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
    store.subscribe("chat", "C2", "russia-iran", "u", 0.0)
    _alert(store, "a")
    chat = RecordingPlatform()
    deliverer = Deliverer(store, {"chat": chat}, clock=Clock())
    assert await deliverer.drain() == 2
    assert await deliverer.drain() == 0
    assert sorted(s.channel for s in chat.sent) == ["C1", "C2"]


async def test_a_later_detail_of_the_same_story_replies_in_its_thread(store: Store) -> None:
    store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
    first = _alert(store, "root")
    root = store.stories([first])[0]
    _alert(store, "detail", dup=root)
    chat = RecordingPlatform()
    await Deliverer(store, {"chat": chat}, clock=Clock()).drain()
    assert [s.message.thread for s in chat.sent] == [None, "C1-m1"]


async def test_a_rate_limited_send_waits_retry_after_and_is_sent_once(store: Store) -> None:
    store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
    _alert(store, "a")
    _alert(store, "b", headline="second")
    chat = RecordingPlatform()
    chat.fail_next(DeliveryError("ratelimited", retry_after=30))
    clock = Clock()
    deliverer = Deliverer(store, {"chat": chat}, clock=clock)
    assert await deliverer.drain() == 0
    clock.now += 29
    assert await deliverer.drain() == 0
    clock.now += 2
    assert await deliverer.drain() == 2
    assert [s.message.headline for s in chat.sent] == ["H", "second"]


async def test_a_gone_channel_pauses_its_subscription_and_others_go_on(store: Store) -> None:
    store.subscribe("chat", "gone", "russia-iran", "u", 0.0)
    store.subscribe("chat", "C2", "russia-iran", "u", 0.0)
    _alert(store, "a")
    chat = RecordingPlatform()
    chat.fail_in("gone", DeliveryError("channel_not_found", permanent=True))
    await Deliverer(store, {"chat": chat}, clock=Clock()).drain()
    subs = {s["channel"]: s["paused_reason"] for s in store.subscriptions("chat")}
    assert subs["C2"] is None and "channel_not_found" in subs["gone"]
    assert [s.channel for s in chat.sent] == ["C2"]


@pytest.mark.parametrize("error", [TimeoutError("read timeout"), ConnectionResetError("reset")])
async def test_an_unexpected_failure_is_retried_not_dropped(store: Store, error) -> None:
    store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
    _alert(store, "a")
    chat = RecordingPlatform()
    chat.fail_next(error)
    clock = Clock()
    deliverer = Deliverer(store, {"chat": chat}, clock=clock)
    assert await deliverer.drain() == 0
    clock.now += 3600
    assert await deliverer.drain() == 1


async def test_a_reclaimed_delivery_is_looked_up_before_it_is_sent_again(store: Store) -> None:
    class Remembering(RecordingPlatform):
        async def find_sent(self, channel: str, key: str, *, thread: str | None) -> str | None:
            return self.remembered.get(key)

    store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
    _alert(store, "a")
    chat = Remembering()
    [claimed] = store.claim_deliveries(["chat"], "dead", 1000.0, 60, 10)
    await chat.send("C1", None, key=claimed.key)  # the dead sender got it out, then died
    store.release_claims()
    assert await Deliverer(store, {"chat": chat}, clock=Clock()).drain() == 1
    assert len(chat.sent) == 1


async def test_the_console_prints_an_alert_readably(store: Store) -> None:
    store.subscribe("console", "stdout", "*", "config", 0.0)
    _alert(store, "a", headline="Duma ratifies the treaty")
    out = io.StringIO()
    await Deliverer(store, {"console": ConsolePlatform(out)}, clock=Clock()).drain()
    text = out.getvalue()
    assert "[new_story] Duma ratifies the treaty" in text
    assert "• A new fact. — Wire" in text and "https://w.example/a" in text


async def test_running_delivery_keeps_each_channels_order_and_does_not_wait_on_others(
    store: Store,
) -> None:
    store.subscribe("chat", "slow", "russia-iran", "u", 0.0)
    store.subscribe("chat", "fast", "russia-iran", "u", 0.0)
    for n in range(3):
        _alert(store, f"a{n}", headline=f"H{n}")

    class SlowChannel(RecordingPlatform):
        async def send(self, channel, message, *, key):
            if channel == "slow":
                await asyncio.sleep(0.3)
            return await super().send(channel, message, key=key)

    chat = SlowChannel()
    stop = asyncio.Event()
    running = asyncio.create_task(Deliverer(store, {"chat": chat}).run(stop, every=0.05))
    while sum(s.channel == "fast" for s in chat.sent) < 3:
        await asyncio.sleep(0.01)
    assert sum(s.channel == "slow" for s in chat.sent) < 3  # fast did not wait for slow
    stop.set()
    await running
    for channel in ("slow", "fast"):
        assert [s.message.headline for s in chat.sent if s.channel == channel] == ["H0", "H1", "H2"]


async def test_a_sender_slower_than_its_lease_keeps_its_claims(store: Store) -> None:
    """Each send takes 3 s of a 5 s lease; another sender draining meanwhile posts nothing."""
    store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
    for key in "abc":
        _alert(store, key)
    clock, posted = Clock(), []
    other = Deliverer(
        store, {"chat": RecordingPlatform(sent=posted)}, owner="B", clock=clock, lease_s=5
    )

    class Slow(RecordingPlatform):
        async def send(self, channel: str, message: object, *, key: str) -> str | None:
            clock.now += 3
            await other.drain_once()
            return await super().send(channel, message, key=key)

    slow = Deliverer(store, {"chat": Slow(sent=posted)}, owner="A", clock=clock, lease_s=5)
    assert await slow.drain_once() == 3
    assert sorted(s.key.split("-")[1] for s in posted) == ["1", "2", "3"]
