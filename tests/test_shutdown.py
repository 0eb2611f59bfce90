"""Graceful shutdown: `newsdelta run` stops on SIGTERM, says so, and exits 0 in bounded time.

The real program runs as a subprocess (temp config, SQLite in tmp_path, console on, one feed
on a loopback `FeedServer`). It is stopped once while idle after a poll, and once while a
feed is answering slowly (the server holds the answer 5 s), i.e. in the middle of a fetch.
The bound is the runtime's grace periods (10 s for a poll in flight, 10 s for the last
sends) plus a margin.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.fakes.process import Running, write_config

FEEDS = Path(__file__).parent / "feeds"
BOUND = 25.0
WIRE = "Northern Wire"
SHUTDOWN_LOG = "INFO newsdelta: shutting down: polling stopped, finishing in-flight work"


async def test_sigterm_after_a_poll_exits_0_promptly_and_logs_the_shutdown(
    tmp_path: Path,
) -> None:
    async with FeedServer() as feeds:
        feeds.set("/wire.xml", (FEEDS / "crash_wire.xml").read_bytes())
        config = write_config(tmp_path, [(WIRE, feeds.url("/wire.xml"))], "console = true")
        bot = await Running.start("--config", str(config), "run")
        await bot.until(lambda: any("1 feeds polled" in line for line in bot.err))
        await bot.until(lambda: sum(line.startswith("[new_story]") for line in bot.out) == 2)
        took = await bot.terminate()
    assert bot.process.returncode == 0, "\n".join(bot.err)
    assert took < BOUND
    assert SHUTDOWN_LOG in bot.err
    assert not [line for line in bot.err if line.startswith(("ERROR", "Traceback"))]


async def test_run_keeps_polling_on_its_schedule(tmp_path: Path) -> None:
    """The scheduler ticks again and again: a feed due every second is polled repeatedly,
    conditionally once its validators are known."""
    async with FeedServer() as feeds:
        feeds.set("/wire.xml", (FEEDS / "crash_wire.xml").read_bytes())
        config = write_config(
            tmp_path, [(WIRE, feeds.url("/wire.xml"))], "console = true", "poll_interval = 1"
        )
        bot = await Running.start("--config", str(config), "run")
        await bot.until(lambda: len(feeds.requests_for("/wire.xml")) >= 3)
        await bot.terminate()
        requests = feeds.requests_for("/wire.xml")
    assert bot.process.returncode == 0, "\n".join(bot.err)
    assert all("if-none-match" in r.headers for r in requests[1:])


async def test_sigterm_in_the_middle_of_a_slow_fetch_still_exits_0_in_bounds(
    tmp_path: Path,
) -> None:
    async with FeedServer() as feeds:
        feeds.set("/wire.xml", (FEEDS / "crash_wire.xml").read_bytes(), delay=5.0)
        config = write_config(tmp_path, [(WIRE, feeds.url("/wire.xml"))], "console = true")
        bot = await Running.start("--config", str(config), "run")
        async with asyncio.timeout(60):  # until the request is in; its answer is held 5 s
            while not feeds.requests_for("/wire.xml"):
                await asyncio.sleep(0.05)
        took = await bot.terminate()
        held = feeds.requests_for("/wire.xml")
    assert bot.process.returncode == 0, "\n".join(bot.err)
    assert took < BOUND
    assert SHUTDOWN_LOG in bot.err
    assert len(held) == 1
    shutdown = bot.err.index(SHUTDOWN_LOG)  # the poll in flight finished, then the process left
    assert any("1 feeds polled" in line for line in bot.err[shutdown:])
    assert not [line for line in bot.err if line.startswith(("ERROR", "Traceback"))]
