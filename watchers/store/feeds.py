"""Feeds and their polling state: what is due, who holds it, how the last poll went.

Due feeds are leased, not just read: a lease names its holder and expires, so several
watcher processes can share one database (PostgreSQL: FOR UPDATE SKIP LOCKED). A dead
holder's feeds come back as soon as its heartbeat runs out (see `holders`), at the latest
after `lease_s`. `next_due_at` tells the scheduler when to wake. Scheduling decisions
(backoff, floors) are made by `watchers.schedule`; this module only stores their outcome.
Methods holding a transaction are `@retried` on a fresh connection when theirs is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import FeedSource
from .db import Database, Row, retried
from .holders import DEAD_HOLDER


@dataclass(frozen=True)
class PollOutcome:
    """The result of one poll, as the store records it."""

    ok: bool
    next_check_at: float
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


class FeedsMixin:
    db: Database

    @retried
    def sync_feeds(self, sources: Sequence[FeedSource], now: float) -> None:
        """Make the configured feeds exist (new ones are due at once); names/intervals follow
        the config. Feeds added from chat are left alone."""
        with self.db.transaction():
            for src in sources:
                self.db.execute(
                    "INSERT INTO feeds (url, name, origin, interval_s, created_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
                    "name = excluded.name, interval_s = excluded.interval_s",
                    (src.url, src.name, src.origin, src.interval, now),
                )

    def add_feed(self, src: FeedSource, added_by: str, now: float) -> bool:
        """A feed added from chat. False when the URL is already watched."""
        return (
            self.db.execute(
                "INSERT INTO feeds (url, name, origin, interval_s, added_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
                (src.url, src.name, src.origin, src.interval, added_by, now),
            )
            > 0
        )

    @retried
    def remove_feed(self, url_or_name: str) -> Row | None:
        """Remove a feed added from chat (config feeds belong to the operator)."""
        with self.db.transaction():
            row = self.db.one(
                "SELECT * FROM feeds WHERE (url = ? OR name = ?) AND origin = 'chat'",
                (url_or_name, url_or_name),
            )
            if row:
                self.db.execute("DELETE FROM feeds WHERE id = ?", (row["id"],))
            return row

    @retried
    def set_feed_paused(self, url_or_name: str, paused: bool) -> Row | None:
        with self.db.transaction():
            row = self.db.one(
                "SELECT * FROM feeds WHERE url = ? OR name = ?", (url_or_name, url_or_name)
            )
            if row:
                self.db.execute(
                    "UPDATE feeds SET paused = ? WHERE id = ?", (int(paused), row["id"])
                )
            return row

    def feeds(self) -> list[Row]:
        return self.db.query("SELECT * FROM feeds ORDER BY name, url")

    @retried
    def lease_due_feeds(self, owner: str, now: float, limit: int, lease_s: float) -> list[Row]:
        """Claim up to `limit` unpaused feeds whose next check is due and whose lease is free
        (run out, or held by a holder whose heartbeat ran out)."""
        skip = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgresql" else ""
        dead = DEAD_HOLDER.format(holder="lease_owner")
        with self.db.transaction():
            return self.db.query(
                "UPDATE feeds SET lease_owner = ?, lease_until = ? WHERE id IN ("
                "SELECT id FROM feeds WHERE paused = 0 AND next_check_at <= ? "
                f"AND (lease_until <= ? OR {dead}) ORDER BY next_check_at, id LIMIT ?{skip}) "
                "RETURNING *",
                (owner, now + lease_s, now, now, now, limit),
            )

    def next_due_at(self) -> float | None:
        """When the next unpaused feed is due and unleased (None: no feed at all). A lease
        freed early by its holder's death is not foreseen here: callers wake now and then."""
        row = self.db.one(
            "SELECT MIN(CASE WHEN lease_until > next_check_at THEN lease_until "
            "ELSE next_check_at END) AS at FROM feeds WHERE paused = 0"
        )
        return None if row is None or row["at"] is None else float(row["at"])

    def make_due(self) -> int:
        """Every unpaused feed is due now (a "poll everything again" for the demo)."""
        return self.db.execute("UPDATE feeds SET next_check_at = 0 WHERE paused = 0")

    def release_feed_leases(self) -> int:
        """Single-process start: feeds leased by a dead run are due again now."""
        return self.db.execute(
            "UPDATE feeds SET lease_owner = NULL, lease_until = 0 WHERE lease_until > 0"
        )

    @retried
    def finish_poll(self, feed_id: int, owner: str, outcome: PollOutcome, now: float) -> Row:
        """Record a poll and release the lease; returns the feed row as it is now."""
        with self.db.transaction():
            if outcome.ok:
                self.db.execute(
                    "UPDATE feeds SET polls = polls + 1, successes = successes + 1, "
                    "failures = 0, last_error = NULL, last_polled_at = ?, last_success_at = ?, "
                    "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                    "next_check_at = ?, lease_owner = NULL, lease_until = 0 "
                    "WHERE id = ? AND (lease_owner = ? OR lease_owner IS NULL)",
                    (
                        now,
                        now,
                        outcome.etag,
                        outcome.last_modified,
                        outcome.next_check_at,
                        feed_id,
                        owner,
                    ),
                )
            else:
                self.db.execute(
                    "UPDATE feeds SET polls = polls + 1, failures = failures + 1, "
                    "last_error = ?, last_polled_at = ?, next_check_at = ?, "
                    "lease_owner = NULL, lease_until = 0 "
                    "WHERE id = ? AND (lease_owner = ? OR lease_owner IS NULL)",
                    (outcome.error, now, outcome.next_check_at, feed_id, owner),
                )
            row = self.db.one("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        assert row is not None
        return row

    def set_feed_warned(self, feed_id: int, warned: bool) -> bool:
        """Flip the 'failing notice sent' flag; False when it already had that value, so a
        warning (or a recovery) is raised once even with several watchers."""
        return (
            self.db.execute(
                "UPDATE feeds SET warned = ? WHERE id = ? AND warned = ?",
                (int(warned), feed_id, int(not warned)),
            )
            > 0
        )
