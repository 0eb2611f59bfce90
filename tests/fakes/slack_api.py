"""A loopback fake of the Slack Web API, and of command response URLs, that records calls.

`async with FakeSlackApi(token=...) as slack:` serves `slack.api_url` (point the adapter's
`api_url` at it) and `slack.response_url(name)` on 127.0.0.1. Like Slack, it checks the bearer
token, answers auth.test, chat.postMessage, conversations.history / .replies (metadata only
with include_all_metadata) and users.info, and keeps each channel's messages. Every call is
recorded in `calls`; every POST to a response URL lands in `responses`. With an `app_token`,
apps.connections.open hands out its own Socket Mode websocket: `push_over_socket` sends an
envelope there and returns the app's ack.

Failures are scripted per method, one call each (`after=n` lets n calls pass first):
`rate_limit_next` (HTTP 429 + Retry-After), `fail_next` (ok=false with an error, e.g.
channel_not_found), `server_error_next` (an HTML 502 from the edge), `stall_next` (post the
message, then answer only after a delay — a request that reached Slack, answer lost).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = "UBOT"


@dataclass
class Call:
    """One Web API request as the fake received it."""

    method: str
    fields: dict[str, Any]
    at: float  # time.monotonic() on arrival


@dataclass
class _Scripted:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    html: str = ""


class FakeSlackApi:
    """See the module docstring."""

    def __init__(
        self,
        *,
        token: str,
        app_token: str = "",
        users: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.users = users or {}
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.socket_acks: list[dict[str, Any]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._script: dict[str, list[_Scripted | None]] = {}
        self._arrived = asyncio.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._envelopes = 0
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._ts = 1_737_100_000

    async def __aenter__(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/socket", self._socket_mode)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._socket:
            await self._socket.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    # -- scripting and inspection ---------------------------------------------------------

    def rate_limit_next(self, method: str, retry_after: float, *, after: int = 0) -> None:
        body = {"ok": False, "error": "ratelimited"}
        self._add(method, _Scripted(429, body, {"Retry-After": str(retry_after)}), after)

    def fail_next(self, method: str, error: str, *, after: int = 0) -> None:
        self._add(method, _Scripted(200, {"ok": False, "error": error}), after)

    def server_error_next(self, method: str, *, after: int = 0) -> None:
        self._add(method, _Scripted(502, html="<html>502 Bad Gateway</html>"), after)

    def stall_next(self, method: str, seconds: float, *, after: int = 0) -> None:
        self._add(method, _Scripted(stall=seconds), after)

    def _add(self, method: str, scripted: _Scripted, after: int) -> None:
        """Script `method`'s call number `after + 1` from now (earlier ones answer normally)."""
        script = self._script.setdefault(method, [])
        script.extend([None] * (after - len(script)))
        script.append(scripted)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def next_response(self, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until `count` response-URL posts have arrived; return the last of them."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.responses) >= count)
        return self.responses[count - 1]

    async def push_over_socket(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a Socket Mode envelope (e.g. "slash_commands") and return the app's ack."""
        async with asyncio.timeout(10), self._arrived:
            await self._arrived.wait_for(lambda: self._socket is not None)
            self._envelopes += 1
            envelope_id = f"envelope-{self._envelopes}"
            envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload}
            await self._socket.send_json({**envelope, "accepts_response_payload": True})
            await self._arrived.wait_for(
                lambda: any(ack.get("envelope_id") == envelope_id for ack in self.socket_acks)
            )
        return next(ack for ack in self.socket_acks if ack["envelope_id"] == envelope_id)

    # -- the wire -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fields: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            fields.update(await request.json())
        elif request.can_read_body:
            fields.update(await request.post())
        self.calls.append(Call(method, fields, time.monotonic()))
        token = self.app_token if method == "apps.connections.open" else self.token
        if not token or request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        script = self._script.get(method)
        scripted = script.pop(0) if script else None
        if scripted and scripted.html:
            return web.Response(
                status=scripted.status, text=scripted.html, content_type="text/html"
            )
        if scripted and not scripted.stall:
            status, headers = scripted.status, scripted.headers
            return web.json_response(scripted.body, status=status, headers=headers)
        answer = self._answer(method, fields)
        if scripted:
            await asyncio.sleep(scripted.stall)
        return web.json_response(answer)

    def _answer(self, method: str, fields: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1"}
        if method == "chat.postMessage":
            return self._post_message(fields)
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self._port}/socket"}
        if method == "conversations.history":
            return self._history(fields)
        if method == "conversations.replies":
            return self._replies(fields)
        if method == "users.info":
            user = self.users.get(str(fields.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": fields["user"], **user}}
        return {"ok": False, "error": "unknown_method"}

    def _post_message(self, fields: dict[str, Any]) -> dict[str, Any]:
        self._ts += 1
        message = {
            "type": "message",
            "user": BOT_USER,
            "ts": f"{self._ts}.000100",
            "text": fields.get("text", ""),
            "blocks": fields.get("blocks", []),
            "metadata": fields.get("metadata"),
            "thread_ts": fields.get("thread_ts"),
            "reply_broadcast": bool(fields.get("reply_broadcast")),
        }
        self.messages.setdefault(str(fields["channel"]), []).append(message)
        return {"ok": True, "channel": fields["channel"], "ts": message["ts"], "message": message}

    def _history(self, fields: dict[str, Any]) -> dict[str, Any]:
        channel = self.messages.get(str(fields.get("channel")), [])
        roots = [m for m in channel if not m["thread_ts"] or m["reply_broadcast"]]
        newest_first = list(reversed(roots))[: int(fields.get("limit", 100))]
        return {"ok": True, "messages": self._shown(newest_first, fields), "has_more": False}

    def _replies(self, fields: dict[str, Any]) -> dict[str, Any]:
        channel = self.messages.get(str(fields.get("channel")), [])
        root = str(fields.get("ts"))
        thread = [m for m in channel if m["ts"] == root or m["thread_ts"] == root]
        return {"ok": True, "messages": self._shown(thread, fields), "has_more": False}

    @staticmethod
    def _shown(messages: list[dict[str, Any]], fields: dict[str, Any]) -> list[dict[str, Any]]:
        with_metadata = str(fields.get("include_all_metadata")).lower() in ("1", "true")
        if with_metadata:
            return messages
        return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.read()
        payload = json.loads(body) if body else {}
        async with self._arrived:
            self.responses.append({"name": request.match_info["name"], **payload})
            self._arrived.notify_all()
        return web.Response(text="ok")

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        async with self._arrived:
            self._socket = socket
            self._arrived.notify_all()
        async for frame in socket:
            async with self._arrived:
                self.socket_acks.append(json.loads(frame.data))
                self._arrived.notify_all()
        return socket
