"""`newsdelta bench`, section "pipeline": feed bytes to recorded verdicts, on a filled store.

`run(quick)` returns printable lines; `measure(spec)` the `Figures` behind them. A real SQLite
store (a temporary file) holds the shipped seeds and is filled, size after size, with
`corpus.Background` stories, their facts and their keys (`_fill`: one transaction per
`corpus.CHUNK` stories). At each size one feed document of `spec.items` new items — rewrites
of known stories (light, medium, heavy), fresh stories on the topic, and off-topic ones —
goes through `parse_feed` and `Pipeline.ingest` with the shipped topics, as a poll would.
The stages are timed inside that same pass by wrapping the pipeline's own objects: topics
(`TopicMatcher.match`), verdict (`Pipeline.assess` minus topics; off-topic stories included)
and record (`Store.record_story`), and within the verdict the sentence-embedding model's own
calls (`Meaning.model.embed`; vectors come from its cache otherwise); the rest of `ingest`
(transaction, key check, alert payloads) is "other". Reference, same bytes, same run:
`feedparser.parse` alone.
Targets: verdict cost per on-topic story at the largest size <= 2x at the smallest;
end-to-end throughput >= 0.5x feedparser's, and never below 0.02x (the floor).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import numpy as np

from bot.config import load_config
from watchers.parse import parse_feed
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

from .corpus import CHUNK, LEVELS, NO_KEY, Background, Corpus, Telling

FEED_URL = "https://news.example/bench.xml"
TARGET_VERDICT_GROWTH, TARGET_FEEDPARSER_SHARE = 2.0, 0.5
FLOOR_FEEDPARSER_SHARE = 0.02  # what the verdict with embeddings must not fall below
STAGES = ("parse", "topics", "verdict", "record", "other")


@dataclass(frozen=True)
class Spec:
    sizes: tuple[int, ...]
    items: int  # feed items judged at each size


QUICK = Spec(sizes=(1_000, 10_000), items=60)
FULL = Spec(sizes=(10_000, 100_000, 1_000_000), items=150)


@dataclass
class Size:
    """One size: the known stories, what filling cost, and the pass over one feed."""

    known: int
    facts: int
    fill_s: float
    items: int
    seconds: float  # parse_feed + every ingest
    feedparser_s: float  # feedparser.parse alone, same bytes (median of 3)
    stages: dict[str, float]  # µs per item
    verdict_us: float  # per on-topic story
    verdicts: Counter[str] = field(default_factory=Counter)
    embedding_us: float = 0.0  # of the verdict: the sentence-embedding model, per on-topic story
    embedded: int = 0  # sentences the model embedded (the rest came from its cache)


@dataclass
class Figures:
    spec: Spec
    sizes: list[Size] = field(default_factory=list)


def _feed_items(corpus: Corpus, background: Background, known: int, items: int) -> list[Telling]:
    """Rewrites of the first `known` background stories (40 %), fresh stories (30 %),
    off-topic stories (30 %)."""
    out: list[Telling] = []
    for i in range(items):
        n = known * 10 + i
        if i % 10 < 4:
            told = background.telling(n * 7919 % known)
            out.append(corpus.rewrite(told, LEVELS[i % len(LEVELS)], n))
        elif i % 10 < 7:
            out.append(corpus.story(1_000_000 + n))
        else:
            out.append(corpus.off_topic(n))
    return out


def _fill(store: Store, background: Background, start: int, stop: int) -> int:
    """Bulk load background stories start..stop-1 with their facts and keys through the
    store, one transaction per CHUNK; returns the number of facts written."""
    facts_written = 0
    for lo in range(start, stop, CHUNK):
        hi = min(stop, lo + CHUNK)
        members = background.members(lo, hi)
        keys = background.keys(lo, hi)
        with store.db.transaction():
            story_base, fact_base = store.next_ids()
            sids = np.arange(story_base, story_base + hi - lo)
            stories = []
            for i, n in enumerate(range(lo, hi)):
                t = background.telling(n)
                stories.append((
                    int(sids[i]), t.key, int(sids[i]), t.title, t.source, t.link,
                    t.published.timestamp(), t.published.timestamp(), "new_story",
                    "russia-iran", t.link, "bench background",
                ))  # fmt: skip
            row, col = np.nonzero(keys != NO_KEY)
            story_keys = list(zip(keys[row, col].tolist(), sids[row].tolist(), strict=True))
            story_of, slot = np.nonzero(members >= 0)
            sentence = members[story_of, slot]
            fids = np.arange(fact_base, fact_base + len(sentence))
            facts = [
                (fid, int(sids[s]), background.sentences[k], stories[s][4], stories[s][5],
                 stories[s][6], stories[s][7])
                for fid, s, k in zip(fids.tolist(), story_of.tolist(), sentence.tolist(),
                                     strict=True)
            ]  # fmt: skip
            fact_keys_table = background.fact_key_table[sentence]
            row, col = np.nonzero(fact_keys_table != NO_KEY)
            order = np.argsort(fact_keys_table[row, col], kind="stable")
            fact_keys = list(
                zip(fact_keys_table[row, col][order].tolist(), fids[row][order].tolist(),
                    strict=True)
            )  # fmt: skip
            store.bulk_load(stories, story_keys, facts, fact_keys)
            facts_written += len(sentence)
    return facts_written


class _Clock:
    """Wraps a callable and adds up the seconds spent in it."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call
        self.seconds = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.call(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


class _Embedding(_Clock):
    """The model's `embed`, timed, counting the sentences it was given."""

    def __init__(self, call: Callable[..., Any]) -> None:
        super().__init__(call)
        self.sentences = 0

    def __call__(self, texts: Any) -> Any:
        self.sentences += len(texts)
        return super().__call__(texts)


@dataclass
class Pass:
    seconds: float
    stages: dict[str, float]  # µs per item
    verdict_us: float  # per on-topic story
    embedding_us: float  # per on-topic story
    embedded: int
    verdicts: Counter[str]


def _pass(pipeline: Pipeline, body: bytes) -> Pass:
    """One feed through parse_feed and Pipeline.ingest, each stage timed."""
    matcher, store = pipeline.matcher, pipeline.store
    match = matcher.match = _Clock(matcher.match)  # instance attributes over the methods
    assess = pipeline.assess = _Clock(pipeline.assess)
    record = store.record_story = _Clock(store.record_story)
    model = pipeline.meaning.model if pipeline.meaning else None
    embed = _Embedding(model.embed if model else lambda texts: None)
    if model:
        model.embed = embed  # type: ignore[method-assign]
    verdicts: Counter[str] = Counter()
    try:
        start = time.perf_counter()
        parsed = parse_feed(body, feed_url=FEED_URL, source="Bench wire", max_items=10_000)
        parse_s = time.perf_counter() - start
        for story in parsed.stories:
            judgement = pipeline.ingest(story, feed_id=None, alert=True)
            verdicts[judgement.verdict.value if judgement else "already known"] += 1
        seconds = time.perf_counter() - start
    finally:
        del matcher.match, pipeline.assess, store.record_story  # the methods again
        if model:
            del model.embed  # type: ignore[misc]
    items = max(len(parsed.stories), 1)
    verdict_s = assess.seconds - match.seconds
    other = seconds - parse_s - assess.seconds - record.seconds
    spent = (parse_s, match.seconds, verdict_s, record.seconds, other)
    stages = {name: s / items * 1e6 for name, s in zip(STAGES, spent, strict=True)}
    on_topic = max(items - verdicts["off_topic"], 1)
    return Pass(
        seconds, stages, verdict_s / on_topic * 1e6, embed.seconds / on_topic * 1e6,
        embed.sentences, verdicts,
    )  # fmt: skip


def measure(spec: Spec) -> Figures:
    config = load_config()
    corpus = Corpus()
    background = Background(corpus, max(spec.sizes))
    figures = Figures(spec)
    with tempfile.TemporaryDirectory(prefix="newsdelta-bench-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            pipeline = Pipeline(store, config.topics, PipelineSettings())
            pipeline.load_seeds(config.settings.seeds_dir)
            filled = facts = 0
            for size in spec.sizes:
                start = time.perf_counter()
                facts += _fill(store, background, filled, size)
                fill_s = time.perf_counter() - start
                filled = size
                items = _feed_items(corpus, background, size, spec.items)
                body = corpus.feed(items)
                reference = []
                for _ in range(3):
                    start = time.perf_counter()
                    feedparser.parse(body)
                    reference.append(time.perf_counter() - start)
                done = _pass(pipeline, body)
                figures.sizes.append(
                    Size(size, facts, fill_s, len(items), done.seconds,
                         statistics.median(reference), done.stages, done.verdict_us,
                         done.verdicts, done.embedding_us, done.embedded)
                )  # fmt: skip
        finally:
            store.close()
    return figures


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def lines(figures: Figures) -> list[str]:
    out = [
        f"store: SQLite, the 2 seeds + background stories; each size judges a new feed of "
        f"{figures.spec.items} items (40 % rewrites of known stories, 30 % new on the topic, "
        "30 % off topic) with the shipped topics; reference: feedparser.parse alone, same bytes"
    ]
    for s in figures.sizes:
        rate = s.items / s.seconds
        reference = s.items / s.feedparser_s
        per_item = s.feedparser_s / s.items * 1e6
        stages = ", ".join(f"{name} {s.stages[name]:,.0f}" for name in STAGES)
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(s.verdicts.items()))
        out += [
            f"{s.known:>9,} known stories ({s.facts:,} facts; filled in {s.fill_s:.0f} s): "
            f"{rate:,.1f} stories/s end to end = {rate / reference:.3f}x feedparser alone "
            f"({reference:,.0f} items/s)",
            f"    µs per item: {stages} (feedparser {per_item:,.0f}; parse = "
            f"{s.stages['parse'] / per_item:.1f}x it); verdict {s.verdict_us:,.0f} µs per "
            f"on-topic story, of which embedding {s.embedding_us:,.0f} ({s.embedded:,} "
            f"sentences embedded, {s.embedding_us / max(s.verdict_us, 1):.0%} of the verdict); "
            f"{verdicts}",
        ]
    first, last = figures.sizes[0], figures.sizes[-1]
    growth = last.verdict_us / first.verdict_us
    share = (last.items / last.seconds) / (last.items / last.feedparser_s)
    out.append(
        f"targets: verdict at {last.known:,} <= {TARGET_VERDICT_GROWTH:.0f}x at {first.known:,} "
        f"{_met(growth <= TARGET_VERDICT_GROWTH)} ({growth:.1f}x); end to end >= "
        f"{TARGET_FEEDPARSER_SHARE}x feedparser {_met(share >= TARGET_FEEDPARSER_SHARE)} "
        f"({share:.3f}x); end to end >= {FLOOR_FEEDPARSER_SHARE}x feedparser (the floor kept "
        f"with embeddings) {_met(share >= FLOOR_FEEDPARSER_SHARE)}"
    )
    return out


def run(quick: bool) -> list[str]:
    return lines(measure(QUICK if quick else FULL))
