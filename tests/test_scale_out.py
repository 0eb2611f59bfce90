"""Scaled out over PostgreSQL: watchers and senders share one database and survive SIGKILL.

Three `newsdelta watch` and two `newsdelta serve slack` processes run against one fresh
PostgreSQL schema, 200 loopback feeds and the fake Slack Web API, with channels C1 and C2
subscribed. The feeds fill in three waves of generated news (tests/scale/corpus.py):
distinct on-topic stories, verbatim copies of some of them on other feeds, and off-topic
filler. Once the first alerts have reached Slack, the second wave is published and the
watcher holding the most feed leases is SIGKILLed; then the third wave. When half of the
expected messages are in Slack, the sender holding the most claimed deliveries is SIGKILLed.
The survivors must take the dead processes' feeds and deliveries over once the (short)
`feed_lease` and `delivery_lease` run out. When every item is stored and the outbox is
drained, the survivors stop on SIGTERM, and the outcome is checked: every alert posted
exactly once in each channel, no story judged twice, no syndicated copy alerting.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
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
LEASE = 5  # seconds, feed_lease and delivery_lease: how long a dead holder blocks its work
FIRST_POSTS = 16  # Slack messages seen before the second wave and the watcher's death
STAGE_TIMEOUT = 120.0  # seconds for any one stage before the test gives up, saying where

T = TypeVar("T")
Rows = list[dict[str, Any]]


def publish(server: FeedServer, corpus: Corpus, wave: int) -> None:
    for feed in range(corpus.feeds):
        server.set(corpus.path(feed), corpus.document(feed, wave))


def posts(slack: FakeSlackApi) -> Counter[tuple[int, str]]:
    """How often Slack shows each (alert id, channel); continuation parts left out."""
    seen: Counter[tuple[int, str]] = Counter()
    for channel, messages in list(slack.messages.items()):
        for message in list(messages):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if "key" in payload and "part" not in payload:
                seen[int(payload["key"].split("-")[1]), channel] += 1
    return seen


async def until(check: Callable[[], Awaitable[T]], what: str, workers: list[Worker]) -> T:
    """Poll `check` until it returns something true; fail naming `what`, with the logs,
    after `STAGE_TIMEOUT` or as soon as a process meant to be running has exited."""
    deadline = time.monotonic() + STAGE_TIMEOUT
    while not (result := await check()):
        exited = [w for w in workers if w.proc.poll() is not None]
        if exited or time.monotonic() > deadline:
            reason = "a process exited" if exited else f"not after {STAGE_TIMEOUT:.0f} s"
            pytest.fail(f"{what}: {reason}\n" + "\n".join(w.tail() for w in workers))
        await asyncio.sleep(0.2)
    return result


async def kill_busiest(
    store: Store, running: list[Worker], table: str, holder: str, until_column: str
) -> tuple[Worker, Rows, float]:
    """SIGKILL the running process holding the most live leases in `table`. Returns it, the
    rows it left leased (read after its death: truly orphaned) and the time it died."""

    def busiest() -> Worker | None:
        rows = store.db.query(
            f"SELECT {holder} AS owner, COUNT(*) AS n FROM {table} WHERE {until_column} > ? "
            f"AND {holder} IS NOT NULL GROUP BY {holder} ORDER BY n DESC",
            (time.time() + 1,),
        )
        by_pid = {w.pid: w for w in running}
        return next((by_pid[p] for r in rows if (p := owner_pid(r["owner"])) in by_pid), None)

    def session_gone() -> bool:  # PostgreSQL has finished what the dead process had sent
        row = store.db.one(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = ?",
            (victim.name,),
        )
        return bool(row and row["n"] == 0)

    holding = f"a process holding a lease in {table}"
    victim = await until(lambda: asyncio.to_thread(busiest), holding, running)
    victim.proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(victim.proc.wait)
    running.remove(victim)
    await until(lambda: asyncio.to_thread(session_gone), f"{victim.name}'s session", running)
    died = time.time()
    orphans = await asyncio.to_thread(
        store.db.query,
        f"SELECT id FROM {table} WHERE {holder} LIKE ? AND {until_column} > ?",
        (f"%:{victim.pid}", died),
    )
    return victim, orphans, died


def drained(store: Store, items: int) -> bool:
    """Every item of every feed stored, and no delivery waiting or in flight."""
    stored = store.db.one("SELECT COUNT(*) AS n FROM stories WHERE feed_id IS NOT NULL")
    waiting = store.db.one(
        "SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'sending')"
    )
    return bool(stored and waiting and stored["n"] == items and waiting["n"] == 0)


def worker_env(store_url: str, slack: FakeSlackApi, name: str) -> dict[str, str]:
    """The environment of one process; its database session is named after it."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "NEWSDELTA_CRASH"))
    }
    separator = "&" if "?" in store_url else "?"
    return {
        **inherited,
        "DATABASE_URL": f"{store_url}{separator}application_name={name}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": "0",
    }


