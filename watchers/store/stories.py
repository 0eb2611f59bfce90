"""Stories and facts: the memory every verdict is judged against (`Knowledge`).

`record_story` writes a story, its facts with their lookup keys, and its alerts with one
delivery per subscribed channel whose level takes it (`all`: every alert; `stories`: new
stories only; `digest`: none), in the caller's transaction. The lookups answer by shared
keys through indexes, never by scanning every story.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from ..models import Judgement, KnownFact, KnownStory, Story, Verdict
from .db import Database, Row
from .pages import PagesMixin

PER_KEY = 64  # newest holders read per lookup key
KEYS_PER_QUERY = 16  # lookup keys per statement, padded, so one prepared statement serves


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _fact(row: Row) -> KnownFact:
    return KnownFact(
        id=row["id"],
        story_id=row["story_id"],
        text=row["text"],
        source=row["source"],
        link=row["link"],
        published=_dt(row["published"]),
    )


def _story(row: Row) -> KnownStory:
    return KnownStory(
        id=row["id"],
        cluster_id=row["cluster_id"] or row["id"],
        title=row["title"],
        source=row["source"],
        link=row["link"],
        published=_dt(row["published"]),
        label=row["label"],
    )


class StoriesMixin(PagesMixin):
    """Knowledge and writing; the page reads and indexes come with it (`PagesMixin`)."""

    db: Database

    # -- Knowledge ---------------------------------------------------------------------
    def similar_facts(self, keys: Sequence[int], limit: int = 200) -> list[tuple[KnownFact, int]]:
        counts = self._shared("fact_keys", "fact_id", keys, limit)
        if not counts:
            return []
        rows = self.db.query(
            f"SELECT * FROM facts WHERE id IN ({_marks(len(counts))})", list(counts)
        )
        ranked = sorted(rows, key=lambda r: (-counts[r["id"]], r["id"]))
        return [(_fact(r), counts[r["id"]]) for r in ranked]

    def similar_stories(self, keys: Sequence[int], limit: int = 20) -> list[tuple[KnownStory, int]]:
        counts = self._shared("story_keys", "story_id", keys, limit)
        if not counts:
            return []
        rows = self.db.query(
            f"SELECT * FROM stories WHERE id IN ({_marks(len(counts))})", list(counts)
        )
        ranked = sorted(rows, key=lambda r: (-counts[r["id"]], r["id"]))
        return [(_story(r), counts[r["id"]]) for r in ranked]

    def _shared(self, table: str, column: str, keys: Sequence[int], limit: int) -> dict[int, int]:
        """Holders sharing the most of `keys`, and how many they share. Each key contributes
        at most its `PER_KEY` newest holders, read backwards from the (key, holder) index:
        the cost is bounded however common a key is, and a real near-copy still surfaces
        through the rarer keys it shares."""
        counts: dict[int, int] = {}
        unique = sorted(set(keys))
        arm = (
            f"SELECT * FROM (SELECT {column} AS holder FROM {table} WHERE key = ? "
            f"ORDER BY {column} DESC LIMIT {PER_KEY}) AS k"
        )
        sql = " UNION ALL ".join(f"{arm}{i}" for i in range(KEYS_PER_QUERY))
        for start in range(0, len(unique), KEYS_PER_QUERY):
            chunk = unique[start : start + KEYS_PER_QUERY]
            chunk += [-1] * (KEYS_PER_QUERY - len(chunk))  # keys are never negative: one
            for row in self.db.query(sql, chunk):  # statement text, prepared once
                counts[row["holder"]] = counts.get(row["holder"], 0) + 1
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return dict(best)

    def facts_of(self, story_ids: Sequence[int]) -> list[KnownFact]:
        if not story_ids:
            return []
        rows = self.db.query(
            f"SELECT * FROM facts WHERE story_id IN ({_marks(len(story_ids))}) ORDER BY id",
            tuple(story_ids),
        )
        return [_fact(r) for r in rows]

    def stories(self, story_ids: Sequence[int]) -> list[KnownStory]:
        if not story_ids:
            return []
        rows = self.db.query(
            f"SELECT * FROM stories WHERE id IN ({_marks(len(story_ids))}) ORDER BY id",
            tuple(story_ids),
        )
        return [_story(r) for r in rows]

    # -- writing -----------------------------------------------------------------------
    def story_id(self, key: str) -> int | None:
        row = self.db.one("SELECT id FROM stories WHERE key = ?", (key,))
        return int(row["id"]) if row else None

    def record_story(
        self,
        story: Story,
        judgement: Judgement,
        *,
        feed_id: int | None,
        label: str,
        alerts: Sequence[tuple[str, dict[str, object]]],
        now: float,
        verdict: str | None = None,
    ) -> tuple[int, list[int]]:
        """Write the story, its facts and keys, and its alerts (topic, payload) with their
        deliveries. Call inside `db.transaction()`. Returns (story id, new alert ids).
        `verdict` overrides the stored verdict (the seeds are stored as "seed")."""
        dup = judgement.duplicate_of
        row = self.db.one(
            "INSERT INTO stories (key, cluster_id, feed_id, title, source, link, published, "
            "seen_at, verdict, topics, label, why) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (
                story.key,
                dup.cluster_id if dup else None,
                feed_id,
                story.title,
                story.source,
                story.link,
                _ts(story.published),
                now,
                verdict or judgement.verdict.value,
                ",".join(judgement.topics),
                label,
                judgement.why,
            ),
        )
        assert row is not None
        sid = int(row["id"])
        if dup is None:
            self.db.execute("UPDATE stories SET cluster_id = ? WHERE id = ?", (sid, sid))
        self.db.executemany(
            "INSERT INTO story_keys (key, story_id) VALUES (?, ?)",
            [(k, sid) for k in sorted(set(judgement.story_keys))],
        )
        fact_ids: list[int] = []
        for fact in judgement.facts:
            frow = self.db.one(
                "INSERT INTO facts (story_id, text, source, link, published, is_new, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    sid,
                    fact.text,
                    story.source,
                    story.link,
                    _ts(story.published),
                    int(fact.is_new),
                    now,
                ),
            )
            assert frow is not None
            fact_ids.append(int(frow["id"]))
            self.db.executemany(
                "INSERT INTO fact_keys (key, fact_id) VALUES (?, ?)",
                [(k, frow["id"]) for k in sorted(set(fact.keys))],
            )
        cluster = dup.cluster_id if dup else sid
        self.index_for_pages(
            sid, cluster, story, judgement, fact_ids, verdict or judgement.verdict.value, now
        )
        alert_ids = [
            aid
            for topic, payload in alerts
            if (aid := self._add_alert(sid, cluster, topic, judgement.verdict, payload, now))
        ]
        return sid, alert_ids

    def _add_alert(
        self, sid: int, cluster: int, topic: str, verdict: Verdict, payload: dict, now: float
    ) -> int | None:
        row = self.db.one(
            "INSERT INTO alerts (kind, dedupe, story_id, cluster_id, topic, verdict, payload, "
            "created_at) VALUES ('alert', ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (dedupe) DO NOTHING RETURNING id",
            (
                f"story:{sid}:{topic}",
                sid,
                cluster,
                topic,
                verdict.value,
                json.dumps(payload, ensure_ascii=False),
                now,
            ),
        )
        if row is None:
            return None
        self.db.execute(
            "INSERT INTO deliveries (alert_id, platform, channel, created_at) "
            "SELECT ?, platform, channel, ? FROM subscriptions "
            "WHERE (topic = ? OR topic = '*') AND paused_reason IS NULL "
            "AND (level = 'all' OR (level = 'stories' AND ? = 'new_story')) "
            "ON CONFLICT (alert_id, platform, channel) DO NOTHING",
            (row["id"], now, topic, verdict.value),
        )
        return int(row["id"])

    def next_ids(self) -> tuple[int, int]:
        """The next free story id and fact id (for bulk loading)."""
        row = self.db.one(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM stories) AS s, "
            "(SELECT COALESCE(MAX(id), 0) FROM facts) AS f"
        )
        assert row is not None
        return int(row["s"]) + 1, int(row["f"]) + 1

    def bulk_load(
        self,
        stories: Sequence[Sequence[object]],
        story_keys: Sequence[tuple[int, int]],
        facts: Sequence[Sequence[object]],
        fact_keys: Sequence[tuple[int, int]],
    ) -> None:
        """Known stories in bulk, ids given (see `next_ids`): rows of (id, key, cluster_id,
        title, source, link, published, seen_at, verdict, topics, label, why); (key, story id);
        (id, story_id, text, source, link, published, seen_at); (key, fact id). Call inside
        `db.transaction()`. For loading a corpus (benchmarks, imports), not for news."""
        self.db.executemany(
            "INSERT INTO stories (id, key, cluster_id, title, source, link, published, "
            "seen_at, verdict, topics, label, why) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            stories,
        )
        self.db.executemany("INSERT INTO story_keys (key, story_id) VALUES (?, ?)", story_keys)
        self.db.executemany(
            "INSERT INTO facts (id, story_id, text, source, link, published, is_new, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
            facts,
        )
        self.db.executemany("INSERT INTO fact_keys (key, fact_id) VALUES (?, ?)", fact_keys)
        if self.db.dialect == "postgresql":  # ids were given: move the sequences past them
            for table in ("stories", "facts"):
                self.db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )

    # -- reading for people ------------------------------------------------------------
    def facts_matching(self, terms: Sequence[str], limit: int = 500) -> list[KnownFact]:
        """Facts whose text contains every term (case-insensitive), newest first."""
        if not terms:
            return []
        where = " AND ".join("LOWER(text) LIKE ?" for _ in terms)
        rows = self.db.query(
            f"SELECT * FROM facts WHERE {where} ORDER BY id DESC LIMIT ?",
            (*[f"%{t.lower()}%" for t in terms], limit),
        )
        return [_fact(r) for r in rows]

    def story_topics(self, story_id: int) -> list[str]:
        row = self.db.one("SELECT topics FROM stories WHERE id = ?", (story_id,))
        return [t for t in (row["topics"] if row else "").split(",") if t]

    def verdict_counts(self) -> dict[str, int]:
        rows = self.db.query("SELECT verdict, COUNT(*) AS n FROM stories GROUP BY verdict")
        return {r["verdict"]: int(r["n"]) for r in rows}
