"""Composition: build the store, pipeline, delivery and platforms, and own their lifetimes.

`open_services(config)` gives the shared pieces; `serve(...)` runs the long-lived roles in
one event loop — the watcher (APScheduler ticking `Pipeline.poll_due`), the sender
(`Deliverer.run`) and the chat platforms whose secrets are set — until SIGTERM/SIGINT, then
stops polling, lets in-flight work finish (bounded), closes everything and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from watchers.fetch import Fetcher
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

from .commands import CommandCore
from .config import Config, Secrets
from .delivery import Deliverer
from .messages import Platform
from .platforms.console import ConsolePlatform
from .sources import SourceCommands

log = logging.getLogger("newsdelta")

MAX_PASSES_PER_TICK = 500
SHUTDOWN_GRACE = 10.0  # seconds for polls in flight, then as long for the last sends


def worker_id(role: str) -> str:
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


def pipeline_settings(config: Config) -> PipelineSettings:
    s = config.settings
    return PipelineSettings(
        poll_interval=s.poll_interval,
        first_poll_max_age=s.first_poll_max_age,
        max_items_per_feed=s.max_items_per_feed,
        failures_before_warning=s.failures_before_warning,
        lease_s=float(s.feed_lease),
    )


def watcher(store: Store, config: Config, fetcher: Fetcher) -> Pipeline:
    """The pipeline as a polling process runs it."""
    return Pipeline(
        store, config.topics, pipeline_settings(config), fetcher=fetcher, owner=worker_id("watcher")
    )


def fetcher_for(config: Config) -> Fetcher:
    s = config.settings
    return Fetcher(
        user_agent=s.user_agent,
        timeout=s.fetch_timeout,
        max_bytes=s.max_body_mib << 20,
        max_concurrency=s.max_concurrency,
        per_host=s.per_host,
    )


@contextmanager
def opened_store(config: Config) -> Iterator[Store]:
    """The store, migrated, with the seeds' facts and the configured feeds in it."""
    store = Store.open(config.settings.storage_url)
    try:
        if store.dialect == "sqlite":  # one process owns a SQLite file: a dead run's
            store.release_feed_leases()  # leases and claims are free (claims: maybe sent)
            store.release_claims()
        Pipeline(store, config.topics, pipeline_settings(config)).load_seeds(
            config.settings.seeds_dir
        )
        store.sync_feeds(config.feeds, time.time())
        if config.settings.console:
            store.subscribe("console", ConsolePlatform.channel, "*", "config", time.time())
        yield store
    finally:
        store.close()


@dataclass
class Roles:
    watch: bool = True
    platforms: tuple[str, ...] = ("console", "slack", "discord")


def command_core(store: Store, config: Config, fetcher: Fetcher) -> CommandCore:
    """The platform-neutral `/newsdelta` handler, with `sources` able to fetch safely."""
    sources = SourceCommands(
        store,
        fetcher,
        max_items=config.settings.max_items_per_feed,
        first_poll_max_age=config.settings.first_poll_max_age,
    )
    return CommandCore(store, config.topics, sources=sources)


async def _platforms(
    stack: AsyncExitStack,
    config: Config,
    secrets: Secrets,
    core: CommandCore,
    wanted: tuple[str, ...],
) -> dict[str, Platform]:
    found: dict[str, Platform] = {}
    if "console" in wanted and config.settings.console:
        found["console"] = ConsolePlatform()
    if "slack" in wanted and secrets.slack:
        from .platforms.slack import SlackPlatform

        found["slack"] = await stack.enter_async_context(
            SlackPlatform(
                bot_token=secrets.slack_bot_token or "",
                signing_secret=secrets.slack_signing_secret or "",
                app_token=secrets.slack_app_token,
                api_url=os.environ.get("SLACK_API_URL"),
                handle=core.handle,
                topic_names=core.topic_names,
                who_may_manage=config.slack.who_may_manage,
                broadcast_replies=config.slack.broadcast_replies,
                port=int(os.environ.get("PORT", "3000")),
            )
        )
    if "discord" in wanted and secrets.discord_token:
        from .platforms.discord_chat import DiscordPlatform

        guild = os.environ.get("DISCORD_GUILD_ID")
        found["discord"] = await stack.enter_async_context(
            DiscordPlatform(
                token=secrets.discord_token,
                handle=core.handle,
                topic_names=core.topic_names,
                guild_id=int(guild) if guild else config.discord.guild_id,
            )
        )
    return found


