"""The spine end to end: a loopback feed → fetch → parse → topics → verdict → store → outbox.

Every test polls real HTTP on loopback with the real fetcher, judges with the shipped topic
against the seed articles, and records into a real store (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Config
from bot.delivery import Deliverer
from tests.fakes.feed_server import FeedServer
from tests.fakes.recording_platform import RecordingPlatform
from watchers.fetch import Fetcher
from watchers.models import FeedSource
from watchers.pipeline import PassReport, Pipeline, PipelineSettings
from watchers.store import Store

FEEDS = Path(__file__).parent / "feeds"
TEN_YEARS = 10 * 365 * 86_400
MAY_2025 = datetime(2025, 5, 1, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float = MAY_2025) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="newsdelta-test", timeout=0.5) as f:
        yield f


def make_pipeline(
    store: Store, config: Config, fetcher: Fetcher, *, max_age: int = TEN_YEARS, clock=None
) -> Pipeline:
    pipeline = Pipeline(
        store,
        config.topics,
        PipelineSettings(first_poll_max_age=max_age, poll_interval=600),
        fetcher=fetcher,
        clock=clock or Clock(),
    )
    pipeline.load_seeds(config.settings.seeds_dir)
    store.subscribe("chat", "C1", "russia-iran", "test", 0.0)
    return pipeline


def serve(server: FeedServer, store: Store, *names: str) -> None:
    for name in names:
        server.set(f"/{name}", (FEEDS / name).read_bytes())
    store.sync_feeds([FeedSource(name, server.url(f"/{name}")) for name in names], 0.0)


def verdicts(store: Store) -> dict[str, str]:
    rows = store.db.query("SELECT title, verdict FROM stories WHERE verdict <> 'seed'")
    return {r["title"]: r["verdict"] for r in rows}


async def test_seeds_load_once(store: Store, config: Config, fetcher: Fetcher) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    assert pipeline.load_seeds(config.settings.seeds_dir) == 0
    seeds = store.db.query("SELECT label FROM stories WHERE verdict = 'seed' ORDER BY label")
    assert [r["label"] for r in seeds] == ["000_d691e28cc619d387.txt", "002_28b1c72fac049799.txt"]


async def test_transliterated_names_match_and_a_retelling_stays_silent(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "transliterated.xml")
    report = await pipeline.poll_due()
    assert report.verdicts == {"retelling": 1} and report.alerts == 0


async def test_a_syndicated_copy_of_a_seed_is_a_retelling(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "syndicated.xml")
    report = await pipeline.poll_due()
    assert report.verdicts == {"retelling": 1}
    assert store.claim_deliveries(["chat"], "t", 1e12, 60, 10) == []


async def test_an_added_paragraph_is_a_new_detail_quoting_only_it(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "added_paragraph.xml")
    report = await pipeline.poll_due()
    assert report.verdicts == {"new_detail": 1} and report.alerts == 1
    [delivery] = store.claim_deliveries(["chat"], "t", 1e12, 60, 10)
    facts = [f["text"] for f in delivery.payload["facts"]]
    assert facts == [
        "Iran's parliament ratified the treaty on 12 March by 198 votes to 11, with 6 abstentions."
    ]
    assert delivery.payload["facts"][0]["source"] == "added_paragraph.xml"
    assert "1 fact not in any known story" in delivery.payload["why"]


async def test_a_story_about_another_treaty_is_off_topic(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "other_treaty.xml")
    report = await pipeline.poll_due()
    assert report.verdicts == {"off_topic": 1} and report.alerts == 0


async def test_a_feed_without_guids_gets_stable_keys_and_no_realert(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "no_guids.xml")
    first = await pipeline.poll_due()
    server.set("/no_guids.xml", (FEEDS / "no_guids.xml").read_bytes(), validators=False)
    store.db.execute("UPDATE feeds SET next_check_at = 0, etag = NULL, last_modified = NULL")
    second = await pipeline.poll_due()
    assert sum(first.verdicts.values()) == 3
    assert sum(second.verdicts.values()) == 0  # same keys: nothing judged twice


async def test_a_304_is_not_modified_and_judges_nothing(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "added_paragraph.xml")
    await pipeline.poll_due()
    store.db.execute("UPDATE feeds SET next_check_at = 0")
    second = await pipeline.poll_due()
    assert (second.feeds, second.not_modified, sum(second.verdicts.values())) == (1, 1, 0)
    conditional = server.requests_for("/added_paragraph.xml")[-1].headers
    assert conditional["if-none-match"].startswith('"')


async def test_a_timeout_is_one_line_and_the_other_feeds_keep_working(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "added_paragraph.xml")
    server.set("/slow.xml", b"<rss/>", delay=2.0)
    store.sync_feeds([FeedSource("Slow Wire", server.url("/slow.xml"))], 0.0)
    report = await pipeline.poll_due()
    assert report.verdicts == {"new_detail": 1}
    [error] = report.errors
    assert error.startswith("feed 'Slow Wire' (http://127.0.0.1:") and "timeout" in error
    assert "\n" not in error
    slow = next(f for f in store.feeds() if f["name"] == "Slow Wire")
    assert slow["failures"] == 1 and slow["next_check_at"] > MAY_2025


async def test_a_malformed_feed_is_a_one_line_feed_error(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    pipeline = make_pipeline(store, config, fetcher)
    serve(server, store, "malformed.xml", "added_paragraph.xml")
    report = await pipeline.poll_due()
    [error] = report.errors
    assert error.startswith("feed 'malformed.xml'") and "\n" not in error
    assert report.verdicts == {"new_detail": 1}


@pytest.mark.parametrize(("today", "alerts"), [("2025-03-13", 1), ("2025-03-20", 0)])
async def test_a_first_poll_alerts_only_items_younger_than_the_max_age(
    store: Store, config: Config, fetcher: Fetcher, server: FeedServer, today: str, alerts: int
) -> None:
    clock = Clock(datetime.fromisoformat(today).replace(tzinfo=UTC).timestamp())
    pipeline = make_pipeline(store, config, fetcher, max_age=2 * 86_400, clock=clock)
    serve(server, store, "added_paragraph.xml")  # published 2025-03-12 12:30 UTC
    report = await pipeline.poll_due()
    assert report.verdicts == {"new_detail": 1} and report.alerts == alerts


async def test_a_restart_neither_resends_nor_drops(
    store_url: str, config: Config, fetcher: Fetcher, server: FeedServer
) -> None:
    store = Store.open(store_url)
    pipeline = make_pipeline(store, config, fetcher)
    store.subscribe("chat", "C2", "russia-iran", "test", 0.0)
    serve(server, store, "added_paragraph.xml")
    await pipeline.poll_due()
    chat = RecordingPlatform()
    died_holding = store.claim_deliveries(["chat"], "died", Clock()(), 60, 1)
    store.close()  # the sender died holding C1's delivery; C2's was never claimed

    store = Store.open(store_url)
    store.release_claims()
    assert await Deliverer(store, {"chat": chat}, clock=Clock()).drain() == 2
    store.close()
    store = Store.open(store_url)
    assert await Deliverer(store, {"chat": chat}, clock=Clock()).drain() == 0
    store.close()
    assert sorted(s.channel for s in chat.sent) == ["C1", "C2"]
    assert len(died_holding) == 1


def test_pass_report_reads_as_one_line() -> None:
    report = PassReport(feeds=2, not_modified=1)
    report.verdicts.update({"retelling": 3, "new_story": 1})
    assert report.line() == (
        "2 feeds polled (1 unchanged, 0 failed); 4 new items: 1 new stories, 0 new details, "
        "3 retellings suppressed, 0 off topic; 0 alerts"
    )
