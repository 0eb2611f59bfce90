"""Scaled out over PostgreSQL: watchers and senders share one database and survive SIGKILL.

Three `newsdelta watch` and two `newsdelta serve slack` processes run against one fresh
PostgreSQL schema, 200 loopback feeds and the fake Slack Web API, with channels C1 and C2
subscribed. The feeds fill in three waves of generated news (tests/scale/corpus.py):
distinct on-topic stories, verbatim copies of some of them on other feeds, and off-topic
filler. Once the first alerts have reached Slack, the second wave is published and the test
SIGKILLs the watcher holding the most feed leases and the sender holding the most claimed
deliveries; the third wave follows. The survivors must take the dead processes' feeds and
deliveries over when the (short) `feed_lease` and `delivery_lease` run out. When every item
is stored and the outbox is drained, the survivors stop on SIGTERM, and Slack is checked:
every alert was posted exactly once in each channel, no story was judged twice, and no
syndicated copy raised an alert of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.slack_api import FakeSlackApi
from tests.scale.cluster import Worker, owner_pid, repository_topics, write_config
from tests.scale.corpus import Corpus, build_corpus
from watchers.store import Store

pytestmark = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)

TOKEN = "xoxb-scale-out-bot-token"
SIGNING_SECRET = "scale-out-signing-secret"
CHANNELS = ("C1", "C2")
WATCHERS, SENDERS = 3, 2
POLL_INTERVAL = 2  # seconds: every feed is polled again soon after a wave appears
LEASE = 5  # seconds, both feed_lease and delivery_lease: how long a dead holder blocks
FIRST_POSTS = 16  # Slack posts seen before the second wave and the kills
DEADLINE = 180.0  # seconds for any one stage before the test gives up, saying where

T = TypeVar("T")


def publish(server: FeedServer, corpus: Corpus, wave: int) -> None:
    for feed in range(corpus.feeds):
        server.set(corpus.path(feed), corpus.document(feed, wave))


def posts(slack: FakeSlackApi) -> Iterator[tuple[int, str]]:
    """(alert id, channel) of every alert message Slack shows (continuations left out)."""
    for channel, messages in list(slack.messages.items()):
        for message in list(messages):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if "key" in payload and "part" not in payload:
                yield int(payload["key"].split("-")[1]), channel


async def until(
    check: Callable[[], Awaitable[T]], what: str, workers: list[Worker], timeout: float = DEADLINE
) -> T:
    """Poll `check` until it returns something true; fail naming `what` and showing the logs
    when it takes longer than `timeout` or a process meant to be running has exited."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        exited = [w for w in workers if w.proc.poll() is not None]
        if exited or time.monotonic() > deadline:
            reason = "a process exited" if exited else f"still waiting after {timeout:.0f} s"
            logs = "\n".join(w.tail() for w in workers)
            pytest.fail(f"{what}: {reason}\n{logs}")
        await asyncio.sleep(0.2)
    return result


