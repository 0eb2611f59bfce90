"""A loopback Discord: the REST API and the gateway on 127.0.0.1, recording what a bot does.

Contract:
- `async with DiscordFake(token) as fake:` serves REST at `fake.api_base` (for
  `discord.http.Route.BASE`) and a websocket at `fake.gateway_url` (for
  `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`). Requests without `Bot <token>` get 401.
- REST: GET /users/@me, /oauth2/applications/@me, /gateway/bot; PUT of global and guild
  commands (kept in `commands`, keyed by guild id or None); POST /channels/{id}/messages
  (every attempt in `message_posts`, created messages in `messages`; a nonce with
  `enforce_nonce` returns the earlier message instead of posting twice, as Discord does; an
  unknown channel answers 404 Unknown Channel); POST /channels/{id}/messages/{mid}/threads
  (a thread takes its message's id and becomes a channel; `threads`); POST
  /interactions/{id}/{token}/callback and follow-up webhooks (in `exchanges`).
- Faults on message POSTs: `fail_messages(status, times, retry_after=, after_store=)` answers
  500 / 429 (with `retry_after`, as Discord's edge does) / 404 / 403; `after_store` creates the
  message before failing (a response lost after the write). `stall_messages()` never answers
  until the fake closes. `refuse_threads()` answers 403 Missing Permissions to thread starts.
- Gateway: HELLO with a short heartbeat interval, IDENTIFY → READY (one unavailable guild) then
  GUILD_CREATE (with one text channel), heartbeat ACKs, RESUME → RESUMED. `command()` and
  `autocomplete()` dispatch INTERACTION_CREATE for `/newsdelta <sub>` as synced (id, name,
  guild) with the member's permissions, and return the interaction's callback body.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_CHANNELS = 1 << 4
USE_APPLICATION_COMMANDS = 1 << 31
MEMBER = VIEW_CHANNEL | SEND_MESSAGES | USE_APPLICATION_COMMANDS
MODERATOR = MEMBER | MANAGE_CHANNELS
NOW = "2025-01-18T09:00:00.000000+00:00"
SESSION_LIMIT = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}


@dataclass
class Posted:
    """A message Discord created: where, its id, and the JSON body that created it."""

    channel_id: str
    id: str
    body: dict[str, Any]


@dataclass
class Fault:
    status: int
    retry_after: float | None = None
    after_store: bool = False
    stall: bool = False


@dataclass
class Exchange:
    """One dispatched interaction and what the bot answered to it."""

    id: str
    token: str
    callback: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)


ERRORS = {  # status: (Discord's message, its JSON error code)
    400: ("A thread has already been created for this message", 160004),
    401: ("401: Unauthorized", 0),
    403: ("Missing Access", 50001),
    404: ("Unknown Channel", 10003),
    500: ("500: Internal Server Error", 0),
}


def _error(status: int, message: str = "", code: int = 0) -> web.Response:
    default_message, default_code = ERRORS[status]
    return _json({"message": message or default_message, "code": code or default_code}, status)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body only when the content type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class DiscordFake:
    """See the module docstring."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._ids = itertools.count(1_330_000_000_000_000_001)
        self.application_id = self.bot_id = str(next(self._ids))
        self.guild_id = str(next(self._ids))
        self.channel_id = str(next(self._ids))
        self.member_id = str(next(self._ids))
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.message_posts: list[tuple[str, dict[str, Any]]] = []
        self.messages: list[Posted] = []
        self.threads: dict[str, dict[str, Any]] = {}
        self.exchanges: dict[str, Exchange] = {}
        self.identify: dict[str, Any] | None = None
        self.heartbeats = 0
        self._channels = {self.channel_id}
        self._by_nonce: dict[str, Posted] = {}
        self._faults: list[Fault] = []
        self._refuse_threads = False
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.api_base = self.gateway_url = ""

    async def __aenter__(self) -> DiscordFake:
        app = web.Application(middlewares=[self._auth])
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_bot)
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._sync)
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._sync)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._post_message)
        app.router.add_post(f"{api}/channels/{{channel}}/messages/{{msg}}/threads", self._thread)
        app.router.add_post(f"{api}/interactions/{{iid}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.api_base = f"http://127.0.0.1:{port}{api}"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # Test controls

    def fail_messages(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: float | None = None,
        after_store: bool = False,
    ) -> None:
        self._faults += [Fault(status, retry_after, after_store) for _ in range(times)]

    def stall_messages(self) -> None:
        self._faults.append(Fault(0, stall=True))

    def refuse_threads(self) -> None:
        self._refuse_threads = True

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `predicate()` holds after some request (a guard, not a speed check)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def command(
        self, sub: str, options: dict[str, str] | None = None, *, permissions: int = MODERATOR
    ) -> Exchange:
        """Invoke `/newsdelta <sub>` as a member; return once the bot has answered."""
        values = [{"type": 3, "name": k, "value": v} for k, v in (options or {}).items()]
        exchange = await self._interact(2, sub, values, permissions)
        await self.until(lambda: exchange.callback is not None)
        return exchange

    async def autocomplete(self, sub: str, option: str, typed: str) -> list[dict[str, str]]:
        """Type `typed` into `option` of `/newsdelta <sub>`; return the offered choices."""
        values = [{"type": 3, "name": option, "value": typed, "focused": True}]
        exchange = await self._interact(4, sub, values, MEMBER)
        await self.until(lambda: exchange.callback is not None)
        assert exchange.callback is not None
        return exchange.callback["data"]["choices"]

    # REST

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/gateway" or request.path.startswith(
            ("/api/v10/interactions/", "/api/v10/webhooks/")
        ):
            return await handler(request)
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401)
        return await handler(request)

    def _user(self, user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": user_id,
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
        }

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self._user(self.bot_id, "newsdelta", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        owner = self._user(self.member_id, "owner")
        app = {"id": self.application_id, "name": "newsdelta", "icon": None, "flags": 0}
        flags = {"bot_public": False, "bot_require_code_grant": False, "description": ""}
        return _json({**app, **flags, "owner": owner, "verify_key": "0" * 64})

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": SESSION_LIMIT})

    async def _sync(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        ids = {"application_id": self.application_id, "guild_id": guild}
        synced = [
            {**command, **ids, "id": str(next(self._ids)), "version": str(next(self._ids))}
            for command in await request.json()
        ]
        self.commands[guild] = synced
        return _json(synced)

    async def _post_message(self, request: web.Request) -> web.Response:
        channel, body = request.match_info["channel"], await request.json()
        async with self._changed:
            self.message_posts.append((channel, body))
            self._changed.notify_all()
        fault = self._faults.pop(0) if self._faults else None
        if fault and fault.stall:
            await self._closing.wait()
        if channel not in self._channels:
            return _error(404)
        if fault and fault.status == 429:
            wait = {"retry_after": fault.retry_after, "global": False}
            edge = {"Via": "1.1 google", "Retry-After": str(fault.retry_after)}
            return _json({"message": "You are being rate limited.", **wait}, 429, edge)
        if fault and not fault.after_store:
            return _error(fault.status)
        posted = await self._store(channel, body)
        return _error(fault.status) if fault else _json(self._message(posted))

    async def _store(self, channel: str, body: dict[str, Any]) -> Posted:
        nonce = body.get("nonce")
        if body.get("enforce_nonce") and nonce in self._by_nonce:
            return self._by_nonce[nonce]
        posted = Posted(channel, str(next(self._ids)), body)
        async with self._changed:
            self.messages.append(posted)
            if nonce is not None:
                self._by_nonce[nonce] = posted
            self._changed.notify_all()
        return posted

    def _message(self, posted: Posted, **extra: Any) -> dict[str, Any]:
        body = posted.body
        author = self._user(self.bot_id, "newsdelta", bot=True)
        shown = {"content": body.get("content") or "", "embeds": body.get("embeds", [])}
        sent = {"nonce": body.get("nonce"), "flags": body.get("flags", 0), "timestamp": NOW}
        ids = {"id": posted.id, "channel_id": posted.channel_id, "type": 0, "author": author}
        return {**ids, **shown, **sent, "edited_timestamp": None, **extra}

    async def _thread(self, request: web.Request) -> web.Response:
        channel, message_id = request.match_info["channel"], request.match_info["msg"]
        if self._refuse_threads:
            return _error(403, "Missing Permissions", 50013)
        if message_id in self.threads:
            return _error(400)
        if not any(m.id == message_id and m.channel_id == channel for m in self.messages):
            return _error(404, "Unknown Message", 10008)
        body = await request.json()
        state = {"archived": False, "locked": False, "archive_timestamp": NOW}
        metadata = {**state, "auto_archive_duration": body["auto_archive_duration"]}
        ids = {"id": message_id, "guild_id": self.guild_id, "parent_id": channel, "type": 11}
        counts = {"owner_id": self.bot_id, "member_count": 1, "message_count": 0}
        thread = {**ids, **counts, "name": body["name"], "thread_metadata": metadata}
        self.threads[message_id] = thread
        self._channels.add(message_id)
        return _json(thread, 201)

    async def _callback(self, request: web.Request) -> web.Response:
        exchange, body = self.exchanges[request.match_info["iid"]], await request.json()
        async with self._changed:
            exchange.callback = body
            self._changed.notify_all()
        data = body.get("data") or {}
        loading = {"response_message_loading": body["type"] == 5}
        ephemeral = {"response_message_ephemeral": bool(data.get("flags", 0) & 64)}
        interaction = {"id": exchange.id, "type": 2, **loading, **ephemeral}
        if body["type"] not in (4, 5):
            return _json({"interaction": interaction})
        posted = Posted(self.channel_id, str(next(self._ids)), data)
        interaction["response_message_id"] = posted.id
        message = self._message(posted, webhook_id=self.application_id)
        return _json(
            {"interaction": interaction, "resource": {"type": body["type"], "message": message}}
        )

    async def _followup(self, request: web.Request) -> web.Response:
        token, body = request.match_info["token"], await request.json()
        exchange = next(e for e in self.exchanges.values() if e.token == token)
        async with self._changed:
            exchange.followups.append(body)
            self._changed.notify_all()
        posted = Posted(self.channel_id, str(next(self._ids)), body)
        return _json(self._message(posted, webhook_id=self.application_id))

    # Gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 500}, "s": None, "t": None})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            if payload["op"] == 1:
                self.heartbeats += 1
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                self.identify = payload["d"]
                await self._dispatch("READY", self._ready())
                await self._dispatch("GUILD_CREATE", self._guild())
            elif payload["op"] == 6:
                await self._dispatch("RESUMED", {})
        self._ws = None
        return ws

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self._ws is not None, "no bot is connected to the gateway"
        self._seq += 1
        await self._ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    def _ready(self) -> dict[str, Any]:
        session = {"session_id": "fake-session", "resume_gateway_url": self.gateway_url}
        me = {"user": self._user(self.bot_id, "newsdelta", bot=True), "v": 10}
        app = {"application": {"id": self.application_id, "flags": 0}}
        return {**me, **session, **app, "guilds": [{"id": self.guild_id, "unavailable": True}]}

    def _text_channel(self) -> dict[str, Any]:
        ids = {"id": self.channel_id, "guild_id": self.guild_id, "type": 0}
        return {**ids, "name": "world-news", "position": 0, "permission_overwrites": []}

    def _guild(self) -> dict[str, Any]:
        everyone = {"id": self.guild_id, "name": "@everyone", "permissions": str(MEMBER)}
        ids = {"id": self.guild_id, "name": "Newsroom", "owner_id": self.member_id}
        contents = {"roles": [everyone], "channels": [self._text_channel()], "member_count": 2}
        return {**ids, **contents, "features": [], "preferred_locale": "en-US"}

    async def _interact(
        self, kind: int, sub: str, values: list[dict[str, Any]], permissions: int
    ) -> Exchange:
        synced = [c for cs in self.commands.values() for c in cs if c["name"] == "newsdelta"]
        assert synced, "/newsdelta was never synced"
        exchange = Exchange(id=str(next(self._ids)), token=f"tok{next(self._ids)}")
        self.exchanges[exchange.id] = exchange
        command = {"id": synced[0]["id"], "name": "newsdelta", "type": 1}
        data = {**command, "options": [{"type": 1, "name": sub, "options": values}]}
        if synced[0]["guild_id"]:
            data["guild_id"] = synced[0]["guild_id"]
        user = self._user(self.member_id, "reader")
        member = {"user": user, "roles": [], "joined_at": NOW, "flags": 0}
        who = {"member": {**member, "permissions": str(permissions)}, "locale": "en-GB"}
        guild = {"id": self.guild_id, "locale": "en-US", "features": []}
        where = {"guild_id": self.guild_id, "guild": guild, "channel": self._text_channel()}
        app = {"application_id": self.application_id, "app_permissions": str(MODERATOR)}
        context = {"context": 0, "authorizing_integration_owners": {"0": self.guild_id}}
        interaction = {"id": exchange.id, "token": exchange.token, "type": kind, "version": 1}
        await self._dispatch(
            "INTERACTION_CREATE",
            {
                **interaction,
                "data": data,
                **who,
                **where,
                "channel_id": self.channel_id,
                **app,
                **context,
                "attachment_size_limit": 10_485_760,
            },
        )
        return exchange
