"""A channel receives its alerts in the order they were raised, whatever fails on the way.

A channel is a lane. A delivery waiting out its backoff holds back the deliveries raised
after it in its channel (not those of other channels); a sender holding part of a lane keeps
the rest of it from other senders. So after a chat outage, a story is posted before the new
detail raised during the outage, and the detail goes into the story's thread — on Slack,
through the fake Web API answering 502 while the outage lasts.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.delivery import Deliverer
from bot.messages import Reply
from bot.platforms.slack import SlackPlatform
from tests.fakes.slack_api import FakeSlackApi
from tests.test_delivery import _alert
from watchers.store import Store

TOKEN = "xoxb-order-bot-token"


def lanes(claimed: list[Any]) -> list[tuple[str, int]]:
    return [(d.channel, d.alert_id) for d in claimed]


def test_a_message_waiting_out_its_backoff_holds_back_its_channel_only(store: Store) -> None:
    for channel in ("C1", "C2"):
        store.subscribe("chat", channel, "russia-iran", "u", 0.0)
    _alert(store, "a")
    first = store.claim_deliveries(["chat"], "s1", now=10.0, lease_s=60, limit=10)
    for delivery in first:
        if delivery.channel == "C1":
            store.retry_later(delivery, "503", at=100.0, maybe_sent=True)
        else:
            store.mark_sent(delivery, "ts", 10.0)
    _alert(store, "b")  # raised during C1's outage
    [c2_b] = store.claim_deliveries(["chat"], "s1", now=11.0, lease_s=60, limit=10)
    assert c2_b.channel == "C2", "C2 is not held back by C1's outage"
    store.mark_sent(c2_b, "ts2", 11.0)
    assert store.claim_deliveries(["chat"], "s1", now=50.0, lease_s=60, limit=10) == []
    due = store.claim_deliveries(["chat"], "s1", now=100.0, lease_s=60, limit=10)
    assert [d.channel for d in due] == ["C1", "C1"]
    assert [d.alert_id for d in due] == sorted(d.alert_id for d in due), "oldest first"


def test_a_lane_part_held_by_one_sender_is_not_split_with_another(store: Store) -> None:
    store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
    for key in ("a", "b", "c"):
        _alert(store, key)
    [head] = store.claim_deliveries(["chat"], "s1", now=10.0, lease_s=60, limit=1)
    assert store.claim_deliveries(["chat"], "s2", now=11.0, lease_s=60, limit=10) == []
    store.mark_sent(head, "ts", 12.0)
    rest = store.claim_deliveries(["chat"], "s2", now=13.0, lease_s=60, limit=10)
    assert [d.alert_id for d in rest] == sorted(d.alert_id for d in rest) and len(rest) == 2


async def no_command(_: Any) -> Reply:
    return Reply("unused")


async def test_story_and_detail_raised_during_a_slack_outage_arrive_story_first_in_thread(
    store: Store,
) -> None:
    store.subscribe("slack", "C1", "russia-iran", "u", 0.0)
    async with FakeSlackApi(token=TOKEN) as slack:
        for _ in range(2):  # the outage: the story's first two posts meet a 502
            slack.server_error_next("chat.postMessage")
        platform = SlackPlatform(
            bot_token=TOKEN,
            signing_secret="order-secret",
            handle=no_command,
            topic_names=lambda: ["russia-iran"],
            api_url=slack.api_url,
            port=0,
            host="127.0.0.1",
            pace=0.0,
        )
        async with platform:
            stop = asyncio.Event()
            sending = asyncio.create_task(
                Deliverer(store, {"slack": platform}).run(stop, every=0.1)
            )
            story = _alert(store, "story", headline="Duma ratifies the treaty")
            async with asyncio.timeout(30):  # the first attempt has failed
                while not slack.calls_to("chat.postMessage"):
                    await asyncio.sleep(0.05)
            _alert(store, "detail", dup=store.stories([story])[0], headline="Vote was 391-0")
            async with asyncio.timeout(60):
                while len(slack.messages.get("C1", [])) < 2:
                    await asyncio.sleep(0.1)
            stop.set()
            await sending
    posted = slack.messages["C1"]
    assert ["Duma ratifies" in p["text"] for p in posted] == [True, False]
    assert posted[0]["thread_ts"] is None
    assert posted[1]["thread_ts"] == posted[0]["ts"], "the detail replies in the story's thread"
    attempts = [c.fields.get("text", "") for c in slack.calls_to("chat.postMessage")]
    kinds = ["story" if "Duma ratifies" in text else "detail" for text in attempts]
    assert kinds == ["story", "story", "story", "detail"], "no attempt at the detail before"
    assert store.delivery_counts() == {"sent": 2}
