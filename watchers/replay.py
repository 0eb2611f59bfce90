"""Replay: feed files through the real pipeline against a fresh store holding only the seeds.

The contract (kept exactly; it is how quality is measured from outside):
every item of every feed, in published-date order (an undated item keeps its file place),
is judged by the same `Pipeline.assess` as `run`, in a temporary SQLite store that holds
the seeds and — unless `dry_run` — every item replayed before it. With `dry_run` nothing is
remembered: each item is judged against the seeds alone. The live store is never touched.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .fetch import Fetcher
from .models import Judgement, Story, Topic, Verdict
from .parse import parse_feed
from .pipeline import Pipeline, PipelineSettings, _published_order
from .store import Store


class ReplayError(ValueError):
    """A feed given to replay could not be read or parsed (one line)."""


def read_feed(location: str, user_agent: str) -> bytes:
    """The bytes of a feed file path or http(s) URL."""
    if location.startswith(("http://", "https://")):

        async def fetch() -> bytes:
            async with Fetcher(user_agent=user_agent) as fetcher:
                result = await fetcher.fetch(location)
            if result.status != "ok" or result.body is None:
                raise ReplayError(f"{location}: {result.error or result.status}")
            return result.body

        return asyncio.run(fetch())
    try:
        return Path(location).read_bytes()
    except OSError as exc:
        raise ReplayError(f"{location}: {exc.strerror or exc}") from None


def load_items(locations: Sequence[str], user_agent: str, max_items: int = 100_000) -> list[Story]:
    stories: list[Story] = []
    for location in locations:
        name = Path(location).stem if "://" not in location else location
        parsed = parse_feed(
            read_feed(location, user_agent), feed_url=location, source=name, max_items=max_items
        )
        if parsed.error:
            raise ReplayError(f"{location}: {parsed.error}")
        stories.extend(parsed.stories)
    return _published_order(stories)


def row(story: Story, judgement: Judgement) -> dict[str, Any]:
    """One replay output object, exactly the documented shape."""
    dup = judgement.duplicate_of
    return {
        "link": story.link,
        "title": story.title,
        "topics": list(judgement.topics),
        "verdict": judgement.verdict.value,
        "duplicate_of": dup.label if dup else None,
        "new_details": [
            f"[{f.language}] {f.text}" if f.language else f.text for f in judgement.new_facts
        ]
        if judgement.verdict == Verdict.NEW_DETAIL
        else [],
        "summary": judgement.summary,
        "why": judgement.why,
    }


def replay(
    stories: Sequence[Story],
    topics: Sequence[Topic],
    seeds_dir: Path,
    *,
    dry_run: bool = False,
    embedding: str = "wordllama",
) -> Iterator[tuple[Story, Judgement]]:
    """Judge each story in order; yields (story, judgement)."""
    with tempfile.TemporaryDirectory(prefix="newsdelta-replay-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'replay.db'}")
        try:
            pipeline = Pipeline(store, topics, PipelineSettings(embedding=embedding))
            pipeline.load_seeds(seeds_dir)
            for story in stories:
                yield story, _judge_one(pipeline, store, story, dry_run)
        finally:
            store.close()


def _judge_one(pipeline: Pipeline, store: Store, story: Story, dry_run: bool) -> Judgement:
    seen = store.story_id(story.key)
    if seen is not None:
        known = store.stories([seen])[0]
        return Judgement(
            verdict=Verdict.RETELLING,
            topics=tuple(t for t in store.story_topics(seen) if t),
            why=f"retelling: the same item (same id or link) as {known.label}",
            duplicate_of=known,
        )
    if dry_run:
        return pipeline.assess(story, store)
    judgement = pipeline.ingest(story, feed_id=None, alert=False)
    assert judgement is not None
    return judgement
