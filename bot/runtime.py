"""Composition: build the store, pipeline, delivery and platforms, and own their lifetimes.

`open_services(config)` gives the shared pieces; `serve(...)` runs the long-lived roles in
one event loop — the watcher (`Poller`: APScheduler waking when the next feed is due), the
sender
(`Deliverer.run`, and `DigestRunner.run` writing the digests that are due into the outbox)
and the chat platforms whose secrets are set — until SIGTERM/SIGINT, then
stops polling, lets in-flight work finish (bounded), closes everything and returns. Meanwhile
it keeps its holders' heartbeat (`liveness`), and if the database stays unreachable for
`database_down_limit` seconds it stops at once and raises `StoreUnreachable`: the process
exits non-zero so its supervisor restarts it.
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

from watchers.fetch import Fetcher
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store, StoreUnreachable

from .commands import CommandCore
from .config import Config, Secrets
from .delivery import Deliverer
from .digest import DigestRunner
from .liveness import keep_alive, store_lost
from .messages import Platform
from .platforms.console import ConsolePlatform
from .poller import Poller
from .sources import SourceCommands
from .topic_commands import TopicBook
from .web.app import PageServer
from .web.serving import alert_links, page_server, serve_alone
from .whatsnew import WhatsNew

log = logging.getLogger("newsdelta")

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
        embedding=s.embedding,
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
    store = Store.open(
        config.settings.storage_url, down_limit=float(config.settings.database_down_limit)
    )
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
    web: bool = True  # the "what we know" pages, when [web] base_url is set


def command_core(store: Store, config: Config, fetcher: Fetcher) -> CommandCore:
    """The platform-neutral `/newsdelta` handler, with `sources` able to fetch safely."""
    sources = SourceCommands(
        store,
        fetcher,
        max_items=config.settings.max_items_per_feed,
        first_poll_max_age=config.settings.first_poll_max_age,
    )
    return CommandCore(
        store,
        config.topics,
        sources=sources,
        whatsnew=whatsnew_for(store, config, fetcher),
        first_poll_max_age=config.settings.first_poll_max_age,
    )


def whatsnew_for(store: Store, config: Config, fetcher: Fetcher) -> WhatsNew:
    """`whatsnew` judging against the live store with every topic, config's and chat's."""
    book = TopicBook(store, config.topics)
    return WhatsNew(store, fetcher, lambda: tuple(book.all().values()), pipeline_settings(config))


async def _platforms(
    stack: AsyncExitStack,
    config: Config,
    secrets: Secrets,
    core: CommandCore,
    wanted: tuple[str, ...],
    pages: PageServer | None = None,
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
                host=config.slack.listen_host,
                routes=pages.routes() if pages else (),  # the pages beside /slack/events
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
            pages = page_server(store, config, secrets) if roles.web else None
            platforms = await _platforms(stack, config, secrets, core, roles.platforms, pages)
            log.info("platforms: %s", ", ".join(platforms) or "none")
            await serve_alone(stack, pages, platforms)
            sending, digests, stop_sending = None, None, asyncio.Event()
            if platforms:
                deliverer = Deliverer(
                    store,
                    platforms,
                    owner=worker_id("sender"),
                    lease_s=float(config.settings.delivery_lease),
                    page_link=alert_links(config, secrets),
                )
                sending = asyncio.create_task(deliverer.run(stop_sending))
                digests = asyncio.create_task(DigestRunner(store).run(stop_sending))
            poller = None
            if roles.watch:
                per_pass = 2 * config.settings.max_concurrency  # spreads feeds over watchers
                poller = Poller(watcher(store, config, fetcher), per_pass=per_pass)
                poller.start()
            owners = [worker_id(r) for r, on in (("watcher", poller), ("sender", sending)) if on]
            beating = asyncio.create_task(keep_alive(store, owners))
            down = await _stopped_or_store_lost(stop, store, config.settings.database_down_limit)
            polls = set(poller.in_flight) if poller else set()
            if poller is not None:
                poller.stop()
            if down is not None:  # nothing can be recorded: stop now, for a restart
                for task in (*polls, sending, digests, beating):
                    if task is not None:
                        task.cancel()
                raise StoreUnreachable(
                    f"the database has been unreachable for {down:.0f} s (database_down_limit "
                    f"= {config.settings.database_down_limit}; last error: "
                    f"{store.db.last_error}); exiting so that a supervisor restarts newsdelta"
                )
            log.info("shutting down: polling stopped, finishing in-flight work")
            await _finish(polls, SHUTDOWN_GRACE)  # polls first: their alerts go out too
            stop_sending.set()
            await _finish({t for t in (sending, digests) if t}, SHUTDOWN_GRACE)
            beating.cancel()  # last: what this process held is released by now
            await asyncio.gather(beating, return_exceptions=True)


async def _stopped_or_store_lost(stop: asyncio.Event, store: Store, limit: float) -> float | None:
    """Wait for SIGTERM/SIGINT (None) or a database outage of `limit` s (its length)."""
    lost = asyncio.create_task(store_lost(store, limit))
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({lost, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for task in (lost, stopped):
        task.cancel()
    return lost.result() if lost in done else None


async def _finish(tasks: set[asyncio.Task[None]], grace: float) -> None:
    """Wait for `tasks` at most `grace` seconds, then cancel what is left."""
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()


async def poll_once(config: Config, secrets: Secrets) -> int:
    """One pass over due feeds, then deliver to the platforms that are configured."""
    with opened_store(config) as store:
        async with AsyncExitStack() as stack:
            fetcher = await stack.enter_async_context(fetcher_for(config))
            pipeline = watcher(store, config, fetcher)
            report = await pipeline.poll_due(limit=100_000)
            core = command_core(store, config, fetcher)
            platforms = await _platforms(stack, config, secrets, core, Roles().platforms)
            await asyncio.to_thread(DigestRunner(store).run_due)
            links = alert_links(config, secrets)
            await Deliverer(store, platforms, owner=worker_id("sender"), page_link=links).drain()
    print(report.line())  # each failed feed was logged on stderr, one line each
    return 0