async def test_kill_a_watcher_and_a_sender_midway_nothing_lost_nothing_twice(
    store_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    corpus = build_corpus(datetime.now(UTC))
    topics = [t["name"] for t in repository_topics()]
    store = Store.open(store_url)
    workers: list[Worker] = []
    try:
        async with FakeSlackApi(token=TOKEN) as slack, FeedServer() as server:
            publish(server, corpus, wave=0)
            feeds = [(f"Outlet {f:03d}", server.url(corpus.path(f))) for f in range(corpus.feeds)]
            config = write_config(
                tmp_path / "config.toml",
                feeds=feeds,
                poll_interval=POLL_INTERVAL,
                feed_lease=LEASE,
                delivery_lease=LEASE,
            )
            for channel in CHANNELS:
                for topic in topics:
                    store.subscribe("slack", channel, topic, "scale-test", time.time())
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK", "DISCORD"))},
                "DATABASE_URL": store_url,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "PORT": "0",
            }
            env.pop("NEWSDELTA_CRASH_AT", None)
            workers += [
                Worker.start(f"watcher{i}", ["watch"], config, env, tmp_path)
                for i in range(WATCHERS)
            ]
            workers += [
                Worker.start(f"sender{i}", ["serve", "slack"], config, env, tmp_path)
                for i in range(SENDERS)
            ]
            running = list(workers)

            async def posted_enough() -> bool:
                return sum(1 for _ in posts(slack)) >= FIRST_POSTS

            await until(posted_enough, "the first alerts reaching Slack", running)
            publish(server, corpus, wave=1)

            async def kill_busiest(table: str, holder: str, held: str) -> tuple[Worker, list]:
                """SIGKILL the process holding the most live leases in `table`; return it
                and the rows it left leased (read after its death, so truly orphaned)."""

                def busiest() -> Worker | None:
                    rows = store.db.query(
                        f"SELECT {holder} AS owner, COUNT(*) AS n FROM {table} "
                        f"WHERE {holder} IS NOT NULL AND {held} > ? "
                        f"GROUP BY {holder} ORDER BY n DESC",
                        (time.time() + 1,),
                    )
                    pids = {w.pid: w for w in running}
                    return next((pids[p] for r in rows if (p := owner_pid(r["owner"])) in pids), None)

                victim = await until(
                    lambda: asyncio.to_thread(busiest), f"a lease held in {table}", running
                )
                victim.proc.send_signal(signal.SIGKILL)
                await asyncio.to_thread(victim.proc.wait)
                running.remove(victim)
                orphans = await asyncio.to_thread(
                    store.db.query,
                    f"SELECT * FROM {table} WHERE {holder} LIKE ? AND {held} > ?",
                    (f"%:{victim.pid}", time.time()),
                )
                return victim, orphans

            watcher, orphan_feeds = await kill_busiest("feeds", "lease_owner", "lease_until")
            sender, orphan_sends = await kill_busiest("deliveries", "claimed_by", "claim_until")
            killed_at = time.time()
            publish(server, corpus, wave=2)

            def drained() -> bool:
                stored = store.db.one(
                    "SELECT COUNT(*) AS n FROM stories WHERE feed_id IS NOT NULL"
                )
                waiting = store.db.one(
                    "SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'sending')"
                )
                assert stored is not None and waiting is not None
                return stored["n"] == len(corpus.items) and waiting["n"] == 0

            await until(
                lambda: asyncio.to_thread(drained), "every item stored, outbox drained", running
            )
            drained_at = time.monotonic()
            for worker in running:
                worker.proc.send_signal(signal.SIGTERM)
            exits = {w.name: await asyncio.to_thread(w.proc.wait, 60) for w in running}
            posted = Counter(posts(slack))
    finally:
        for worker in workers:
            if worker.proc.poll() is None:
                worker.proc.kill()
                worker.proc.wait()
        rows = _tables(store)
        store.close()

    alerts, stories, feeds_now, deliveries = rows
    expected = {(a["id"], c) for a in alerts for c in CHANNELS}
    duplicates = {pair: n for pair, n in posted.items() if n > 1}
    lost = expected - set(posted)
    stray = set(posted) - expected
    print(
        f"\nscale-out: {corpus.feeds} feeds, {len(corpus.items)} items "
        f"({len(corpus.of('original'))} stories, {len(corpus.of('copy'))} copies, "
        f"{len(corpus.of('filler'))} filler); {len(alerts)} alerts, {len(deliveries)} "
        f"deliveries, {sum(posted.values())} Slack posts; kills: {watcher.name} "
        f"({len(orphan_feeds)} feeds leased), {sender.name} ({len(orphan_sends)} deliveries "
        f"claimed); duplicates {len(duplicates)}, losses {len(lost)}; "
        f"drained {drained_at - started:.1f} s after start"
    )

    assert exits == {w.name: 0 for w in workers if w not in (watcher, sender)}
    assert watcher.proc.returncode == sender.proc.returncode == -signal.SIGKILL

    # Slack: every alert exactly once in each channel.
    assert duplicates == {}, "alerts posted twice in a channel"
    assert lost == set(), "alerts never posted"
    assert stray == set(), "posts for alerts the store does not have"

    # The store: each item judged once; one alert per distinct story, none for the copies.
    by_link = {item.link: item for item in corpus.items}
    judged = Counter(s["link"] for s in stories)
    assert judged == Counter(item.link for item in corpus.items), "a story judged twice"
    alerted = Counter(by_link[a["link"]].group for a in alerts)
    assert alerted == Counter({item.group: len(topics) for item in corpus.of("original")})
    for item in corpus.of("copy"):
        verdicts = {s["link"]: s["verdict"] for s in stories if by_link[s["link"]].group == item.group}
        assert sorted(verdicts.values())[-1] == "retelling", verdicts

    # The dead processes' work was taken over after their leases ran out.
    assert orphan_feeds, f"{watcher.name} held no feed lease when it was killed"
    assert orphan_sends, f"{sender.name} held no delivery when it was killed"
    polled_again = {f["id"]: f["last_success_at"] for f in feeds_now}
    assert all(polled_again[f["id"]] > killed_at - 1 for f in orphan_feeds)
    sent = {d["id"]: d for d in deliveries}
    assert all(sent[d["id"]]["status"] == "sent" for d in orphan_sends)
    assert all(sent[d["id"]]["attempts"] >= 2 for d in orphan_sends)


def _tables(store: Store) -> tuple[list[dict[str, Any]], ...]:
    """What the store holds at the end: alerts (with their story's link), stories, feeds,
    deliveries."""
    return (
        store.db.query(
            "SELECT a.id, a.kind, s.link FROM alerts a LEFT JOIN stories s ON s.id = a.story_id"
        ),
        store.db.query("SELECT link, verdict FROM stories WHERE feed_id IS NOT NULL"),
        store.db.query("SELECT id, last_success_at FROM feeds"),
        store.db.query("SELECT id, status, attempts FROM deliveries"),
    )
