"""`newsdelta bench`, section "alerts": a burst through the real Deliverer and chat adapters
into loopback chat APIs that enforce the platforms' rate limits.

`run(quick)` returns printable lines; `measure(alerts, channels)` returns the `AlertFigures`
behind them. The burst is `alerts` new-story alerts over `channels` topics, the same number
per topic in a seeded random order, recorded through `store.record_story` into a SQLite
outbox. Channel c on Slack and on Discord subscribes to topic c, so every alert is one Slack
and one Discord delivery. One production `Deliverer.run` per platform (the two at once)
drains it through `SlackPlatform` and `DiscordPlatform`, pointed at loopback `chat_fakes`:
- Slack Web API: one chat.postMessage per channel per second (with `SLACK_GRACE` for
  network jitter), else HTTP 429 with Retry-After, as Slack does;
- Discord REST + gateway: message posts and thread starts are each a bucket of 5 requests
  per 5 s per channel, announced in X-RateLimit-* headers; at most 50 requests/s overall;
  beyond either, 429 with retry_after (and Via, so discord.py treats it as Discord's own).
Figures per platform: 429s received, and the drain time — from starting the Deliverers to
the API accepting the last delivery (Discord: its thread start) — beside the minimum: the
larger of what the limits impose on this burst (computed) and the same burst drained with
no limits and no pacing (fakes unlimited and silent about limits, Slack adapter `pace=0`),
measured in the same run. The API-side counts (distinct deliveries, repeats) and the
outbox's statuses afterwards show that nothing was lost or sent twice.
"""

from __future__ import annotations

import asyncio
import math
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.delivery import Deliverer
from bot.messages import Command, Reply
from bot.platforms.discord_chat import DiscordPlatform
from bot.platforms.slack import SlackPlatform
from watchers.models import Judgement, Story, Verdict
from watchers.payload import alert_payload
from watchers.store import Store

from .chat_fakes import DISCORD_BUCKET, DISCORD_GLOBAL, DISCORD_WINDOW, DiscordApi, Drain, SlackApi
from .poll_bench import quiet

SEED = 20250117
QUIET = ("newsdelta", "bot", "discord", "slack_bolt", "slack_sdk")


@dataclass(frozen=True)
class AlertFigures:
    """Both platforms' drains of one burst, limited and not, and the outbox afterwards."""

    alerts: int
    channels: int
    slack: Drain
    discord: Drain
    slack_free: Drain  # the same burst with the limits off
    discord_free: Drain
    outbox: dict[str, int]  # delivery statuses in the store afterwards

    @property
    def per_channel(self) -> int:
        return self.alerts // self.channels

    @property
    def slack_minimum(self) -> float:
        """One message per second per channel."""
        return float(self.per_channel - 1)

    @property
    def discord_minimum(self) -> float:
        """Windows of 5 per channel (message and thread buckets alike), and 50/s overall."""
        windows = math.ceil(self.per_channel / DISCORD_BUCKET) - 1
        overall = math.ceil(2 * self.alerts / DISCORD_GLOBAL) - 1
        return max(windows * DISCORD_WINDOW, float(overall))


# -- the burst and its drain ----------------------------------------------------------------


def _record_burst(store: Store, alerts: int, channels: int, now: float) -> None:
    """Subscriptions for every channel, then `alerts` new-story alerts in seeded order."""
    for c in range(channels):
        store.subscribe("slack", _slack_channel(c), f"topic-{c}", "bench", now)
        store.subscribe("discord", _discord_channel(c), f"topic-{c}", "bench", now)
    order = [n % channels for n in range(alerts)]
    random.Random(SEED).shuffle(order)
    published = datetime.fromtimestamp(now, UTC)
    for n, c in enumerate(order):
        story = Story(
            key=f"bench:{n}",
            title=f"Bench headline {n}: ministers meet on corridor tariffs",
            text="Officials met on Tuesday. They agreed to meet again next month.",
            source="Bench Wire",
            link=f"https://bench.invalid/alerts/{n}",
            published=published,
        )
        judgement = Judgement(
            verdict=Verdict.NEW_STORY,
            topics=(f"topic-{c}",),
            why="bench burst",
            summary="Officials met on Tuesday and agreed to meet again next month.",
        )
        payload = alert_payload(story, judgement, f"topic-{c}")
        with store.db.transaction():
            store.record_story(
                story,
                judgement,
                feed_id=None,
                label=story.key,
                alerts=[(f"topic-{c}", payload)],
                now=now,
            )


