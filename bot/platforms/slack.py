"""Slack adapter: slack-bolt's AsyncApp behind the Platform protocol.

Outbound, `send` posts a neutral `Message` as Block Kit (see `slack_blocks`), at most one
message per `pace` seconds per channel, absorbing short 429s (Retry-After) and mapping every
other failure to `DeliveryError`: permanent when the channel is gone or the bot was removed,
`maybe_sent` when the request may have been posted (timeout, dropped connection, 5xx). Each
post carries the delivery key as message metadata, and `find_sent` looks it up again so a
retried delivery is not posted twice.

Inbound, `/newsdelta <sub> <args>` is acknowledged at once, turned into a `Command` (with
`may_manage` from the `who_may_manage` policy) and handed to `handle`; the `Reply` goes back
ephemeral through the command's response_url. Requests arrive over HTTP (`/slack/events` on
`host`:`port`; signatures checked without ever logging a rejected body) or over Socket Mode when an
app token is given. `async with SlackPlatform(...)` starts it in the running loop and closes
it. Secrets are constructor arguments and are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Command, DeliveryError, Message, Reply
from bot.platforms.slack_blocks import Payload, render_message, render_reply, topic_picker

log = logging.getLogger(__name__)

SLASH_COMMAND = "/newsdelta"
EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
METADATA_EVENT = "newsdelta_delivery"
PICK_ACTION = "newsdelta_pick_"
TOPIC_COMMANDS = ("subscribe", "unsubscribe")
PERMANENT_ERRORS = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "access_denied"}
)

Handle = Callable[[Command], Awaitable[Reply]]


class _TokenSkippedIsExpected(logging.Filter):
    """bolt warns that its `token` goes unused when given a `client` while SLACK_BOT_TOKEN is
    in the environment — which is every normal start here: the client carries the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _quiet_bolt_token_warning() -> None:
    bolt = logging.getLogger(f"slack_bolt.{AsyncApp.__name__}")
    if not any(isinstance(f, _TokenSkippedIsExpected) for f in bolt.filters):
        bolt.addFilter(_TokenSkippedIsExpected())


class _VerifySignature(AsyncMiddleware):
    """Slack's request signature check (HMAC and 5-minute window), logging no request data."""

    def __init__(self, signing_secret: str) -> None:
        self._verifier = SignatureVerifier(signing_secret)

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if req.mode == "socket_mode":
            return await next()
        timestamp = req.headers.get("x-slack-request-timestamp", ["0"])[0]
        signature = req.headers.get("x-slack-signature", [""])[0]
        if self._verifier.is_valid(req.raw_body, timestamp, signature):
            return await next()
        log.warning("slack: rejected a request with a bad or expired signature")
        return BoltResponse(status=401, body={"error": "invalid request"})


