"""Discord adapter on discord.py 2.7: `/newsdelta` commands in, alerts out, inside our loop.

Contract:
- `DiscordPlatform(token, handle, topic_names, guild_id=None)` is an async context manager.
  Entering logs in, syncs the `/newsdelta` group (to the guild when `guild_id` is given —
  instant, for development — else globally) and runs the gateway in a task of the running
  loop (never `client.run`); leaving closes the client. `wait_until_ready()` waits for READY.
- Commands: facts, whatsnew, subscribe (with an optional level), unsubscribe, topics, topic,
  digest, status, help, sources become a `Command` for `handle`; the `Reply` comes back
  ephemeral, split to Discord's 2000 characters, and deferred first when `handle` takes
  longer than `defer_after` seconds (a slow `whatsnew` fetch). subscribe, unsubscribe, digest
  with a schedule, topic add/edit/remove and sources add/remove/pause/resume need Manage
  Channels in the channel: the
  member's permissions in the interaction are checked here and a refusal says why; the
  command's default permissions would only be a hint. Topic options autocomplete from
  `topic_names()`.
- `send(channel, message, key=...)` posts embeds with no mentions allowed and one nonce per
  part derived from `key` (discord.py sets `enforce_nonce` with every nonce, so Discord drops a
  resend of a posted part). Without `message.thread` it starts a thread on the first message
  and returns the thread id; when the thread is refused it returns "message:<id>" and later
  posts go to the channel as replies to it. A thread that is gone or locked falls back to a
  fresh post in the channel. 429s are slept off by discord.py up to 30 s (longer waits raise
  `DeliveryError(retry_after=…)`); 5xx are retried by discord.py with the same payload.
  404/403 raise `DeliveryError(permanent=True)`; a server error or timeout after sending
  raises `DeliveryError(maybe_sent=True)`.
- Rate limits: discord.py paces each route from Discord's bucket headers but meets the
  global limit (50 requests/s) only by a 429; writes are therefore spaced evenly at
  `GLOBAL_SPACING` (1/45 s), so a burst across many channels draws no 429.
- `api_base` / `gateway_url` are for tests: while the adapter is open they point
  discord.py's class-level REST base and gateway URL at a loopback server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.messages import Command, DeliveryError, Message, Reply
from bot.platforms.discord_embeds import alert_messages, nonce_for, reply_chunks, thread_name

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
MESSAGE_REF = "message:"
THREAD_ALREADY_CREATED = 160004  # Discord error code; the thread's id is the message's id
MAX_RATE_LIMIT_WAIT = 30.0  # the smallest value discord.py accepts
SETTING_SOURCE_ACTIONS = ("add", "remove", "pause", "resume")
SETTING_TOPIC_ACTIONS = ("add", "edit", "remove")
REFUSAL = Reply(
    title="You need the Manage Channels permission for that.",
    lines=("Subscriptions and sources decide what this channel receives.",),
)

Handler = Callable[[Command], Awaitable[Reply]]


class DiscordPlatform:
    """The Discord side of newsdelta; see the module docstring."""

    name = "discord"

    def __init__(
        self,
        token: str,
        handle: Handler,
        topic_names: Callable[[], list[str]],
        guild_id: int | None = None,
        *,
        api_base: str | None = None,
        gateway_url: str | None = None,
        defer_after: float = 2.0,
        send_timeout: float = 90.0,
    ) -> None:
        self._token = token
        self._handle = handle
        self._topic_names = topic_names
        self._guild = discord.Object(guild_id) if guild_id else None
        self._api_base = api_base
        self._gateway_url = gateway_url
        self._defer_after = defer_after
        self._send_timeout = send_timeout
        self._saved_endpoints = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        self._client: discord.Client | None = None
        self._gateway: asyncio.Task[None] | None = None

    async def __aenter__(self) -> DiscordPlatform:
        self._saved_endpoints = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self._api_base:
            Route.BASE = self._api_base.rstrip("/")
        if self._gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self._gateway_url)
        self._client = client = discord.Client(
            intents=discord.Intents(guilds=True),
            allowed_mentions=NO_MENTIONS,
            guild_ready_timeout=0.05,  # nothing here waits for the guild cache
            max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT,
            http_trace=_global_pacing(GLOBAL_SPACING),
        )
        tree = app_commands.CommandTree(client)
        tree.add_command(self._command_group(), guild=self._guild)
        try:
            await client.login(self._token)
            await tree.sync(guild=self._guild)
        except BaseException:
            await self.__aexit__()
            raise
        self._gateway = asyncio.create_task(client.connect(), name="discord-gateway")
        self._gateway.add_done_callback(_report_gateway_end)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._client is not None:
                await self._client.close()
            if self._gateway is not None:
                await asyncio.gather(self._gateway, return_exceptions=True)
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_endpoints
            self._client = self._gateway = None

    async def wait_until_ready(self) -> None:
        """Return once the gateway session is READY; raise if the gateway stopped first."""
        client, gateway = self._running()
        ready = asyncio.ensure_future(client.wait_until_ready())
        await asyncio.wait({ready, gateway}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            gateway.result()
            raise RuntimeError("the Discord gateway closed before it was ready")

    def _running(self) -> tuple[discord.Client, asyncio.Task[None]]:
        if self._client is None or self._gateway is None:
            raise RuntimeError("DiscordPlatform is not open: use `async with`")
        return self._client, self._gateway

    # Alerts out

    async def send(self, channel: str, message: Message, *, key: str) -> str | None:
        if not channel.isdigit():
            raise DeliveryError(f"not a Discord channel id: {channel!r}", permanent=True)
        try:
            async with asyncio.timeout(self._send_timeout):
                return await self._deliver(int(channel), message, key)
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
            raise _delivery_error(exc) from exc

    async def _deliver(self, channel_id: int, message: Message, key: str) -> str:
        batches = alert_messages(message)
        thread = message.thread
        if thread and thread.startswith(MESSAGE_REF):
            root = discord.MessageReference(
                message_id=int(thread.removeprefix(MESSAGE_REF)),
                channel_id=channel_id,
                fail_if_not_exists=False,
            )
            await self._post_parts(channel_id, batches, key, reply_to=root)
            return thread
        if thread:
            try:
                await self._post_parts(int(thread), batches, key)
                return thread
            except (discord.NotFound, discord.Forbidden) as exc:
                log.info("thread %s refused a post (%s); starting over in the channel", thread, exc)
        first = await self._post(channel_id, batches[0], nonce_for(key, 0))
        ref = await self._start_thread(channel_id, first.id, message)
        target = channel_id if ref.startswith(MESSAGE_REF) else int(ref)
        await self._post_parts(target, batches[1:], key, first_part=1)
        return ref

    async def _post_parts(
        self,
        channel_id: int,
        batches: list[list[discord.Embed]],
        key: str,
        *,
        first_part: int = 0,
        reply_to: discord.MessageReference | None = None,
    ) -> None:
        for part, embeds in enumerate(batches, start=first_part):
            await self._post(channel_id, embeds, nonce_for(key, part), reply_to)

    async def _post(
        self,
        channel_id: int,
        embeds: list[discord.Embed],
        nonce: str,
        reply_to: discord.MessageReference | None = None,
    ) -> discord.Message:
        client, _ = self._running()
        channel = client.get_partial_messageable(channel_id)
        return await channel.send(
            embeds=embeds, nonce=nonce, allowed_mentions=NO_MENTIONS, reference=reply_to
        )

    async def _start_thread(self, channel_id: int, message_id: int, message: Message) -> str:
        """The new thread's id, or a "message:<id>" ref when Discord refuses the thread."""
        client, _ = self._running()
        try:
            # The HTTP call itself: a partial message has no guild to build a Thread with.
            data = await client.http.start_thread_with_message(
                channel_id, message_id, name=thread_name(message), auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_CREATED:
                return str(message_id)
            log.warning("no thread in channel %s (%s); details go in the channel", channel_id, exc)
            return f"{MESSAGE_REF}{message_id}"
        return str(data["id"])

    # Commands in

    def _command_group(self) -> app_commands.Group:
        group = app_commands.Group(
            name="newsdelta", description="Only what is new in the news you follow", guild_only=True
        )

        @group.command(description="Look up what is known, with sources")
        @app_commands.describe(query="Words to look for: a name, a number, a place")
        async def facts(interaction: discord.Interaction, query: str) -> None:
            await self._run(interaction, "facts", query)

        @group.command(description="Does this article say anything new? Nothing is recorded")
        @app_commands.describe(url="The article's link")
        async def whatsnew(interaction: discord.Interaction, url: str) -> None:
            await self._run(interaction, "whatsnew", url)

        @group.command(description="Send a topic's news to this channel (Manage Channels)")
        @app_commands.describe(
            topic="The topic to follow",
            level="all: every alert; stories: new stories only; digest: the digest alone",
        )
        async def subscribe(
            interaction: discord.Interaction,
            topic: str,
            level: Literal["all", "stories", "digest"] | None = None,
        ) -> None:
            await self._run(interaction, "subscribe", f"{topic} {level or ''}".strip())

        @group.command(description="Stop a topic's news in this channel (Manage Channels)")
        @app_commands.describe(topic="The topic to stop")
        async def unsubscribe(interaction: discord.Interaction, topic: str) -> None:
            await self._run(interaction, "unsubscribe", topic)

        @group.command(description="The topics you can follow")
        async def topics(interaction: discord.Interaction) -> None:
            await self._run(interaction, "topics", "")

        @group.command(name="topic", description="Show, or make, edit, remove a topic in chat")
        @app_commands.describe(
            action="What to do",
            spec='name "title" Russia|Moscow Iran|Tehran … [--exclude …] (add, edit), or a name',
        )
        async def topic_(
            interaction: discord.Interaction,
            action: Literal["show", "add", "edit", "remove"],
            spec: str,
        ) -> None:
            await self._run(interaction, "topic", f"{action} {spec}")

        @group.command(description="One summary per period (Manage Channels to change it)")
        @app_commands.describe(schedule="daily 08:00 Europe/Berlin, weekly mon 08:00 …, or off")
        async def digest(interaction: discord.Interaction, schedule: str | None = None) -> None:
            await self._run(interaction, "digest", schedule or "")

        @group.command(description="What this channel follows and how the feeds are doing")
        async def status(interaction: discord.Interaction) -> None:
            await self._run(interaction, "status", "")

        @group.command(name="help", description="How to use newsdelta")
        async def help_(interaction: discord.Interaction) -> None:
            await self._run(interaction, "help", "")

        @group.command(description="List the feeds, or add, remove, pause, resume one")
        @app_commands.describe(action="What to do", arg="The feed URL (add) or name")
        async def sources(
            interaction: discord.Interaction,
            action: Literal["list", "add", "remove", "pause", "resume"],
            arg: str | None = None,
        ) -> None:
            await self._run(interaction, "sources", f"{action} {arg or ''}".strip())

        subscribe.autocomplete("topic")(self._complete_topic)
        unsubscribe.autocomplete("topic")(self._complete_topic)
        return group

    async def _complete_topic(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.casefold()
        names = [n for n in self._topic_names() if needle in n.casefold() and len(n) <= 100]
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    async def _run(self, interaction: discord.Interaction, name: str, args: str) -> None:
        may_manage = interaction.permissions.manage_channels
        if not may_manage and _changes_settings(name, args):
            await _answer(interaction, REFUSAL)
            return
        command = Command(
            platform=self.name,
            channel=str(interaction.channel_id),
            user=str(interaction.user.id),
            name=name,
            args=args,
            may_manage=may_manage,
        )
        work = asyncio.ensure_future(self._handle(command))
        done, _ = await asyncio.wait({work}, timeout=self._defer_after)
        if not done:
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            reply = await work
        except Exception:
            log.exception("the %s command failed", name)
            reply = Reply(title="Sorry, that command failed. Please try again later.")
        await _answer(interaction, reply)


def _report_gateway_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the Discord gateway stopped", exc_info=task.exception())


def _changes_settings(name: str, args: str) -> bool:
    if name in ("subscribe", "unsubscribe"):
        return True
    if name == "digest":
        return bool(args)
    if name == "topic":
        return args.split(" ", 1)[0] in SETTING_TOPIC_ACTIONS
    return name == "sources" and args.split(" ", 1)[0] in SETTING_SOURCE_ACTIONS


async def _answer(interaction: discord.Interaction, reply: Reply) -> None:
    """Send the reply: the interaction response first, then follow-ups for the rest."""
    for chunk in reply_chunks(reply):
        if interaction.response.is_done():
            await interaction.followup.send(
                chunk, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.send_message(
                chunk, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS
            )


def _delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, discord.NotFound | discord.Forbidden):
        return DeliveryError(f"discord {exc.status}: {exc.text}", permanent=True)
    if isinstance(exc, discord.RateLimited):
        return DeliveryError("discord rate limit", retry_after=exc.retry_after)
    if isinstance(exc, discord.DiscordServerError):
        return DeliveryError(f"discord {exc.status}: {exc.text}", maybe_sent=True)
    if isinstance(exc, discord.HTTPException):
        return DeliveryError(f"discord {exc.status}: {exc.text}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return DeliveryError(f"cannot reach discord: {exc}")
    return DeliveryError(f"no answer from discord: {type(exc).__name__}", maybe_sent=True)


GLOBAL_SPACING = 1 / 45  # seconds between two writes: under Discord's 50 requests/s


def _global_pacing(spacing: float) -> aiohttp.TraceConfig:
    """An aiohttp trace that spaces non-GET requests `spacing` seconds apart, evenly."""
    lock = asyncio.Lock()
    next_at = 0.0

    async def on_request_start(
        session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        nonlocal next_at
        if params.method == "GET":
            return
        async with lock:
            loop = asyncio.get_running_loop()
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at = loop.time() + spacing

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    return trace
