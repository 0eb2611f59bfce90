"""`newsdelta bench`, section "alerts": a burst through the real Deliverer and chat adapters
into loopback chat APIs that enforce the platforms' rate limits.

`run(quick)` returns printable lines; `measure(alerts, channels)` returns the `AlertFigures`
behind them. The burst is `alerts` new-story alerts over `channels` topics, the same number
per topic in a seeded random order, recorded through `store.record_story` into a SQLite
outbox. Channel c on Slack and on Discord subscribes to topic c, so every alert is one Slack
and one Discord delivery. One production `Deliverer.run` per platform (the two at once)
drains it through `SlackPlatform` and `DiscordPlatform`, pointed at loopback fakes:
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
import itertools
import json
import math
import random
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from watchers.models import Judgement, Story, Verdict
from watchers.payload import alert_payload
from watchers.store import Store

from ..delivery import Deliverer
from ..messages import Command, Reply
from ..platforms.discord_chat import DiscordPlatform
from ..platforms.slack import SlackPlatform
from .poll_bench import quiet

SEED = 20250117
SLACK_GRACE = 0.1  # seconds: a post this much early still counts as a second later
DISCORD_BUCKET, DISCORD_WINDOW, DISCORD_GLOBAL = 5, 5.0, 50
QUIET = ("newsdelta", "bot", "discord", "slack_bolt", "slack_sdk")
API = "/api/v10"


@dataclass(frozen=True)
class Drain:
    """One platform's drain of the burst."""

    seconds: float
    limited: int  # 429s answered
    limited_global: int  # of which for the global limit
    delivered: int  # distinct deliveries the API accepted
    repeats: int  # deliveries the API saw posted more than once


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


# -- Slack ------------------------------------------------------------------------------


class _SlackApi:
    """chat.postMessage with Slack's per-channel limit (when `limited`), counting."""

    def __init__(self, limited: bool) -> None:
        self.limited = limited
        self.last_post: dict[str, float] = {}
        self.keys: Counter[str] = Counter()
        self.refused = 0
        self.last_accepted = 0.0
        self._ts = itertools.count(1_737_100_000)
        self._runner: web.AppRunner | None = None
        self.api_url = ""

    async def __aenter__(self) -> _SlackApi:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.api_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] != "chat.postMessage":
            return web.json_response({"ok": False, "error": "unknown_method"})
        fields = await request.json()
        channel, now = str(fields["channel"]), time.monotonic()
        wait = self.last_post.get(channel, -math.inf) + 1.0 - SLACK_GRACE - now
        if self.limited and wait > 0:
            self.refused += 1
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers={"Retry-After": "1"})
        self.last_post[channel] = self.last_accepted = now
        self.keys[fields["metadata"]["event_payload"]["key"]] += 1
        return web.json_response({"ok": True, "channel": channel, "ts": f"{next(self._ts)}.0001"})

    def drain(self, started: float) -> Drain:
        repeats = sum(1 for n in self.keys.values() if n > 1)
        return Drain(self.last_accepted - started, self.refused, 0, len(self.keys), repeats)


# -- Discord ----------------------------------------------------------------------------