async def test_a_watcher_and_a_sender_die_midway_nothing_lost_nothing_twice(
    store_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    corpus = build_corpus(datetime.now(UTC))
    topics = [t["name"] for t in repository_topics()]
    expected_posts = len(corpus.of("original")) * len(topics) * len(CHANNELS)
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
            tag = uuid.uuid4().hex[:8]  # session names unique on a shared server
            roles = [(f"watcher{i}-{tag}", ["watch"]) for i in range(WATCHERS)]
            roles += [(f"sender{i}-{tag}", ["serve", "slack"]) for i in range(SENDERS)]
            for name, role in roles:
                env = worker_env(store_url, slack, name)
                workers.append(Worker.start(name, role, config, env, tmp_path))
            running = list(workers)

            async def posted(count: int) -> bool:
                return posts(slack).total() >= count

            await until(lambda: posted(FIRST_POSTS), "the first alerts in Slack", running)
            publish(server, corpus, wave=1)
            watcher, orphan_feeds, watcher_died = await kill_busiest(
                store, running, "feeds", "lease_owner", "lease_until"
            )
            publish(server, corpus, wave=2)
            await until(lambda: posted(expected_posts // 2), "half the alerts in Slack", running)
            sender, orphan_sends, _ = await kill_busiest(
                store, running, "deliveries", "claimed_by", "claim_until"
            )
            await until(
                lambda: asyncio.to_thread(drained, store, len(corpus.items)),
                "every item stored and the outbox drained",
                running,
            )
            run_time = time.monotonic() - started
            for worker in running:
                worker.proc.send_signal(signal.SIGTERM)
            exits = {w.name: await asyncio.to_thread(w.proc.wait, 60) for w in running}
            shown = posts(slack)
    finally:
        for worker in workers:
            if worker.proc.poll() is None:
                worker.proc.kill()
                worker.proc.wait()
        alerts, stories, feeds_after, deliveries = _tables(store)
        store.close()

    expected = {(a["id"], channel) for a in alerts for channel in CHANNELS}
    duplicates = {pair: n for pair, n in shown.items() if n > 1}
    lost = expected - set(shown)
    print(
        f"\nscale-out: {corpus.feeds} feeds, {len(corpus.items)} items "
        f"({len(corpus.of('original'))} stories, {len(corpus.of('copy'))} copies, "
        f"{len(corpus.of('filler'))} filler); {len(alerts)} alerts, {len(deliveries)} "
        f"deliveries, {shown.total()} Slack messages; killed {watcher.name} holding "
        f"{len(orphan_feeds)} feeds and {sender.name} holding {len(orphan_sends)} deliveries; "
        f"{len(duplicates)} duplicates, {len(lost)} lost; drained in {run_time:.1f} s"
    )
    assert watcher.proc.returncode == sender.proc.returncode == -signal.SIGKILL
    assert {a["kind"] for a in alerts} == {"alert"}, "no notice: no feed ever failed"
    assert exits == dict.fromkeys(exits, 0), "survivors stop cleanly on SIGTERM"

    # Slack: every alert exactly once in each channel, nothing else.
    assert duplicates == {}, "alerts posted twice in a channel"
    assert lost == set(), "alerts never posted"
    assert set(shown) == expected, "messages for alerts the store does not have"

    # The store: each item judged once; one alert per distinct story, none for the copies.
    by_link = {item.link: item for item in corpus.items}
    judged = Counter(s["link"] for s in stories)
    assert judged == Counter(by_link.keys()), "an item judged twice, or never"
    alerted = Counter(by_link[a["link"]].group for a in alerts)
    assert alerted == Counter({item.group: len(topics) for item in corpus.of("original")})
    groups_with_copies = {item.group for item in corpus.of("copy")}
    for group in groups_with_copies:
        verdicts = Counter(s["verdict"] for s in stories if by_link[s["link"]].group == group)
        assert verdicts["retelling"] == sum(1 for i in corpus.items if i.group == group) - 1

    # The dead processes' work was taken over once their leases ran out.
    assert orphan_feeds, f"{watcher.name} held no feed lease when it died"
    assert orphan_sends, f"{sender.name} held no delivery when it died"
    polled = {f["id"]: f["last_success_at"] or 0.0 for f in feeds_after}
    assert all(polled[f["id"]] > watcher_died for f in orphan_feeds)
    final = {d["id"]: d for d in deliveries}
    assert all(final[d["id"]]["status"] == "sent" for d in orphan_sends)
    assert all(final[d["id"]]["attempts"] >= 2 for d in orphan_sends)


def _tables(store: Store) -> tuple[Rows, Rows, Rows, Rows]:
    """At the end: alerts (with their story's link), stories from feeds, feeds, deliveries."""
    return (
        store.db.query(
            "SELECT a.id, a.kind, s.link FROM alerts a LEFT JOIN stories s ON s.id = a.story_id"
        ),
        store.db.query("SELECT link, verdict FROM stories WHERE feed_id IS NOT NULL"),
        store.db.query("SELECT id, last_success_at FROM feeds"),
        store.db.query("SELECT id, status, attempts FROM deliveries"),
    )
