"""What the store keeps for the pages (watchers/store/pages.py), on SQLite and PostgreSQL:
repeats and conflicts recorded with the story that states them, a topic's stories by event,
the chart's day counts — and the backfill that builds the same rows for a store that held
stories before migration 3.
"""

from __future__ import annotations

from bot.config import Config
from tests.web_support import TOPIC, read_demo_feeds
from watchers.store import Store
from watchers.store.migrations import MIGRATIONS

BACKFILL = [s for s in MIGRATIONS[2] if s.lstrip().startswith("INSERT")]


def fact_id(store: Store, text_start: str) -> int:
    found = store.facts_matching([text_start.lower()], limit=5)
    assert found, text_start
    return found[-1].id  # the oldest of those that say it


def test_a_retelling_records_which_known_facts_it_says_again(store: Store, config: Config) -> None:
    read_demo_feeds(store, config)
    seed_fact = fact_id(store, "According to Interfax, the agreement stipulates")
    repeats = store.repeats([seed_fact])[seed_fact]
    assert repeats["outlets"] == 2 and repeats["stories"] == 3
    assert repeats["first_source"] == "Demo Wire"


def test_a_contradiction_is_recorded_once_beside_both_facts(store: Store, config: Config) -> None:
    read_demo_feeds(store, config)
    wire = fact_id(store, "ratified the 20-year strategic partnership treaty with russia by 198")
    gulf = fact_id(store, "ratified the 20-year strategic partnership pact with russia by 197")
    rows = store.conflicts_about([wire])
    assert [(r["fact_id"], r["other_id"]) for r in rows] == [(gulf, wire)]
    assert rows[0]["note"] == 'vote differs: "197 votes to 11" vs "198 votes to 11"'


def test_the_topic_knows_its_events_and_its_days(store: Store, config: Config) -> None:
    read_demo_feeds(store, config)
    events = store.topic_cluster_ids(TOPIC, newest_first=False)
    assert len(events) == 3  # the two seeds' events and the naval exercise
    assert store.topic_cluster_ids(TOPIC, newest_first=False, after=events[0]) == events[1:]
    days = store.coverage(TOPIC)
    assert sum(d["stories"] for d in days) == 9 and sum(d["retellings"] for d in days) == 3
    assert [d["day"] for d in days] == sorted(d["day"] for d in days)


def test_the_backfill_builds_what_recording_builds(store: Store, config: Config) -> None:
    read_demo_feeds(store, config)
    recorded = (store.topic_cluster_ids(TOPIC, limit=100), store.coverage(TOPIC))
    with store.db.transaction():
        store.db.execute("DELETE FROM topic_clusters")
        store.db.execute("DELETE FROM topic_days")
        for statement in BACKFILL:
            store.db.execute(statement)
    assert (store.topic_cluster_ids(TOPIC, limit=100), store.coverage(TOPIC)) == recorded