class _DiscordApi:
    """Enough of Discord for DiscordPlatform: login, command sync, gateway, messages and
    threads, with per-channel buckets and a global limit (when `limited`)."""

    def __init__(self, channels: list[str], limited: bool) -> None:
        self.channels = set(channels)
        self.limited = limited
        self.refused: Counter[str] = Counter()
        self.threads = 0
        self.last_thread = 0.0
        self.nonces: Counter[str] = Counter()
        self._ids = itertools.count(1_330_000_000_000_000_001)
        self.app_id = str(next(self._ids))
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._recent: deque[float] = deque()
        self._messages: dict[str, str] = {}  # message id → channel
        self._runner: web.AppRunner | None = None
        self.api_base = self.gateway_url = ""

    async def __aenter__(self) -> _DiscordApi:
        app = web.Application()
        app.router.add_get(f"{API}/users/@me", self._me)
        app.router.add_get(f"{API}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{API}/gateway/bot", self._gateway_bot)
        app.router.add_put(f"{API}/applications/{{app}}/commands", self._sync)
        app.router.add_post(f"{API}/channels/{{channel}}/messages", self._post)
        app.router.add_post(f"{API}/channels/{{channel}}/messages/{{msg}}/threads", self._thread)
        app.router.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.api_base = f"http://127.0.0.1:{port}{API}"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def drain(self, started: float) -> Drain:
        repeats = sum(1 for n in self.nonces.values() if n > 1)
        refused, overall = self.refused.total(), self.refused["global"]
        return Drain(self.last_thread - started, refused, overall, self.threads, repeats)

    def _admit(self, bucket: str, channel: str) -> dict[str, str] | web.Response:
        """Rate-limit headers for an admitted request, or the 429 that refuses it."""
        now = time.monotonic()
        start, used = self._windows.get((bucket, channel), (now, 0))
        if now >= start + DISCORD_WINDOW:
            start, used = now, 0
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if not self.limited:
            return {}
        if used >= DISCORD_BUCKET:
            return self._refuse(start + DISCORD_WINDOW - now, scope="user")
        if len(self._recent) >= DISCORD_GLOBAL:
            return self._refuse(self._recent[0] + 1.0 - now, scope="global")
        self._recent.append(now)
        self._windows[(bucket, channel)] = (start, used + 1)
        reset_after = math.ceil((start + DISCORD_WINDOW - now) * 1000) / 1000
        return {
            "X-RateLimit-Limit": str(DISCORD_BUCKET),
            "X-RateLimit-Remaining": str(DISCORD_BUCKET - used - 1),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _refuse(self, retry_after: float, *, scope: str) -> web.Response:
        self.refused[scope] += 1
        retry_after = math.ceil(retry_after * 1000) / 1000
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": scope,
        }
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        return _json({**body, "global": scope == "global"}, 429, headers)

    async def _me(self, request: web.Request) -> web.Response:
        return _json(_user(self.app_id))

    async def _application(self, request: web.Request) -> web.Response:
        app = {"id": self.app_id, "name": "newsdelta", "icon": None, "flags": 0}
        flags = {"bot_public": False, "bot_require_code_grant": False, "description": ""}
        return _json({**app, **flags, "owner": _user("1", bot=False), "verify_key": "0" * 64})

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _sync(self, request: web.Request) -> web.Response:
        ids = {"application_id": self.app_id, "guild_id": None}
        synced = [
            {**command, **ids, "id": str(next(self._ids)), "version": "1"}
            for command in await request.json()
        ]
        return _json(synced)

    async def _post(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        if channel not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        admitted = self._admit("messages", channel)
        if isinstance(admitted, web.Response):
            return admitted
        body = await request.json()
        self.nonces[str(body.get("nonce"))] += 1
        message_id = str(next(self._ids))
        self._messages[message_id] = channel
        author = _user(self.app_id)
        shown = {"content": body.get("content") or "", "embeds": body.get("embeds", [])}
        sent = {"nonce": body.get("nonce"), "flags": 0, "timestamp": "2025-01-18T09:00:00+00:00"}
        ids = {"id": message_id, "channel_id": channel, "type": 0, "author": author}
        return _json({**ids, **shown, **sent, "edited_timestamp": None}, headers=admitted)

    async def _thread(self, request: web.Request) -> web.Response:
        channel, message_id = request.match_info["channel"], request.match_info["msg"]
        if self._messages.get(message_id) != channel:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        admitted = self._admit("threads", channel)
        if isinstance(admitted, web.Response):
            return admitted
        body = await request.json()
        self.threads += 1
        self.last_thread = time.monotonic()
        ids = {"id": message_id, "guild_id": "2", "parent_id": channel, "type": 11}
        state = {"archived": False, "locked": False, "auto_archive_duration": 1440}
        metadata = {**state, "archive_timestamp": "2025-01-18T09:00:00+00:00"}
        thread = {**ids, "name": body["name"], "owner_id": self.app_id, "thread_metadata": metadata}
        return _json(thread, 201, admitted)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """HELLO, then READY (no guilds) on IDENTIFY; heartbeats acknowledged."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            op = json.loads(frame.data)["op"]
            if op == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                session = {"session_id": "bench", "resume_gateway_url": self.gateway_url}
                me = {"v": 10, "user": _user(self.app_id), "guilds": []}
                ready = {**me, **session, "application": {"id": self.app_id, "flags": 0}}
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": ready})
        return ws


def _user(user_id: str, *, bot: bool = True) -> dict[str, Any]:
    name = "newsdelta" if bot else "owner"
    return {"id": user_id, "username": name, "discriminator": "0", "avatar": None, "bot": bot}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body only when the content type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


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
            _SlackApi(limited) as slack_api,
            _DiscordApi(discord_channels, limited) as discord_api,
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
