"""What a page shows, read from the store and shaped for the templates.

`topic_page` gives a page of a topic's story clusters (newest or oldest first, continuing
after a cluster id), each with the facts its stories were first to state, their repeats and
conflicts, plus the topic's conflicts side by side and its coverage per day. `story_page`
gives one cluster: its stories in arrival order and the alerts sent for it. `search` is the
`facts` lookup narrowed to the topic. Every string from a feed passes `clean`, every link
`safe_link`; the templates escape what they print. Only facts, stories and counts leave the
store this way — never feeds, subscriptions or channels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from watchers.store import Store

from ..alerts import clean, safe_link
from ..facts_lookup import lookup_facts
from .chart import Chart, coverage_chart

PAGE_CLUSTERS = 20  # clusters on one page
CONFLICTS_SHOWN = 10
_QUOTED = re.compile(r'"([^"]+)"')


def _date(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).date().isoformat() if ts is not None else None


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool = False


def _segments(text: str, value: str | None) -> tuple[Segment, ...]:
    """`text` cut so that `value` (the disputed number, date…) is marked wherever it occurs."""
    if not value or value not in text:
        return (Segment(text),)
    out: list[Segment] = []
    for i, piece in enumerate(text.split(value)):
        if i:
            out.append(Segment(value, True))
        if piece:
            out.append(Segment(piece))
    return tuple(out)


@dataclass(frozen=True)
class Repeats:
    outlets: int
    stories: int
    first_source: str
    first_date: str | None
    first_link: str | None


@dataclass(frozen=True)
class FactView:
    id: int
    text: str
    source: str
    date: str | None
    link: str | None
    seed: bool
    cluster_id: int
    repeats: Repeats | None = None
    segments: tuple[Segment, ...] = ()

    def marked(self, value: str | None) -> FactView:
        return FactView(**{**self.__dict__, "segments": _segments(self.text, value)})


@dataclass(frozen=True)
class Conflict:
    """Two attributed facts that disagree, never merged: the earlier one and the later."""

    note: str
    earlier: FactView
    later: FactView


@dataclass
class StoryPart:
    """One story of a cluster that told something: the first report or a new detail."""

    id: int
    title: str
    source: str
    date: str | None
    link: str | None
    verdict: str
    facts: list[FactView] = field(default_factory=list)


@dataclass
class AlertView:
    verdict: str
    when: str
    channels: int
    headline: str


@dataclass
class ClusterView:
    id: int
    parts: list[StoryPart]
    retellings: int
    conflicts: dict[int, list[Conflict]] = field(default_factory=dict)  # by the later fact
    disputed: set[int] = field(default_factory=set)  # facts on either side of a conflict
    alerts: list[AlertView] = field(default_factory=list)  # filled for a story's own view

    @property
    def first(self) -> StoryPart:
        return self.parts[0]

    @property
    def facts(self) -> list[FactView]:
        return [f for part in self.parts for f in part.facts]


@dataclass
class TopicPage:
    topic: str
    title: str
    clusters: list[ClusterView]
    conflicts: list[Conflict]
    chart: Chart
    newest_first: bool = True
    more_after: int | None = None  # the cluster id to continue after, when there is more


@dataclass
class StoryPage:
    topic: str
    title: str
    cluster: ClusterView


@dataclass
class SearchHit:
    text: str
    sources: list[tuple[str, str | None, str | None]]  # source, date, link


def _fact(row: dict[str, Any], repeats: dict[int, dict[str, Any]]) -> FactView:
    rep = repeats.get(int(row["id"]))
    text = clean(row["text"], 1500)
    return FactView(
        id=int(row["id"]),
        text=text,
        source=clean(row["source"], 200),
        date=_date(row["published"] if row["published"] is not None else row["seen_at"]),
        link=safe_link(row["link"]),
        seed=row["verdict"] == "seed",
        cluster_id=int(row["cluster_id"]),
        repeats=Repeats(
            outlets=rep["outlets"],
            stories=rep["stories"],
            first_source=clean(rep["first_source"], 200),
            first_date=_date(rep["first_published"]),
            first_link=safe_link(rep["first_link"]),
        )
        if rep
        else None,
        segments=(Segment(text),),
    )


def _conflicts(store: Store, rows: list[dict[str, Any]], topic: str) -> list[Conflict]:
    """Conflict rows (later fact_id, earlier other_id, note) as pairs of attributed facts of
    this topic."""
    ids = sorted({int(r["fact_id"]) for r in rows} | {int(r["other_id"]) for r in rows})
    facts = {int(f["id"]): f for f in store.facts_by_id(ids)}
    out: list[Conflict] = []
    for r in rows:
        later, earlier = facts.get(int(r["fact_id"])), facts.get(int(r["other_id"]))
        if later is None or earlier is None or topic not in later["topics"].split(","):
            continue
        values = _QUOTED.findall(r["note"] or "")
        ours, theirs = (values[0], values[1]) if len(values) >= 2 else (None, None)
        out.append(
            Conflict(
                note=clean(r["note"], 300) or "the sources disagree",
                earlier=_fact(earlier, {}).marked(theirs),
                later=_fact(later, {}).marked(ours),
            )
        )
    return out


def clusters(store: Store, topic: str, cluster_ids: list[int]) -> list[ClusterView]:
    """These clusters with their telling stories, facts, repeats and conflicts."""
    stories = [s for s in store.cluster_stories(cluster_ids) if topic in s["topics"].split(",")]
    facts = store.new_facts_of([int(s["id"]) for s in stories])
    fact_ids = [int(f["id"]) for f in facts]
    repeats = store.repeats(fact_ids)
    conflicts = _conflicts(store, store.conflicts_about(fact_ids), topic)
    retold = store.cluster_retellings(cluster_ids)
    by_story: dict[int, list[FactView]] = {}
    for row in facts:
        by_story.setdefault(int(row["story_id"]), []).append(_fact(row, repeats))
    views: dict[int, ClusterView] = {}
    for s in stories:
        part = StoryPart(
            id=int(s["id"]),
            title=clean(s["title"], 300) or "(untitled)",
            source=clean(s["source"], 200),
            date=_date(s["published"] if s["published"] is not None else s["seen_at"]),
            link=safe_link(s["link"]),
            verdict=s["verdict"],
            facts=by_story.get(int(s["id"]), []),
        )
        cid = int(s["cluster_id"])
        view = views.setdefault(cid, ClusterView(cid, [], retold.get(cid, 0)))
        view.parts.append(part)
    for conflict in conflicts:
        later, earlier = conflict.later, conflict.earlier
        for side in (later, earlier):
            if side.cluster_id in views:
                views[side.cluster_id].disputed.add(side.id)
        shown_at = later if later.cluster_id in views else earlier  # the pair, shown once
        if shown_at.cluster_id in views:
            views[shown_at.cluster_id].conflicts.setdefault(shown_at.id, []).append(conflict)
    return [views[c] for c in cluster_ids if c in views]


def topic_page(
    store: Store,
    topic: str,
    title: str,
    *,
    newest_first: bool = True,
    after: int | None = None,
    limit: int = PAGE_CLUSTERS,
) -> TopicPage:
    ids = store.topic_cluster_ids(topic, newest_first=newest_first, limit=limit + 1, after=after)
    more = ids[limit - 1] if len(ids) > limit else None
    shown = clusters(store, topic, ids[:limit])
    shown.sort(key=lambda c: (c.first.date or "", c.id), reverse=newest_first)
    recent = _conflicts(store, store.recent_conflicts(), topic)[:CONFLICTS_SHOWN]
    return TopicPage(
        topic=topic,
        title=title,
        clusters=shown,
        conflicts=recent,
        chart=coverage_chart(store.coverage(topic)),
        newest_first=newest_first,
        more_after=more,
    )


def story_page(store: Store, topic: str, title: str, cluster_id: int) -> StoryPage | None:
    found = clusters(store, topic, [cluster_id])
    if not found:
        return None
    cluster = found[0]
    titles = {part.id: part.title for part in cluster.parts}
    cluster.alerts = [
        AlertView(
            verdict=a["verdict"] or "",
            when=datetime.fromtimestamp(a["created_at"], UTC).strftime("%Y-%m-%d %H:%M UTC"),
            channels=int(a["sent"]),
            headline=titles.get(int(a["story_id"] or 0), cluster.first.title),
        )
        for a in store.cluster_alerts(cluster_id, topic)
    ]
    return StoryPage(topic=topic, title=title, cluster=cluster)


def search(store: Store, topic: str, query: str, limit: int = 30) -> list[SearchHit]:
    """The `facts` lookup, keeping the facts stated by a story of this topic."""
    found = lookup_facts(store, query, limit=limit * 4)
    topics = store.story_topic_lists(sorted({sid for f in found for sid in f.story_ids}))
    hits = []
    for fact in found:
        if not any(topic in topics.get(sid, []) for sid in fact.story_ids):
            continue
        sources = [
            (clean(src, 200), when.date().isoformat() if when else None, safe_link(link))
            for src, when, link in fact.sources
        ]
        hits.append(SearchHit(clean(fact.text, 1500), sources))
    return hits[:limit]
