"""The database goes away; the bot carries on, or exits for its supervisor — never idles.

On real PostgreSQL servers: the shared test server for killed sessions (each test names its
sessions with an application_name of its own and terminates only those, as an operator's
`pg_terminate_backend` would), and a private server (`tests/fakes/postgres.py`) for stopping
the server itself.
- Sessions terminated again and again while feeds are polled: every story is judged and
  recorded once, every feed's poll is recorded and its lease released.
- Sessions terminated right after each chat send, before it is marked sent: each alert is
  sent once and marked sent.
- The server stopped and started: the work waiting meanwhile completes once it is back.
- The server gone longer than `database_down_limit`: `newsdelta run` exits non-zero with one
  line naming the outage, no traceback; `newsdelta status` says reachable (exit 0) before,
  unreachable (exit 1) after.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from bot.config import Config
from bot.delivery import Deliverer
from tests.conftest import PG_URL
from tests.fakes.feed_server import FeedServer
from tests.fakes.postgres import PrivatePostgres, missing, terminate_sessions
from tests.fakes.process import Running, write_config
from tests.fakes.recording_platform import RecordingPlatform
from tests.test_delivery import _alert
from watchers.fetch import Fetcher
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

FEEDS = Path(__file__).parent / "feeds"
CRASH_FEEDS = ("crash_wire", "crash_gulf", "crash_caspian")  # 5 items, 4 of them on topic
ITEMS = 5

needs_private_server = pytest.mark.skipif(missing() is not None, reason=str(missing()))


def named(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


class SessionKiller:
    """A thread terminating the sessions named `name` every `every` seconds while it runs."""

    def __init__(self, name: str, every: float = 0.3) -> None:
        self.name, self.every, self.killed = name, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.killed += terminate_sessions(PG_URL, self.name)

    def __enter__(self) -> SessionKiller:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def pipeline(store: Store, config: Config, fetcher: Fetcher) -> Pipeline:
    settings = PipelineSettings(first_poll_max_age=10**9, poll_interval=600)
    return Pipeline(store, config.topics, settings, fetcher=fetcher, owner="watcher-1")


async def serve_feeds(feeds: FeedServer, delay: float = 0.0) -> list[str]:
    for name in CRASH_FEEDS:
        feeds.set(f"/{name}.xml", (FEEDS / f"{name}.xml").read_bytes(), delay=delay)
    return [feeds.url(f"/{name}.xml") for name in CRASH_FEEDS]


def add_feeds(store: Store, urls: list[str]) -> None:
    from watchers.models import FeedSource

    store.sync_feeds([FeedSource(name=u.rsplit("/", 1)[1], url=u) for u in urls], time.time())


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_sessions_terminated_mid_poll_every_story_is_judged_once(
    store_url: str, config: Config
) -> None:
    name = f"nd-poll-{uuid.uuid4().hex[:8]}"
    store = Store.open(named(store_url, name), down_limit=30)
    try:
        async with FeedServer() as feeds, Fetcher(user_agent="t", timeout=5) as fetcher:
            add_feeds(store, await serve_feeds(feeds, delay=0.2))
            watcher = pipeline(store, config, fetcher)
            with SessionKiller(name) as killer:
                report = await watcher.poll_due()
                await asyncio.sleep(0.2)  # a kill or two after the last statement, too
                report.verdicts.update((await watcher.poll_due()).verdicts)
        assert killer.killed > 0
        assert report.failed == 0
        assert sum(report.verdicts.values()) == ITEMS
        titles = Counter(
            r["title"] for r in store.db.query("SELECT title FROM stories WHERE feed_id > 0")
        )
        assert len(titles) == ITEMS and set(titles.values()) == {1}
        for feed in store.feeds():
            assert (feed["successes"], feed["lease_owner"]) == (1, None)
    finally:
        store.close()


class SendThenLoseTheDatabase(RecordingPlatform):
    """Posts, then the database sessions are terminated before delivery marks it sent."""

    def __init__(self, session: str) -> None:
        super().__init__()
        self.session = session
        self.killed = 0

    async def send(self, channel: str, message, *, key: str) -> str | None:  # type: ignore[no-untyped-def]
        ref = await super().send(channel, message, key=key)
        self.killed += await asyncio.to_thread(terminate_sessions, PG_URL, self.session)
        return ref


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_sessions_terminated_mid_delivery_each_alert_is_sent_once(store_url: str) -> None:
    name = f"nd-send-{uuid.uuid4().hex[:8]}"
    store = Store.open(named(store_url, name), down_limit=30)
    try:
        store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
        for key in ("a", "b", "c"):
            _alert(store, key, headline=f"Story {key}")
        chat = SendThenLoseTheDatabase(name)
        assert await Deliverer(store, {"chat": chat}).drain() == 3
        assert chat.killed >= 3
        assert [s.message.headline for s in chat.sent] == ["Story a", "Story b", "Story c"]
        assert store.delivery_counts() == {"sent": 3}
    finally:
        store.close()


@needs_private_server
async def test_the_server_stopped_and_started_the_waiting_work_completes(
    tmp_path: Path, config: Config
) -> None:
    with PrivatePostgres() as pg:
        store = Store.open(pg.url, down_limit=60)
        try:
            store.subscribe("chat", "C1", "russia-iran", "u", 0.0)
            chat = RecordingPlatform()
            async with FeedServer() as feeds, Fetcher(user_agent="t", timeout=5) as fetcher:
                add_feeds(store, await serve_feeds(feeds))
                await asyncio.to_thread(pg.stop)
                polling = asyncio.create_task(pipeline(store, config, fetcher).poll_due())
                delivering = asyncio.create_task(Deliverer(store, {"chat": chat}).drain())
                await asyncio.sleep(3)
                assert not polling.done() and not delivering.done(), "they wait for the server"
                await asyncio.to_thread(pg.start)
                report = await asyncio.wait_for(polling, 60)
                await asyncio.wait_for(delivering, 60)
                await Deliverer(store, {"chat": chat}).drain()
            assert report.failed == 0 and sum(report.verdicts.values()) == ITEMS
            alerts = store.db.one("SELECT COUNT(*) AS n FROM alerts")
            assert alerts is not None and alerts["n"] == len(chat.sent) > 0
            assert len({s.key for s in chat.sent}) == len(chat.sent)
            assert store.delivery_counts() == {"sent": len(chat.sent)}
        finally:
            store.close()


@needs_private_server
async def test_the_database_gone_past_the_limit_run_exits_non_zero_with_one_line(
    tmp_path: Path,
) -> None:
    with PrivatePostgres() as pg:
        async with FeedServer() as feeds:
            urls = await serve_feeds(feeds)
            cfg = write_config(
                tmp_path,
                [(u.rsplit("/", 1)[1], u) for u in urls],
                "console = true",
                "database_down_limit = 3",
            )
            bot = await Running.start("--config", str(cfg), "run", env={"DATABASE_URL": pg.url})
            try:
                await bot.until(lambda: any("feeds polled" in line for line in bot.err))
                before = await status(cfg, pg.url)
                await asyncio.to_thread(pg.stop)
                stopped = time.monotonic()
                code = await asyncio.wait_for(bot.process.wait(), timeout=60)
                took = time.monotonic() - stopped
                await bot.until(lambda: any(x.startswith("newsdelta: ") for x in bot.err), 5)
                after = await status(cfg, pg.url)
            finally:
                if bot.process.returncode is None:
                    bot.process.kill()
    assert code != 0
    assert took < 30, f"exited {took:.0f} s after the database went away"
    said = [line for line in bot.err if line.startswith("newsdelta: ")]
    assert len(said) == 1 and "unreachable for" in said[0], bot.err[-10:]
    assert "database_down_limit = 3" in said[0]
    assert not any("Traceback" in line for line in bot.err), "\n".join(bot.err)
    assert before[0] == 0 and before[1].startswith("store: reachable (postgresql"), before
    assert after[0] == 1 and after[1].startswith("store: unreachable"), after


async def status(config: Path, url: str) -> tuple[int, str]:
    """`newsdelta status`: its exit status and its line."""
    run = await Running.start("--config", str(config), "status", env={"DATABASE_URL": url})
    code = await asyncio.wait_for(run.process.wait(), timeout=60)
    await run.until(lambda: bool(run.out), 5)
    return code, run.out[0]