def _slack_channel(c: int) -> str:
    return f"C0BENCH{c:02d}"


def _discord_channel(c: int) -> str:
    return str(1_400_000_000_000_000_000 + c)


async def _no_commands(command: Command) -> Reply:
    return Reply("The bench takes no commands.")


def _no_topics() -> list[str]:
    return []


async def _drain(
    alerts: int, channels: int, limited: bool, folder: Path
) -> tuple[Drain, Drain, dict[str, int]]:
    """Record the burst, drain it to both platforms at once; (slack, discord, outbox)."""
    store = Store.open(f"sqlite:///{folder / ('limited.db' if limited else 'free.db')}")
    try:
        _record_burst(store, alerts, channels, time.time())
        discord_channels = [_discord_channel(c) for c in range(channels)]
        async with (
            SlackApi(limited) as slack_api,
            DiscordApi(discord_channels, limited) as discord_api,
            SlackPlatform(
                bot_token="xoxb-bench",
                signing_secret="bench-secret",
                handle=_no_commands,
                topic_names=_no_topics,
                api_url=slack_api.api_url,
                host="127.0.0.1",
                port=0,
                pace=1.0 if limited else 0.0,
            ) as slack,
            DiscordPlatform(
                "bench-token",
                _no_commands,
                _no_topics,
                api_base=discord_api.api_base,
                gateway_url=discord_api.gateway_url,
            ) as discord,
        ):
            await discord.wait_until_ready()
            stop = asyncio.Event()
            started = time.monotonic()
            senders = [
                asyncio.create_task(Deliverer(store, {name: platform}, owner=name).run(stop))
                for name, platform in (("slack", slack), ("discord", discord))
            ]
            bound = 30 + 3 * alerts / channels * DISCORD_WINDOW / DISCORD_BUCKET
            try:
                async with asyncio.timeout(bound):
                    while len(slack_api.keys) < alerts or discord_api.threads < alerts:
                        await asyncio.sleep(0.02)
            finally:
                stop.set()
                await asyncio.gather(*senders)
            return slack_api.drain(started), discord_api.drain(started), store.delivery_counts()
    finally:
        store.close()


def measure(alerts: int, channels: int = 10) -> AlertFigures:
    """The burst drained with the limits off (reference), then with them on."""
    with quiet(QUIET), tempfile.TemporaryDirectory() as folder:
        slack_free, discord_free, _ = asyncio.run(_drain(alerts, channels, False, Path(folder)))
        slack, discord, outbox = asyncio.run(_drain(alerts, channels, True, Path(folder)))
    return AlertFigures(alerts, channels, slack, discord, slack_free, discord_free, outbox)


def _line(name: str, drain: Drain, free: Drain, limit_minimum: float, rule: str) -> list[str]:
    minimum = max(limit_minimum, free.seconds)
    ratio = drain.seconds / minimum
    met = "met" if drain.limited == 0 and ratio <= 1.1 else "MISSED"
    refused = f"{drain.limited} ({drain.limited_global} global)"
    return [
        f"  {name:8} 429s {refused:<14} drain {drain.seconds:6.2f} s   minimum {minimum:6.2f} s"
        f"   ratio {ratio:5.2f}   target 0 × 429, ≤ 1.1×  {met}",
        f"           minimum = max({limit_minimum:.2f} s from {rule}, {free.seconds:.2f} s "
        f"measured with no limits and no pacing); {drain.delivered} delivered, "
        f"{drain.repeats} twice",
    ]


def lines(f: AlertFigures) -> list[str]:
    sent = f.outbox.get("sent", 0)
    return [
        f"alerts: {f.alerts} alerts over {f.channels} channels ({f.per_channel} each, seeded "
        f"order) to Slack and to Discord at once; real Deliverer and adapters, loopback APIs",
        *_line("slack", f.slack, f.slack_free, f.slack_minimum, "1 msg/s/channel"),
        *_line("discord", f.discord, f.discord_free, f.discord_minimum, "5 per 5 s/channel, 50/s"),
        f"  outbox: {sent} of {2 * f.alerts} deliveries marked sent "
        f"({', '.join(f'{k} {v}' for k, v in sorted(f.outbox.items()))})",
    ]


def run(quick: bool) -> list[str]:
    """Quick: 50 alerts over 10 channels. Full: 500."""
    return lines(measure(50 if quick else 500))
