"""`newsdelta bench`, section "what we know page": render time against the store's size.

`run(quick)` returns printable lines. A real SQLite store (a temporary file) is filled, size
after size, with events told by several outlets: the first story of an event states 4 new
facts, each retelling (geometric, 9 on average) says 2 of them again and is recorded as a
retelling with its `restates` links, as the pipeline records them; the topic's cluster and
day indexes are written with them (`Store.bulk_index_pages`, one transaction per chunk).
At each size it times, median of `REPEAT` runs: the topic page (newest first, the first
page of clusters, with their facts, repeats, conflicts and the coverage chart) and one
story's page, views plus Jinja rendering; beside them, the reference measured in the same
run: the `facts` lookup (`bot.facts_lookup.lookup_facts`, the page's search) for a rare
and a common query. Target: the page's cost does not grow with the store (≤ 2x from the
smallest size to the largest).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.facts_lookup import lookup_facts
from bot.web import views
from bot.web.links import Access
from bot.web.render import Renderer, ServerLinks
from watchers.store import Store

TOPIC, TITLE = "bench-topic", "Bench topic"
CHUNK = 10_000  # stories per transaction
PER_DAY = 100  # stories published per day: 10,000 stories already fill the chart's 60 days
START = 1_735_689_600  # 2025-01-01, UTC
MEAN_TELLINGS = 10  # stories per event: the first and its retellings
REPEAT = 7
TARGET_GROWTH = 2.0
QUICK, FULL = (1_000, 10_000), (10_000, 1_000_000)


@dataclass
class Size:
    stories: int
    facts: int
    fill_s: float
    topic_ms: float
    story_ms: float
    lookup_rare_ms: float
    lookup_common_ms: float
    page_bytes: int = 0


@dataclass
class Figures:
    sizes: list[Size] = field(default_factory=list)


def _fact(event: int, i: int) -> str:
    return (
        f"Officials in Moscow and Tehran said item {event * 4 + i} of the partnership treaty, "
        f"covering cooperation area {event % 97}, was agreed on day {i + 1}."
    )


def _fill(store: Store, start: int, stop: int, next_fact: int) -> int:
    """Stories start..stop-1 (ids start+1…, the first of each event its cluster) with facts,
    restates links, cluster and day rows; returns the next free fact id."""
    for lo in range(start, stop, CHUNK):
        hi = min(stop, lo + CHUNK)
        rng = np.random.default_rng([2025, lo])
        lengths = rng.geometric(1 / MEAN_TELLINGS, size=CHUNK)
        firsts = np.cumsum(np.r_[0, lengths])  # offsets of each event's first story
        stories, facts, restates, clusters = [], [], [], []
        days: dict[int, list[int]] = {}
        event_facts: list[int] = []
        cluster = 0
        for n in range(lo, hi):
            sid, offset = n + 1, n - lo
            published = float(START + n * (86_400 // PER_DAY))
            day = days.setdefault(int(published) // 86_400, [0, 0, 0])
            first = offset in firsts
            if first:
                cluster, event_facts = sid, []
            source = f"Outlet {n % 40 + 1}"
            link = f"https://outlet{n % 40 + 1}.example/{n}"
            verdict = "new_story" if first else "retelling"
            stories.append((
                sid, f"bench-{n}", cluster, f"Event {cluster} told by {source}", source, link,
                published, published, verdict, TOPIC, link, "bench",
            ))  # fmt: skip
            for i in range(4 if first else 2):
                fid = next_fact
                next_fact += 1
                if first:
                    event_facts.append(fid)
                    facts.append((fid, sid, _fact(cluster, i), source, link, published, published))
                else:
                    said = event_facts[(offset + i) % len(event_facts)]
                    facts.append((fid, sid, _fact(cluster, i), source, link, published, published))
                    restates.append((fid, said, sid))
            if first:
                clusters.append((TOPIC, cluster))
            day[0] += 1
            day[1] += 0 if first else 1
            day[2] += 4 if first else 0
        with store.db.transaction():
            store.bulk_load(stories, [], facts, [])
            store.bulk_index_pages(
                clusters, [(TOPIC, d, *counts) for d, counts in days.items()], restates
            )
    return next_fact


def _median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(sizes: tuple[int, ...]) -> Figures:
    figures = Figures()
    renderer = Renderer()
    links = ServerLinks(TOPIC, Access())
    with tempfile.TemporaryDirectory(prefix="newsdelta-bench-web-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'web.db'}")
        try:
            filled, next_fact = 0, 1
            for size in sizes:
                start = time.perf_counter()
                next_fact = _fill(store, filled, size, next_fact)
                fill_s, filled = time.perf_counter() - start, size
                cluster = store.topic_cluster_ids(TOPIC, limit=1)[0]
                html: list[str] = []

                def topic_page(html: list[str] = html) -> None:
                    page = views.topic_page(store, TOPIC, TITLE)
                    html[:] = [renderer.topic(page, links)]

                def story_page(cluster: int = cluster) -> None:
                    page = views.story_page(store, TOPIC, TITLE, cluster)
                    assert page is not None
                    renderer.story(page, links)

                rare = f"item {(size // MEAN_TELLINGS) * 2 + 1} treaty"
                figures.sizes.append(
                    Size(
                        stories=size,
                        facts=next_fact - 1,
                        fill_s=fill_s,
                        topic_ms=_median_ms(topic_page),
                        story_ms=_median_ms(story_page),
                        lookup_rare_ms=_median_ms(lambda q=rare: lookup_facts(store, q)),
                        lookup_common_ms=_median_ms(
                            lambda: lookup_facts(store, "partnership treaty")
                        ),
                        page_bytes=len(html[0].encode()),
                    )
                )
        finally:
            store.close()
    return figures


def lines(figures: Figures) -> list[str]:
    out = [
        "store: SQLite; events of one topic told by several outlets (the first story 4 new "
        f"facts, {MEAN_TELLINGS - 1} retellings on average with 2 restated facts each); "
        f"median of {REPEAT}; reference: the facts lookup (the page's search) in the same run"
    ]
    for s in figures.sizes:
        out.append(
            f"{s.stories:>9,} known stories ({s.facts:,} facts; filled in {s.fill_s:.0f} s): "
            f"topic page {s.topic_ms:,.1f} ms ({s.page_bytes / 1024:,.0f} KiB), story page "
            f"{s.story_ms:,.1f} ms; facts lookup: rare query {s.lookup_rare_ms:,.1f} ms, "
            f"common {s.lookup_common_ms:,.1f} ms"
        )
    first, last = figures.sizes[0], figures.sizes[-1]
    growth = last.topic_ms / first.topic_ms
    lookup = last.lookup_rare_ms / first.lookup_rare_ms
    verdict = "met" if growth <= TARGET_GROWTH else "MISSED"
    out.append(
        f"target: topic page at {last.stories:,} <= {TARGET_GROWTH:.0f}x at {first.stories:,} "
        f"{verdict} ({growth:.1f}x; the facts lookup grew {lookup:.1f}x)"
    )
    return out


def run(quick: bool) -> list[str]:
    return lines(measure(QUICK if quick else FULL))
