"""Alert levels, digest schedules, and the digests themselves: who sends each one, once.

A subscription's `level` decides which alerts get a delivery when a story is recorded
(`all`, `stories`: new stories only, `digest`: none). A channel has at most one digest
schedule. `record_digest` is the once-only decision: it claims the unique (platform,
channel, period end) row and, in the same transaction, writes the digest as an outbox row
(kind "digest") with one delivery to that channel — so several processes, or a process
that restarts, can all try and exactly one digest exists per channel and period. An empty
period claims its row with no message. The period queries read what the digest reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .db import Database, Row

LEVELS = ("all", "stories", "digest")


@dataclass(frozen=True)
class DigestSchedule:
    """When a channel gets its digest: `every` is "daily" or "weekly" (then `weekday`,
    0 = Monday), at `at_time` ("HH:MM") in the IANA time zone `zone`."""

    platform: str
    channel: str
    every: str
    at_time: str
    zone: str
    weekday: int | None = None
    created_at: float = 0.0


@dataclass(frozen=True)
class PeriodNews:
    """What a digest reports: the period's alert rows (new stories and new details, oldest
    first) and the retellings kept out of the channel."""

    alerts: list[Row]
    retellings: int
    outlets: int


def _topic_match(topics: Sequence[str]) -> tuple[str, list[str]]:
    """SQL matching stories whose comma-separated `topics` holds any of `topics`."""
    clause = " OR ".join("(',' || topics || ',') LIKE ?" for _ in topics)
    return f"({clause})", [f"%,{t},%" for t in topics]


class DigestsMixin:
    db: Database

    # -- levels ------------------------------------------------------------------------
    def set_level(self, platform: str, channel: str, topic: str, level: str) -> bool:
        """Set a subscription's alert level; True when it changed."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        return (
            self.db.execute(
                "UPDATE subscriptions SET level = ? WHERE platform = ? AND channel = ? "
                "AND topic = ? AND level <> ?",
                (level, platform, channel, topic, level),
            )
            > 0
        )

    # -- schedules ---------------------------------------------------------------------
    def set_digest_schedule(self, schedule: DigestSchedule, by: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "DELETE FROM digest_schedules WHERE platform = ? AND channel = ?",
                (schedule.platform, schedule.channel),
            )
            self.db.execute(
                "INSERT INTO digest_schedules (platform, channel, every, weekday, at_time, zone, "
                "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    schedule.platform,
                    schedule.channel,
                    schedule.every,
                    schedule.weekday,
                    schedule.at_time,
                    schedule.zone,
                    by,
                    schedule.created_at,
                ),
            )

    def clear_digest_schedule(self, platform: str, channel: str) -> bool:
        return (
            self.db.execute(
                "DELETE FROM digest_schedules WHERE platform = ? AND channel = ?",
                (platform, channel),
            )
            > 0
        )

    def digest_schedules(
        self, platform: str | None = None, channel: str | None = None
    ) -> list[DigestSchedule]:
        where, params = ["1 = 1"], []
        for column, value in (("platform", platform), ("channel", channel)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        rows = self.db.query(
            f"SELECT * FROM digest_schedules WHERE {' AND '.join(where)} "
            "ORDER BY platform, channel",
            params,
        )
        return [
            DigestSchedule(
                platform=r["platform"],
                channel=r["channel"],
                every=r["every"],
                at_time=r["at_time"],
                zone=r["zone"],
                weekday=r["weekday"],
                created_at=float(r["created_at"]),
            )
            for r in rows
        ]

    # -- digests -----------------------------------------------------------------------
    def last_digest_end(self, platform: str, channel: str) -> float | None:
        row = self.db.one(
            "SELECT MAX(period_end) AS e FROM digests WHERE platform = ? AND channel = ?",
            (platform, channel),
        )
        return float(row["e"]) if row and row["e"] is not None else None

    def record_digest(
        self,
        platform: str,
        channel: str,
        start: float,
        end: float,
        payload: dict[str, Any] | None,
        now: float,
    ) -> int | None:
        """Claim the digest of (platform, channel, period ending `end`). Returns the new
        digest alert's id; None when the period was claimed before (by anyone) or is empty
        (`payload` None: the period is claimed, nothing is sent)."""
        with self.db.transaction():
            row = self.db.one(
                "INSERT INTO digests (platform, channel, period_start, period_end, created_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, channel, period_end) DO NOTHING RETURNING id",
                (platform, channel, start, end, now),
            )
            if row is None or payload is None:
                return None
            alert = self.db.one(
                "INSERT INTO alerts (kind, dedupe, payload, created_at) "
                "VALUES ('digest', ?, ?, ?) RETURNING id",
                (f"digest:{row['id']}", json.dumps(payload, ensure_ascii=False), now),
            )
            assert alert is not None
            self.db.execute(
                "INSERT INTO deliveries (alert_id, platform, channel, created_at) "
                "VALUES (?, ?, ?, ?)",
                (alert["id"], platform, channel, now),
            )
            self.db.execute(
                "UPDATE digests SET alert_id = ? WHERE id = ?", (alert["id"], row["id"])
            )
            return int(alert["id"])

    def period_news(self, topics: Sequence[str], start: float, end: float) -> PeriodNews:
        """The alerts of `topics` created in [start, end) and the retellings seen then."""
        if not topics:
            return PeriodNews([], 0, 0)
        marks = ", ".join("?" * len(topics))
        alerts = self.db.query(
            "SELECT id, topic, verdict, payload, created_at FROM alerts WHERE kind = 'alert' "
            f"AND topic IN ({marks}) AND created_at >= ? AND created_at < ? ORDER BY id",
            (*topics, start, end),
        )
        match, params = _topic_match(topics)
        told = self.db.one(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT source) AS outlets FROM stories "
            f"WHERE verdict = 'retelling' AND seen_at >= ? AND seen_at < ? AND {match}",
            (start, end, *params),
        )
        for row in alerts:
            row["payload"] = json.loads(row["payload"])
        return PeriodNews(
            alerts, int(told["n"]) if told else 0, int(told["outlets"]) if told else 0
        )
