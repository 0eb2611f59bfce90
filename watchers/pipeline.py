"""The pipeline: the one module that wires every stage of news-in.

    due feed ─► fetch ─► parse (in a thread) ─► per story, in published order:
        seen key? skip ─► topics ─► verdict against Knowledge ─► store.record_story
                                     (story + facts + alerts + deliveries: one transaction)

`Pipeline.poll_due()` is what the scheduler ticks; `assess()` is the pure verdict used by
`poll`, `replay` and `eval` alike. Judging and recording a story happen under one write
transaction and the verdict lock, so two copies of a wire story arriving at once cannot
both be "new". A feed's first poll records its backlog but alerts only items younger than
`first_poll_max_age`; topics made in chat are re-read from the store at each pass, and
alert likewise only on items that young when the topic was made. Failures never disable a
feed; after `failures_before_warning` failures in a row one notice goes out, and one more
when the feed recovers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import schedule
from .crash import crash_point
from .engine.facts import fact_records, story_keys
from .engine.meaning import Meaning, embedder
from .engine.verdict import judge
from .fetch import Fetcher
from .models import Judgement, Knowledge, Story, Topic, Verdict
from .parse import parse_feed
from .payload import alert_payload, notice_payload
from .seeds import load_seeds
from .store import VERDICT_LOCK, PollOutcome, Store
from .store.db import Row
from .topics import TopicMatcher

log = logging.getLogger("newsdelta.pipeline")

ALERTING = (Verdict.NEW_DETAIL, Verdict.NEW_STORY)


@dataclass(frozen=True)
class PipelineSettings:
    poll_interval: int = 600
    first_poll_max_age: int = 86_400
    max_items_per_feed: int = 500
    failures_before_warning: int = 3
    lease_s: float = 300.0
    embedding: str = "wordllama"  # the sentence-embedding model (`engine.meaning.embedder`)


@dataclass
class PassReport:
    """What one pass did: feeds polled/failed, verdicts counted, alerts raised."""

    feeds: int = 0
    not_modified: int = 0
    failed: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        v = self.verdicts
        return (
            f"{self.feeds} feeds polled ({self.not_modified} unchanged, {self.failed} failed); "
            f"{sum(v.values())} new items: {v['new_story']} new stories, "
            f"{v['new_detail']} new details, {v['retelling']} retellings suppressed, "
            f"{v['off_topic']} off topic; {self.alerts} alerts"
        )


def _published_order(stories: Sequence[Story]) -> list[Story]:
    """Oldest first; an undated item keeps its place after the dated item before it."""
    keyed, last = [], datetime.min.replace(tzinfo=UTC)
    for index, story in enumerate(stories):
        last = story.published or last
        keyed.append((last, index, story))
    return [s for _, _, s in sorted(keyed, key=lambda t: (t[0], t[1]))]


class Pipeline:
    def __init__(
        self,
        store: Store,
        topics: Sequence[Topic],
        settings: PipelineSettings,
        *,
        fetcher: Fetcher | None = None,
        owner: str = "watcher",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.config_topics = tuple(topics)
        self.topics = {t.name: t for t in topics}
        self.matcher = TopicMatcher(list(topics))
        self.made_at: dict[str, float] = {}  # topics made in chat: when (first-poll rule)
        self.settings = settings
        self.fetcher = fetcher
        self.owner = owner
        self.clock = clock
        model = embedder(settings.embedding)
        self.meaning = Meaning(model) if model is not None else None

    # -- verdicts ----------------------------------------------------------------------
    def assess(self, story: Story, knowledge: Knowledge) -> Judgement:
        """Topic match, then the verdict against what is known. No writes."""
        matches = self.matcher.match(story)
        kept = [
            m
            for m in matches
            if not (
                (since := self.topics[m.topic].since)
                and story.published is not None
                and story.published < since
            )
        ]
        if not kept:
            why = "off topic: " + (
                "published before the topic's start date"
                if matches
                else self.matcher.explain_miss(story)
            )
            return Judgement(verdict=Verdict.OFF_TOPIC, topics=(), why=why)
        judgement = judge(story, tuple(m.topic for m in kept), knowledge, self.meaning)
        return judgement

    def ingest(self, story: Story, *, feed_id: int | None, alert: bool) -> Judgement | None:
        """Judge and record one story; None when its key is already known. A lost database
        connection judges it again on a fresh one (nothing of the first try was committed)."""
        return self.store.db.retry(self._ingest_once, story, feed_id=feed_id, alert=alert)

    def _ingest_once(self, story: Story, *, feed_id: int | None, alert: bool) -> Judgement | None:
        now = self.clock()
        with self.store.db.transaction(lock_key=VERDICT_LOCK):
            if self.store.story_id(story.key) is not None:
                return None
            judgement = self.assess(story, self.store)
            alerts = (
                [
                    (t, alert_payload(story, judgement, t))
                    for t in judgement.topics
                    if self._news_to(t, story)
                ]
                if alert and judgement.verdict in ALERTING
                else []
            )
            label = story.link or story.key
            self.store.record_story(
                story, judgement, feed_id=feed_id, label=label, alerts=alerts, now=now
            )
            crash_point("mid_transaction")
        return judgement

    def load_seeds(self, folder: Path) -> int:
        """Record the seed articles as known stories (once); returns how many were new."""
        added = 0
        for story, label in load_seeds(folder):
            with self.store.db.transaction(lock_key=VERDICT_LOCK):
                if self.store.story_id(story.key) is not None:
                    continue
                judgement = Judgement(
                    verdict=Verdict.NEW_STORY,
                    topics=tuple(self.topics),
                    why="seed article",
                    facts=fact_records(story),
                    story_keys=story_keys(story),
                )
                self.store.record_story(
                    story,
                    judgement,
                    feed_id=None,
                    label=label,
                    alerts=[],
                    now=self.clock(),
                    verdict="seed",
                )
                added += 1
        return added

    # -- topics made in chat ----------------------------------------------------------
    def refresh_topics(self) -> None:
        """Take up the topics made in chat (the store's list) beside the configured ones;
        called at each poll pass, so a topic made, edited or removed counts from the next."""
        configured = {t.name for t in self.config_topics}
        chat = [c for c in self.store.chat_topics() if c.topic.name not in configured]
        topics = (*self.config_topics, *(c.topic for c in chat))
        self.made_at = {c.topic.name: c.created_at for c in chat}
        if topics != tuple(self.topics.values()):
            self.topics = {t.name: t for t in topics}
            self.matcher = TopicMatcher(list(topics))

    def _news_to(self, topic: str, story: Story) -> bool:
        """A topic made in chat alerts, like a new feed's first poll, only on items younger
        than `first_poll_max_age` when it was made: older ones are its backlog."""
        made = self.made_at.get(topic)
        if made is None or story.published is None:
            return True
        return story.published.timestamp() >= made - self.settings.first_poll_max_age

    # -- polling -----------------------------------------------------------------------
    async def poll_due(self, limit: int = 200) -> PassReport:
        """Lease the due feeds and poll them concurrently (the fetcher bounds how many)."""
        return await self.poll_leased(await self.lease_due(limit))

    async def lease_due(self, limit: int = 200) -> list[Row]:
        """Lease up to `limit` due feeds (topics made in chat re-read first)."""
        await asyncio.to_thread(self.refresh_topics)
        return await asyncio.to_thread(
            self.store.lease_due_feeds, self.owner, self.clock(), limit, self.settings.lease_s
        )

    async def poll_leased(self, rows: Sequence[Row]) -> PassReport:
        """Poll feeds this pipeline leased, concurrently; their leases end with the poll."""
        report = PassReport()
        await asyncio.gather(*(self.poll_feed(row, report) for row in rows))
        return report

    async def poll_feed(self, feed: Row, report: PassReport) -> None:
        assert self.fetcher is not None, "polling needs a fetcher"
        report.feeds += 1
        interval = float(feed["interval_s"] or self.settings.poll_interval)
        started = self.clock()  # the next poll is due an interval after this one began
        result = await self.fetcher.fetch(
            feed["url"],
            etag=feed["etag"],
            last_modified=feed["last_modified"],
            guard=feed["origin"] == "chat",
        )
        crash_point("mid_fetch")
        if result.status == "not_modified":
            report.not_modified += 1
            nxt = schedule.next_after_success(
                started, interval, retry_after=result.retry_after, max_age=result.max_age
            )
            await self._finish(feed, PollOutcome(True, nxt, result.etag, result.last_modified))
            return
        error = result.error
        parsed = None
        if result.status == "ok" and result.body is not None:
            parsed = await asyncio.to_thread(
                parse_feed,
                result.body,
                feed_url=feed["url"],
                source=feed["name"],
                max_items=self.settings.max_items_per_feed,
            )
            error = parsed.error
            if parsed.warning and not error:
                log.warning("feed %r (%s): %s", feed["name"], feed["url"], parsed.warning)
        if parsed is None or error:
            await self._fail(feed, error or "empty response", interval, result.retry_after, report)
            return
        first_poll = feed["successes"] == 0
        await asyncio.to_thread(self._ingest_all, parsed.stories, feed, first_poll, report)
        nxt = schedule.next_after_success(
            started,
            interval,
            retry_after=result.retry_after,
            max_age=result.max_age,
            ttl=parsed.ttl,
        )
        await self._finish(feed, PollOutcome(True, nxt, result.etag, result.last_modified))

    def _ingest_all(
        self, stories: Sequence[Story], feed: Row, first_poll: bool, report: PassReport
    ) -> None:
        max_age = self.settings.first_poll_max_age
        for story in _published_order(stories):
            young = story.published is not None and (
                self.clock() - story.published.timestamp() <= max_age
            )
            judgement = self.ingest(story, feed_id=feed["id"], alert=young or not first_poll)
            if judgement is None:
                continue
            report.verdicts[judgement.verdict.value] += 1
            if judgement.verdict in ALERTING and (young or not first_poll):
                report.alerts += len(judgement.topics)

    async def _fail(
        self, feed: Row, error: str, interval: float, retry_after: float | None, report: PassReport
    ) -> None:
        report.failed += 1
        line = f"feed {feed['name']!r} ({feed['url']}): {error}"
        report.errors.append(line)
        log.warning("%s", line)
        nxt = schedule.next_after_failure(
            self.clock(), interval, feed["failures"] + 1, retry_after=retry_after
        )
        await self._finish(feed, PollOutcome(False, nxt, error=error))

    async def _finish(self, feed: Row, outcome: PollOutcome) -> None:
        await asyncio.to_thread(self._record_poll, feed, outcome)

    def _record_poll(self, feed: Row, outcome: PollOutcome) -> None:
        row = self.store.finish_poll(feed["id"], self.owner, outcome, self.clock())
        self._maybe_notice(row)

    def _maybe_notice(self, feed: Row) -> None:
        """One 'failing' notice after N failures in a row, one 'recovered' after it."""
        name, threshold = feed["name"], self.settings.failures_before_warning
        if feed["failures"] >= threshold and self.store.set_feed_warned(feed["id"], True):
            payload = notice_payload(
                f"Feed {name} is failing",
                f"{feed['failures']} polls in a row failed; last error: {feed['last_error']}. "
                "It keeps being retried with backoff.",
                source=name,
            )
            self.store.add_notice(f"feed:{feed['id']}:down:{feed['polls']}", payload, self.clock())
        elif (
            feed["failures"] == 0
            and feed["warned"]
            and self.store.set_feed_warned(feed["id"], False)
        ):
            payload = notice_payload(
                f"Feed {name} has recovered", "its last poll succeeded", source=name
            )
            self.store.add_notice(f"feed:{feed['id']}:up:{feed['polls']}", payload, self.clock())
