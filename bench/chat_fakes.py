"""Loopback fakes of the Slack Web API and of Discord (REST + gateway), for the alerts bench.

What it holds: `SlackApi` and `DiscordApi`, aiohttp servers on 127.0.0.1 (an ephemeral port)
that speak just enough of each platform for `SlackPlatform` and `DiscordPlatform`, count what
they accept, and — when built with `limited=True` — enforce the platforms' rate limits:
- `SlackApi`: chat.postMessage, one per channel per second (`SLACK_GRACE` early still counts
  as a second later), else HTTP 429 with Retry-After, as Slack does;
- `DiscordApi`: login, command sync, a gateway that answers IDENTIFY with READY, message posts
  and thread starts; posts and thread starts are each a bucket of `DISCORD_BUCKET` requests
  per `DISCORD_WINDOW` s per channel, announced in X-RateLimit-* headers, and at most
  `DISCORD_GLOBAL` requests/s overall; beyond either, 429 with retry_after (and Via, so
  discord.py treats it as Discord's own).
With `limited=False` they accept everything and say nothing about limits.

How it is used: `async with SlackApi(limited) as api:` (then point the adapter at
`api.api_url`) or `async with DiscordApi(channel_ids, limited) as api:` (`api.api_base`,
`api.gateway_url`); the server runs for the duration of the block, in the caller's event
loop. Afterwards `api.drain(started)` gives the `Drain` figures, with `started` a
`time.monotonic()` reading. Nothing runs or connects at import.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

SLACK_GRACE = 0.1  # seconds: a post this much early still counts as a second later
DISCORD_BUCKET, DISCORD_WINDOW, DISCORD_GLOBAL = 5, 5.0, 50
API = "/api/v10"


@dataclass(frozen=True)
class Drain:
    """One platform's drain of the burst."""

    seconds: float
    limited: int  # 429s answered
    limited_global: int  # of which for the global limit
    delivered: int  # distinct deliveries the API accepted
    repeats: int  # deliveries the API saw posted more than once


# -- Slack ------------------------------------------------------------------------------


class SlackApi:
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

    async def __aenter__(self) -> SlackApi:
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


class DiscordApi:
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

    async def __aenter__(self) -> DiscordApi:
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
