"""A SIGKILLed watcher's feeds and sender's deliveries are taken over within seconds.

Real `newsdelta watch` and `newsdelta serve slack` processes over PostgreSQL with the default
`feed_lease` (300 s) and `delivery_lease` (120 s). The watcher is killed while it holds a
feed whose server is still answering; the sender is killed while Slack holds its post
unanswered (the message is in, the answer lost). Each is restarted at once, as a supervisor
would; the restarted process must pick the work up within 10 s of the kill — the dead
holder's heartbeat runs out, the leases do not have to — and Slack must show each alert
exactly once (the taken-over post is looked up, not posted again).
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.process import write_config
from tests.fakes.slack_api import FakeSlackApi
from tests.scale.cluster import Worker
from tests.test_scale_out import TOKEN, worker_env
from watchers.store import Store

pytestmark = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)

FEEDS = Path(__file__).parent / "feeds"
RESUME_WITHIN = 10.0  # seconds from the kill to the work done by the restarted process
HEADLINES = 4  # on-topic stories in crash_wire + crash_gulf + crash_caspian


async def until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> float:
    """Wait for `check()`; returns when it came true (time.monotonic())."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic()


async def kill(worker: Worker) -> float:
    worker.proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(worker.proc.wait)
    return time.monotonic()


async def test_a_killed_watcher_and_sender_are_taken_over_within_seconds(
    store_url: str, tmp_path: Path
) -> None:
    store = Store.open(store_url)
    store.subscribe("slack", "C1", "russia-iran", "test", 0.0)
    workers: list[Worker] = []
    try:
        async with FakeSlackApi(token=TOKEN) as slack, FeedServer() as feeds:
            names = ("crash_wire", "crash_gulf", "crash_caspian")
            for name in names:  # held 15 s: the watcher dies mid-fetch, holding all three
                feeds.set(f"/{name}.xml", (FEEDS / f"{name}.xml").read_bytes(), delay=15)
            feed_list = [(n, feeds.url(f"/{n}.xml")) for n in names]
            config = write_config(tmp_path, feed_list, "console = false")  # default leases
            tag = uuid.uuid4().hex[:8]

            def start(name: str, role: list[str]) -> Worker:
                env = worker_env(store_url, slack, f"{name}-{tag}")
                workers.append(Worker.start(f"{name}-{tag}", role, config, env, tmp_path))
                return workers[-1]

            def leased() -> bool:
                rows = store.db.query("SELECT lease_owner FROM feeds")
                return len(rows) == 3 and all(r["lease_owner"] for r in rows)

            def polled() -> bool:
                row = store.db.one("SELECT COUNT(*) AS n FROM feeds WHERE successes > 0")
                return bool(row and row["n"] == 3)

            watcher = start("watcher1", ["watch"])
            await until(leased, "the first watcher leasing the feeds")
            killed = await kill(watcher)
            for name in names:
                feeds.set(f"/{name}.xml", (FEEDS / f"{name}.xml").read_bytes())
            start("watcher2", ["watch"])
            watcher_took = await until(polled, "the feeds polled again") - killed

            slack.stall_next("chat.postMessage", 15)  # the first post is in; its answer lost
            sender = start("sender1", ["serve", "slack"])
            await until(lambda: bool(slack.messages.get("C1")), "the first post in Slack")
            killed = await kill(sender)
            start("sender2", ["serve", "slack"])

            def delivered() -> bool:
                row = store.db.one(
                    "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'sent' AND "
                    "platform = 'slack'"
                )
                return bool(row and row["n"] == HEADLINES)

            sender_took = await until(delivered, "every delivery sent") - killed
            posted = Counter(m["metadata"]["event_payload"]["key"] for m in slack.messages["C1"])
    finally:
        for worker in workers:
            if worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGTERM)
                worker.proc.wait(30)
        store.close()
    print(
        f"\ntakeover after SIGKILL with default leases: feeds {watcher_took:.1f} s, "
        f"deliveries {sender_took:.1f} s (restart included)"
    )
    assert watcher_took < RESUME_WITHIN, f"feeds resumed {watcher_took:.1f} s after the kill"
    assert sender_took < RESUME_WITHIN, f"sending resumed {sender_took:.1f} s after the kill"
    assert len(posted) == HEADLINES and set(posted.values()) == {1}, posted