@contextlib.asynccontextmanager
async def _stop_on_signals() -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def serve(config: Config, secrets: Secrets, roles: Roles) -> None:
    """Run until SIGTERM/SIGINT; returns after a bounded, orderly shutdown."""
    with opened_store(config) as store:
        async with AsyncExitStack() as stack, _stop_on_signals() as stop:
            fetcher = await stack.enter_async_context(fetcher_for(config))
            core = command_core(store, config, fetcher)
            platforms = await _platforms(stack, config, secrets, core, roles.platforms)
            log.info("platforms: %s", ", ".join(platforms) or "none")
            sending, stop_sending = None, asyncio.Event()
            if platforms:
                deliverer = Deliverer(
                    store,
                    platforms,
                    owner=worker_id("sender"),
                    lease_s=float(config.settings.delivery_lease),
                )
                sending = asyncio.create_task(deliverer.run(stop_sending))
            scheduler, polls = None, set[asyncio.Task[None]]()
            if roles.watch:
                pipeline = watcher(store, config, fetcher)
                scheduler = _scheduler(pipeline, config, polls)
                scheduler.start()
            await stop.wait()
            log.info("shutting down: polling stopped, finishing in-flight work")
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await _finish(set(polls), SHUTDOWN_GRACE)  # polls first: their alerts go out too
            stop_sending.set()
            await _finish({sending} if sending else set(), SHUTDOWN_GRACE)


async def _finish(tasks: set[asyncio.Task[None]], grace: float) -> None:
    """Wait for `tasks` at most `grace` seconds, then cancel what is left."""
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()


def _scheduler(
    pipeline: Pipeline, config: Config, in_flight: set[asyncio.Task[None]]
) -> AsyncIOScheduler:
    """APScheduler only ticks; the store says which feeds are due. A poll runs in its own
    task, shielded: shutting the scheduler down cancels its jobs, and `serve` waits for a
    poll in flight (bounded) instead, so its feeds are recorded and their leases released."""
    tick = float(min(60, config.settings.poll_interval))
    per_pass = 2 * config.settings.max_concurrency  # small leases spread feeds over watchers

    async def poll_and_report() -> None:
        for _ in range(MAX_PASSES_PER_TICK):  # many feeds due: pass after pass, bounded
            report = await pipeline.poll_due(limit=per_pass)
            if report.feeds:
                log.info("%s", report.line())
            if report.feeds < per_pass:
                return

    async def poll() -> None:
        task = asyncio.ensure_future(poll_and_report())
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(task)

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        poll,
        "interval",
        seconds=tick,
        id="poll",
        next_run_time=datetime.now(UTC),  # the first pass at once, then one per tick
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(tick),
    )
    return scheduler


async def poll_once(config: Config, secrets: Secrets) -> int:
    """One pass over due feeds, then deliver to the platforms that are configured."""
    with opened_store(config) as store:
        async with AsyncExitStack() as stack:
            fetcher = await stack.enter_async_context(fetcher_for(config))
            pipeline = watcher(store, config, fetcher)
            report = await pipeline.poll_due(limit=100_000)
            core = command_core(store, config, fetcher)
            platforms = await _platforms(stack, config, secrets, core, Roles().platforms)
            await Deliverer(store, platforms, owner=worker_id("sender")).drain()
    print(report.line())  # each failed feed was logged on stderr, one line each
    return 0