class SlackPlatform:
    """One Slack workspace: delivery target and command source. See the module docstring."""

    name = "slack"

    def __init__(
        self,
        *,
        bot_token: str,
        signing_secret: str,
        handle: Handle,
        topic_names: Callable[[], list[str]],
        app_token: str | None = None,
        api_url: str | None = None,
        who_may_manage: str | tuple[str, ...] = "anyone",
        broadcast_replies: bool = False,
        port: int = 3000,
        host: str = "0.0.0.0",
        pace: float = 1.0,
        max_attempts: int = 3,
        max_retry_wait: float = 30.0,
        request_timeout: float = 10.0,
        history_limit: int = 200,
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        if isinstance(who_may_manage, str) and who_may_manage not in ("anyone", "admins"):
            raise ValueError('who_may_manage: "anyone", "admins" or a tuple of user IDs')
        self._bot_token = bot_token
        self._signing_secret = signing_secret
        self._app_token = app_token
        api_url = api_url or DEFAULT_API_URL  # SLACK_API_URL, when the root sets one
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._handle = handle
        self._topic_names = topic_names
        self._who = who_may_manage
        self._broadcast = broadcast_replies
        self._port, self._host = port, host
        self._pace, self._max_attempts = pace, max_attempts
        self._max_retry_wait, self._timeout = max_retry_wait, request_timeout
        self._history_limit = history_limit
        self._routes = list(routes)  # more pages served beside EVENTS_PATH (bot.web)
        self._next_post_at: dict[str, float] = {}
        self._channel_locks: dict[str, asyncio.Lock] = {}
        self._unfinished: dict[str, tuple[str | None, int]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._bound_port: int | None = None

    # -- lifetime -------------------------------------------------------------------------

    async def __aenter__(self) -> SlackPlatform:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def port(self) -> int | None:
        """The HTTP port actually bound (useful with port=0), or None in Socket Mode."""
        return self._bound_port

    async def start(self) -> None:
        """Create the Web API client and the bolt app; serve HTTP or connect Socket Mode."""
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)
        self._client = AsyncWebClient(
            token=self._bot_token,
            base_url=self._api_url,
            session=self._session,
            timeout=int(self._timeout),
            retry_handlers=[],
        )
        _quiet_bolt_token_warning()
        app = AsyncApp(
            client=self._client,
            signing_secret=self._signing_secret,
            process_before_response=False,  # answer Slack once ack() is called
            request_verification_enabled=False,
            before_authorize=_VerifySignature(self._signing_secret),
        )
        app.command(SLASH_COMMAND)(self._on_command)
        app.action(re.compile(f"^{PICK_ACTION}"))(self._on_pick)
        if self._app_token:
            await self._connect_socket_mode(app, self._app_token)
            return
        http = app.web_app(path=EVENTS_PATH, port=self._port)
        http.router.add_routes(self._routes)
        self._runner = web.AppRunner(http)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        self._bound_port = self._runner.addresses[0][1]
        log.info("slack: serving %s on %s:%d", EVENTS_PATH, self._host, self._bound_port)

    async def _connect_socket_mode(self, app: AsyncApp, app_token: str) -> None:
        """Open the websocket; a rejected app token fails here instead of retrying forever."""
        try:
            opened = await self._api().apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            raise RuntimeError(f"slack: Socket Mode refused: {_api_error(exc).reason}") from exc
        self._socket = AsyncSocketModeHandler(app, app_token)
        self._socket.client.wss_uri = opened["url"]
        await self._socket.connect_async()
        log.info("slack: connected in Socket Mode")

    async def close(self) -> None:
        """Stop serving or disconnect, then close the HTTP session."""
        if self._socket:
            await self._socket.close_async()
            self._socket = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
        if self._session:
            await self._session.close()
            self._session = None

    # -- inbound: /newsdelta and topic buttons --------------------------------------------

    async def may_manage(self, user: str) -> bool:
        """The `who_may_manage` policy: anyone, workspace admins/owners, or listed users."""
        if self._who == "anyone":
            return True
        if self._who != "admins":
            return user in self._who
        try:
            info = await self._api().users_info(user=user)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack: users.info failed (%s); treating %s as not an admin", exc, user)
            return False
        profile = info.get("user") or {}
        return bool(profile.get("is_admin") or profile.get("is_owner"))

    async def _on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        name, _, args = str(command.get("text", "")).strip().partition(" ")
        name, args = name.lower() or "help", args.strip()
        if name in TOPIC_COMMANDS and not args:
            await respond(**topic_picker(name, self._topic_names(), PICK_ACTION))
            return
        reply = await self._run(name, args, command["channel_id"], command["user_id"])
        await respond(**render_reply(reply))

    async def _on_pick(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        name, _, args = body["actions"][0]["value"].partition(" ")
        channel = (body.get("channel") or {}).get("id", "")
        reply = await self._run(name, args, channel, body["user"]["id"])
        await respond(**render_reply(reply), replace_original=True)

    async def _run(self, name: str, args: str, channel: str, user: str) -> Reply:
        try:
            allowed = await self.may_manage(user)
            return await self._handle(Command(self.name, channel, user, name, args, allowed))
        except Exception:
            log.exception("slack: /newsdelta %s failed", name)
            return Reply("Sorry, that did not work. Please try again later.")

    # -- outbound: delivery ---------------------------------------------------------------

    async def send(self, channel: str, message: Message, *, key: str) -> str | None:
        """Post `message`; return the thread root (`message.thread` or the new message's ts).

        A message longer than Slack allows continues in its own thread. If a continuation
        fails, a retry with the same key resumes after the last part posted.
        """
        payloads = render_message(message)
        root, start = self._unfinished.pop(key, (message.thread, 0))
        for part in range(start, len(payloads)):
            try:
                ts = await self._post(channel, payloads[part], key=key, part=part, thread=root)
            except DeliveryError:
                if part:
                    self._unfinished[key] = (root, part)
                raise
            root = root or ts
        return root

    async def find_sent(self, channel: str, key: str, *, thread: str | None = None) -> str | None:
        """The ref `send` returned for `key` if Slack shows it was posted, else None.

        Looks through the channel's recent history, or the replies of `thread` when the
        message went into a thread. None while a long message is only partly posted here,
        so that the retry resumes it.
        """
        if key in self._unfinished:
            return None
        client = self._api()
        if thread:  # a reply, or a root posted before its story's thread was known
            where = [
                (client.conversations_replies, {"ts": thread}),
                (client.conversations_history, {}),
            ]
        else:
            where = [(client.conversations_history, {})]
        for method, extra in where:
            found = await self._call(
                method,
                None,
                channel=channel,
                limit=self._history_limit,
                include_all_metadata=True,
                **extra,
            )
            for posted in found.get("messages") or []:
                metadata = posted.get("metadata") or {}
                if metadata.get("event_type") == METADATA_EVENT and (
                    (metadata.get("event_payload") or {}).get("key") == key
                ):
                    return thread or posted["ts"]
        return None

    async def _post(
        self, channel: str, payload: Payload, *, key: str, part: int, thread: str | None
    ) -> str:
        event_payload: dict[str, Any] = {"key": key}
        if part:
            event_payload["part"] = part
        fields: dict[str, Any] = {
            "channel": channel,
            "text": payload["text"],
            "blocks": payload["blocks"],
            "metadata": {"event_type": METADATA_EVENT, "event_payload": event_payload},
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread:
            fields["thread_ts"] = thread
            if self._broadcast and part == 0:
                fields["reply_broadcast"] = True
        posted = await self._call(self._api().chat_postMessage, channel, **fields)
        return str(posted["ts"])

    async def _call(
        self, method: Callable[..., Awaitable[Any]], pace: str | None, **fields: Any
    ) -> Any:
        """One Web API call, paced per channel when `pace` names one; 429s waited out."""
        attempt = 0
        while True:
            attempt += 1
            if pace:
                await self._wait_turn(pace)
            try:
                answer = await method(**fields)
                if pace:  # the pace counts from Slack's answer, not from our turn
                    self._next_post_at[pace] = asyncio.get_running_loop().time() + self._pace
                return answer
            except SlackApiError as exc:
                if _status(exc) != 429:
                    raise _api_error(exc) from exc
                wait = _retry_after(exc)
                if attempt >= self._max_attempts or wait > self._max_retry_wait:
                    raise DeliveryError("slack: rate limited", retry_after=wait) from exc
                log.info("slack: rate limited, retrying in %.0f s", wait)
                if pace:
                    self._next_post_at[pace] = asyncio.get_running_loop().time() + wait
                else:
                    await asyncio.sleep(wait)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                raise DeliveryError(f"slack: cannot connect ({exc})") from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = f"slack: no answer ({type(exc).__name__})"
                raise DeliveryError(reason, maybe_sent=True) from exc

    async def _wait_turn(self, channel: str) -> None:
        """Hold each channel to one post per `pace` seconds."""
        loop = asyncio.get_running_loop()
        async with self._channel_locks.setdefault(channel, asyncio.Lock()):
            delay = self._next_post_at.get(channel, 0.0) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next_post_at[channel] = loop.time() + self._pace

    def _api(self) -> AsyncWebClient:
        if self._client is None:
            raise RuntimeError("SlackPlatform is not started: use `async with`")
        return self._client


def _status(exc: SlackApiError) -> int:
    """The HTTP status (the SDK hands back its own response or, for a garbled body, aiohttp's)."""
    return int(getattr(exc.response, "status_code", 0) or getattr(exc.response, "status", 0))


def _retry_after(exc: SlackApiError) -> float:
    try:
        return max(0.0, float(exc.response.headers.get("Retry-After", 1)))
    except ValueError:
        return 1.0


def _api_error(exc: SlackApiError) -> DeliveryError:
    data = getattr(exc.response, "data", None)
    error = str(data.get("error", "")) if isinstance(data, dict) else ""
    status = _status(exc)
    if error in PERMANENT_ERRORS:
        return DeliveryError(f"slack: {error}", permanent=True)
    if status >= 500:
        return DeliveryError(f"slack: HTTP {status}", maybe_sent=True)
    return DeliveryError(f"slack: {error or f'HTTP {status}'}")
