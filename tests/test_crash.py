"""Crash safety: the real program, killed by SIGKILL anywhere, loses nothing and repeats nothing.

Each scenario runs `python -m bot.cli poll --once` as a subprocess over a SQLite file, with
three loopback feeds (`tests/feeds/crash_*.xml`: four on-topic new stories, one off-topic
item) and Slack pointed at `FakeSlackApi` in this process; channels C1 and C2 are subscribed.
`NEWSDELTA_CRASH_AT` makes the program SIGKILL itself at a crash point (see
watchers/crash.py) after passing it `NEWSDELTA_CRASH_SKIP` times:
- "mid_fetch": a feed body was read, nothing parsed or recorded;
- "mid_transaction": a story was written, its transaction not committed;
- "after_send": Slack accepted a message, the delivery was not yet marked sent.
Then the program runs again without the crash, and once more. Slack must show every alert
exactly once per channel, and the store every story exactly once.

A restart over the same SQLite file frees what the dead run held (feed leases at once;
deliveries as "maybe sent", which Slack looks up by key before posting again), so it needs
no wait.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.process import write_config
from tests.fakes.slack_api import FakeSlackApi
from watchers.store import Store

ROOT = Path(__file__).resolve().parents[1]
FEEDS = Path(__file__).parent / "feeds"
FEED_NAMES = ("crash_wire", "crash_gulf", "crash_caspian")
CHANNELS = ("C1", "C2")
TOKEN = "xoxb-crash-bot-token"
SECRET = "crash-signing-secret"
HEADLINES = (
    "Duma committee clears the Russia-Iran treaty for a floor vote",
    "Russian and Iranian central banks link card networks under the partnership treaty",
    "Iran's Majlis approves the strategic partnership treaty with Russia",
    "Russia and Iran open the Rasht rail link promised in their partnership treaty",
)
OFF_TOPIC = "Caspian sturgeon hatchery reports a record season"
# Per crash point, how many passes to let through before the kill: the first, a middle and
# the last one a run reaches (3 fetches, 5 stories ingested, 8 messages sent).
SKIPS = {"mid_fetch": (0, 1, 2), "mid_transaction": (0, 2, 4), "after_send": (0, 3, 7)}


async def newsdelta(config: Path, slack: FakeSlackApi, **env: str) -> int:
    """Run `newsdelta poll --once` to its end; returns its exit status (-9: SIGKILL)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "--config",
        str(config),
        "poll",
        "--once",
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "PORT": "0",
            **env,
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode in (0, -9), stderr.decode(errors="replace")
    return process.returncode


def headline(message: dict) -> str:
    return next(h for h in HEADLINES if h in message["text"])


def delivery_key(message: dict) -> str:
    return message["metadata"]["event_payload"]["key"]


async def crash_and_recover(tmp_path: Path, crash_at: str, skip: int) -> None:
    """Kill the program at `crash_at` after `skip` passes, restart it twice, check the result."""
    tmp_path.mkdir()
    async with FakeSlackApi(token=TOKEN) as slack, FeedServer() as feeds:
        for name in FEED_NAMES:
            feeds.set(f"/{name}.xml", (FEEDS / f"{name}.xml").read_bytes())
        config = write_config(
            tmp_path,
            [(name, feeds.url(f"/{name}.xml")) for name in FEED_NAMES],
            "console = false",
        )
        url = f"sqlite:///{tmp_path / 'newsdelta.db'}"
        store = Store.open(url)
        for channel in CHANNELS:
            store.subscribe("slack", channel, "russia-iran", "U_ADMIN", 0.0)
        store.close()

        crash = {"NEWSDELTA_CRASH_AT": crash_at, "NEWSDELTA_CRASH_SKIP": str(skip)}
        assert await newsdelta(config, slack, **crash) == -9, "the crash point was not reached"
        assert await newsdelta(config, slack) == 0
        assert await newsdelta(config, slack) == 0

        for channel in CHANNELS:
            posted = slack.messages.get(channel, [])
            by_headline = Counter(headline(m) for m in posted)
            by_key = Counter(delivery_key(m) for m in posted)
            assert by_headline == dict.fromkeys(HEADLINES, 1), (channel, by_headline)
            assert len(by_key) == len(HEADLINES) and set(by_key.values()) == {1}, by_key
        store = Store.open(url)
        try:
            rows = store.db.query("SELECT title FROM stories WHERE feed_id IS NOT NULL")
            assert Counter(r["title"] for r in rows) == dict.fromkeys((*HEADLINES, OFF_TOPIC), 1)
            assert store.delivery_counts() == {"sent": len(HEADLINES) * len(CHANNELS)}
        finally:
            store.close()


@pytest.mark.parametrize("crash_at", list(SKIPS))
async def test_a_kill_at_any_point_then_restarts_deliver_each_alert_once(
    tmp_path: Path, crash_at: str
) -> None:
    await asyncio.gather(
        *(crash_and_recover(tmp_path / f"skip{skip}", crash_at, skip) for skip in SKIPS[crash_at])
    )
