"""The store on SQLite and PostgreSQL: migrations, feeds' leases, the outbox's memory."""

from __future__ import annotations

from datetime import UTC, datetime

from watchers.models import FactRecord, FeedSource, Judgement, Story, Verdict
from watchers.store import PollOutcome, Store
from watchers.store.migrations import MIGRATIONS, migrate


def _judgement(verdict: Verdict = Verdict.NEW_STORY, keys=(1, 2, 3)) -> Judgement:
    return Judgement(
        verdict=verdict,
        topics=("russia-iran",),
        why="test",
        facts=(FactRecord("The Duma voted 412 to 3.", keys=keys, is_new=True),),
        story_keys=keys,
    )


def _story(key: str = "guid:1") -> Story:
    return Story(
        key=key,
        title="T",
        text="x",
        source="Wire",
        link="https://w.example/1",
        published=datetime(2025, 2, 1, tzinfo=UTC),
    )


def test_migrations_are_idempotent(store: Store) -> None:
    assert migrate(store.db) == len(MIGRATIONS)
    assert store.db.one("SELECT COUNT(*) AS n FROM schema_version")["n"] == len(MIGRATIONS)


def test_due_feeds_are_leased_once_until_the_poll_finishes(store: Store) -> None:
    store.sync_feeds([FeedSource("A", "https://a.example/rss")], now=100.0)
    first = store.lease_due_feeds("w1", now=100.0, limit=10, lease_s=60)
    assert [f["name"] for f in first] == ["A"]
    assert store.lease_due_feeds("w2", now=101.0, limit=10, lease_s=60) == []
    row = store.finish_poll(first[0]["id"], "w1", PollOutcome(True, 700.0, etag='"e1"'), 102.0)
    assert (row["etag"], row["next_check_at"], row["successes"]) == ('"e1"', 700.0, 1)
    assert store.lease_due_feeds("w2", now=699.0, limit=10, lease_s=60) == []
    assert len(store.lease_due_feeds("w2", now=700.0, limit=10, lease_s=60)) == 1


def test_a_dead_holders_lease_expires(store: Store) -> None:
    store.sync_feeds([FeedSource("A", "https://a.example/rss")], now=0.0)
    store.lease_due_feeds("dead", now=0.0, limit=10, lease_s=60)
    assert store.lease_due_feeds("alive", now=59.0, limit=10, lease_s=60) == []
    assert len(store.lease_due_feeds("alive", now=61.0, limit=10, lease_s=60)) == 1


def test_failures_count_up_and_a_success_resets_them(store: Store) -> None:
    store.sync_feeds([FeedSource("A", "https://a.example/rss")], now=0.0)
    fid = store.feeds()[0]["id"]
    for n in (1, 2):
        row = store.finish_poll(fid, "w", PollOutcome(False, 10.0 * n, error="HTTP 500"), 1.0)
        assert (row["failures"], row["last_error"]) == (n, "HTTP 500")
    row = store.finish_poll(fid, "w", PollOutcome(True, 99.0), 2.0)
    assert (row["failures"], row["last_error"]) == (0, None)


def test_recording_a_story_fans_its_alert_out_to_current_subscriptions(store: Store) -> None:
    store.subscribe("chat", "C1", "russia-iran", "u", 1.0)
    store.subscribe("chat", "C2", "other-topic", "u", 1.0)
    with store.db.transaction():
        sid, alerts = store.record_story(
            _story(),
            _judgement(),
            feed_id=None,
            label="l",
            alerts=[("russia-iran", {"h": 1})],
            now=2.0,
        )
    assert len(alerts) == 1
    claimed = store.claim_deliveries(["chat"], "s", now=3.0, lease_s=60, limit=10)
    assert [(d.channel, d.payload) for d in claimed] == [("C1", {"h": 1})]
    assert store.facts_of([sid])[0].text == "The Duma voted 412 to 3."


def test_knowledge_finds_facts_and_stories_by_shared_keys(store: Store) -> None:
    with store.db.transaction():
        store.record_story(
            _story(), _judgement(keys=(5, 6, 7)), feed_id=None, label="l", alerts=[], now=1.0
        )
    [(fact, shared)] = store.similar_facts([6, 7, 99])
    assert (fact.source, shared) == ("Wire", 2)
    [(story, shared)] = store.similar_stories([5, 6, 7])
    assert (story.label, shared, story.cluster_id) == ("l", 3, story.id)
    assert store.similar_facts([1000]) == []


def test_a_delivery_is_claimed_once_and_a_stale_claim_comes_back_maybe_sent(store: Store) -> None:
    store.subscribe("chat", "C1", "*", "u", 1.0)
    with store.db.transaction():
        store.record_story(
            _story(), _judgement(), feed_id=None, label="l", alerts=[("russia-iran", {})], now=2.0
        )
    [d] = store.claim_deliveries(["chat"], "s1", now=3.0, lease_s=60, limit=10)
    assert not d.maybe_sent
    assert store.claim_deliveries(["chat"], "s2", now=4.0, lease_s=60, limit=10) == []
    [again] = store.claim_deliveries(["chat"], "s2", now=64.0, lease_s=60, limit=10)
    assert (again.id, again.maybe_sent, again.key) == (d.id, True, d.key)
    store.mark_sent(again, "ref-1", 65.0)
    assert store.claim_deliveries(["chat"], "s3", now=999.0, lease_s=60, limit=10) == []
    assert store.thread_ref(again.cluster_id, "chat", "C1") == "ref-1"


def test_a_new_subscription_gets_only_later_alerts(store: Store) -> None:
    with store.db.transaction():
        store.record_story(
            _story("guid:old"),
            _judgement(),
            feed_id=None,
            label="l",
            alerts=[("russia-iran", {})],
            now=1.0,
        )
    store.subscribe("chat", "C1", "russia-iran", "u", 2.0)
    with store.db.transaction():
        store.record_story(
            _story("guid:new"),
            _judgement(),
            feed_id=None,
            label="l",
            alerts=[("russia-iran", {})],
            now=3.0,
        )
    assert len(store.claim_deliveries(["chat"], "s", now=4.0, lease_s=60, limit=10)) == 1


def test_a_notice_is_raised_once_per_dedupe_key(store: Store) -> None:
    store.subscribe("chat", "C1", "russia-iran", "u", 1.0)
    assert store.add_notice("feed:1:down:3", {"headline": "down"}, 2.0) is not None
    assert store.add_notice("feed:1:down:3", {"headline": "down"}, 2.0) is None
    [d] = store.claim_deliveries(["chat"], "s", now=3.0, lease_s=60, limit=10)
    assert d.kind == "notice"


def test_paths_in_sqlite_urls_are_created(tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'deep' / 'er' / 'x.db'}")
    store.close()
    assert (tmp_path / "deep" / "er" / "x.db").is_file()
