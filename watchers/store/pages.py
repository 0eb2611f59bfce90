"""What the "what we know" pages read, and the small indexes written for them.

`index_for_pages` runs inside `record_story`'s transaction: which known facts each fact says
again (`FactRecord.restates`) or contradicts (`NewFact.conflicts_with`), which story clusters
belong to a topic, and one counter row per topic and day (stories, retellings, new facts).
Every read below goes through an index and is bounded by what one page shows — a page of
clusters, their facts, their repeats — never by the number of stories stored. Rows come back
as plain dicts; `bot.web` shapes them for people.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Judgement, Story
from .db import Database, Row

DAY = 86_400


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def story_day(published: float | None, seen_at: float) -> int:
    """The day (since the epoch, UTC) a story counts for: published, else first seen."""
    return int(published if published is not None else seen_at) // DAY


_FACT_COLUMNS = (
    "f.id, f.story_id, f.text, f.source, f.link, f.published, f.seen_at, "
    "s.cluster_id, s.verdict, s.label, s.topics"
)


class PagesMixin:
    db: Database

    # -- written with each story -------------------------------------------------------
    def index_for_pages(
        self,
        story_id: int,
        cluster_id: int,
        story: Story,
        judgement: Judgement,
        fact_ids: Sequence[int],
        verdict: str,
        now: float,
    ) -> None:
        """Record repeats, conflicts, the topic's clusters and day counts for one story.
        `fact_ids` are the ids given to `judgement.facts`, in order."""
        links: list[tuple[int, int, int, str, int, str]] = []
        by_text: dict[str, int] = {}
        for fid, fact in zip(fact_ids, judgement.facts, strict=True):
            by_text.setdefault(fact.text, fid)
            restated = dict.fromkeys(fact.restates)  # once each, best first
            links += [(fid, k, story_id, "restates", r, "") for r, k in enumerate(restated)]
        for new in judgement.new_facts:
            fid = by_text.get(new.text)
            if fid is not None:
                known = dict.fromkeys(k.id for k in new.conflicts_with)  # the engine may repeat one
                links += [
                    (fid, k, story_id, "conflicts", r, new.conflict) for r, k in enumerate(known)
                ]
        self.db.executemany(
            "INSERT INTO fact_links (fact_id, other_id, story_id, kind, rank, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            links,
        )
        published = story.published.timestamp() if story.published else None
        day = story_day(published, now)
        new_facts = sum(f.is_new for f in judgement.facts) if verdict != "retelling" else 0
        for topic in judgement.topics:
            self.db.execute(
                "INSERT INTO topic_clusters (topic, cluster_id) VALUES (?, ?) "
                "ON CONFLICT (topic, cluster_id) DO NOTHING",
                (topic, cluster_id),
            )
            self.db.execute(
                "INSERT INTO topic_days (topic, day, stories, retellings, new_facts) "
                "VALUES (?, ?, 1, ?, ?) ON CONFLICT (topic, day) DO UPDATE SET "
                "stories = topic_days.stories + 1, "
                "retellings = topic_days.retellings + excluded.retellings, "
                "new_facts = topic_days.new_facts + excluded.new_facts",
                (topic, day, int(verdict == "retelling"), new_facts),
            )

    def bulk_index_pages(
        self,
        clusters: Sequence[tuple[str, int]],
        days: Sequence[tuple[str, int, int, int, int]],
        restates: Sequence[tuple[int, int, int]],
    ) -> None:
        """For loading a corpus (benchmarks, imports): (topic, cluster id); (topic, day,
        stories, retellings, new facts); (fact id, restated fact id, story id). Call inside
        `db.transaction()` after `bulk_load`."""
        self.db.executemany(
            "INSERT INTO topic_clusters (topic, cluster_id) VALUES (?, ?)", clusters
        )
        self.db.executemany(
            "INSERT INTO topic_days (topic, day, stories, retellings, new_facts) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, day) DO UPDATE SET "
            "stories = topic_days.stories + excluded.stories, "
            "retellings = topic_days.retellings + excluded.retellings, "
            "new_facts = topic_days.new_facts + excluded.new_facts",
            days,
        )
        self.db.executemany(
            "INSERT INTO fact_links (fact_id, other_id, story_id, kind, rank) "
            "VALUES (?, ?, ?, 'restates', 0)",
            restates,
        )

    # -- read by the pages -------------------------------------------------------------
    def topic_cluster_ids(
        self, topic: str, *, newest_first: bool = True, limit: int = 20, after: int | None = None
    ) -> list[int]:
        """A page of the topic's clusters (an event, named by its first story's id), newest
        or oldest first, continuing past cluster `after` when given."""
        order, cmp = ("DESC", "<") if newest_first else ("ASC", ">")
        where = f" AND cluster_id {cmp} ?" if after is not None else ""
        params = (topic, after, limit) if after is not None else (topic, limit)
        rows = self.db.query(
            f"SELECT cluster_id FROM topic_clusters WHERE topic = ?{where} "
            f"ORDER BY cluster_id {order} LIMIT ?",
            params,
        )
        return [int(r["cluster_id"]) for r in rows]

    def topic_has_cluster(self, topic: str, cluster_id: int) -> bool:
        row = self.db.one(
            "SELECT 1 AS x FROM topic_clusters WHERE topic = ? AND cluster_id = ?",
            (topic, cluster_id),
        )
        return row is not None

    def cluster_stories(self, cluster_ids: Sequence[int]) -> list[Row]:
        """The stories that told something (seeds, new stories, new details) of these
        clusters, oldest first; retellings are counted by `cluster_retellings`."""
        if not cluster_ids:
            return []
        return self.db.query(
            "SELECT id, cluster_id, title, source, link, published, seen_at, verdict, topics, "
            f"label FROM stories WHERE cluster_id IN ({_marks(len(cluster_ids))}) "
            "AND verdict <> 'retelling' ORDER BY id",
            tuple(cluster_ids),
        )

    def cluster_retellings(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        if not cluster_ids:
            return {}
        rows = self.db.query(
            "SELECT cluster_id, COUNT(*) AS n FROM stories "
            f"WHERE cluster_id IN ({_marks(len(cluster_ids))}) AND verdict = 'retelling' "
            "GROUP BY cluster_id",
            tuple(cluster_ids),
        )
        return {int(r["cluster_id"]): int(r["n"]) for r in rows}

    def new_facts_of(self, story_ids: Sequence[int]) -> list[Row]:
        """The facts these stories were first to state, in order, with their story's cluster,
        verdict and label."""
        if not story_ids:
            return []
        return self.db.query(
            f"SELECT {_FACT_COLUMNS} FROM facts f JOIN stories s ON s.id = f.story_id "
            f"WHERE f.story_id IN ({_marks(len(story_ids))}) AND f.is_new = 1 ORDER BY f.id",
            tuple(story_ids),
        )

    def facts_by_id(self, fact_ids: Sequence[int]) -> list[Row]:
        if not fact_ids:
            return []
        return self.db.query(
            f"SELECT {_FACT_COLUMNS} FROM facts f JOIN stories s ON s.id = f.story_id "
            f"WHERE f.id IN ({_marks(len(fact_ids))}) ORDER BY f.id",
            tuple(fact_ids),
        )

    def repeats(self, fact_ids: Sequence[int]) -> dict[int, Row]:
        """Per fact: how many later stories said it again (`stories`), from how many outlets
        (`outlets`), and the first of them (`first_source`, `first_published`, `first_link`)."""
        if not fact_ids:
            return {}
        rows = self.db.query(
            "SELECT l.other_id AS fact_id, COUNT(DISTINCT s.source) AS outlets, "
            "COUNT(DISTINCT l.story_id) AS stories, MIN(l.story_id) AS first_story "
            "FROM fact_links l JOIN stories s ON s.id = l.story_id "
            f"WHERE l.other_id IN ({_marks(len(fact_ids))}) AND l.kind = 'restates' "
            "GROUP BY l.other_id",
            tuple(fact_ids),
        )
        firsts = {int(r["first_story"]) for r in rows}
        stories = {
            int(s["id"]): s
            for s in self.db.query(
                f"SELECT id, source, published, link FROM stories WHERE id IN "
                f"({_marks(len(firsts))})",
                tuple(firsts),
            )
        } if firsts else {}  # fmt: skip
        out: dict[int, Row] = {}
        for r in rows:
            first = stories.get(int(r["first_story"]), {})
            out[int(r["fact_id"])] = {
                "outlets": int(r["outlets"]),
                "stories": int(r["stories"]),
                "first_source": first.get("source"),
                "first_published": first.get("published"),
                "first_link": first.get("link"),
            }
        return out

    def conflicts_about(self, fact_ids: Sequence[int]) -> list[Row]:
        """Conflicts with one of these facts on either side: (fact_id, other_id, note)."""
        if not fact_ids:
            return []
        marks = _marks(len(fact_ids))
        return self.db.query(
            "SELECT fact_id, other_id, note FROM fact_links WHERE kind = 'conflicts' AND "
            f"(fact_id IN ({marks}) OR other_id IN ({marks})) ORDER BY fact_id, rank",
            (*fact_ids, *fact_ids),
        )

    def recent_conflicts(self, limit: int = 200) -> list[Row]:
        """The newest conflicts of any topic (the caller keeps its topic's)."""
        return self.db.query(
            "SELECT fact_id, other_id, note FROM fact_links WHERE kind = 'conflicts' "
            "ORDER BY fact_id DESC LIMIT ?",
            (limit,),
        )

    def coverage(self, topic: str, days: int = 60) -> list[Row]:
        """The topic's newest `days` day rows (day, stories, retellings, new_facts), oldest
        first."""
        rows = self.db.query(
            "SELECT day, stories, retellings, new_facts FROM topic_days WHERE topic = ? "
            "ORDER BY day DESC LIMIT ?",
            (topic, days),
        )
        return rows[::-1]

    def cluster_alerts(self, cluster_id: int, topic: str) -> list[Row]:
        """The alerts raised for a cluster in a topic, each with how many channels it was
        delivered to (`sent`) — never which channels."""
        rows = self.db.query(
            "SELECT a.id, a.story_id, a.verdict, a.created_at, "
            "(SELECT COUNT(*) FROM deliveries d WHERE d.alert_id = a.id AND d.status = 'sent') "
            "AS sent FROM alerts a WHERE a.cluster_id = ? AND a.topic = ? AND a.kind = 'alert' "
            "ORDER BY a.id",
            (cluster_id, topic),
        )
        return rows

    def story_topic_lists(self, story_ids: Sequence[int]) -> dict[int, list[str]]:
        if not story_ids:
            return {}
        rows = self.db.query(
            f"SELECT id, topics FROM stories WHERE id IN ({_marks(len(story_ids))})",
            tuple(story_ids),
        )
        return {int(r["id"]): [t for t in r["topics"].split(",") if t] for r in rows}
