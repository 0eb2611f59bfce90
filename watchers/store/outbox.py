"""The outbox: alerts and notices waiting for channels, subscriptions, threads.

A delivery row is one message for one channel, created in the same transaction as its
alert. Senders claim rows with a lease (`claim_deliveries`), renew it while they work
through them (`renew_claims`), send, then mark them sent; a row whose lease ran out while
'sending' — or whose holder's heartbeat ran out (see `holders`) — is claimable again and
flagged `maybe_sent`, so the platform adapter can check before posting twice. Unique
(alert, platform, channel) makes a second delivery of the same alert to the same channel
impossible.

A channel is a lane: its deliveries go out in the order they were raised (by id). A
delivery is claimable only when every older unfinished delivery of its channel is
claimable in the same claim, so a claim takes a prefix of each lane, and one waiting out
its backoff, or held by another sender, holds back its whole lane. Claims are serialised
across processes (`CLAIM_LOCK`) so two senders never split one lane between them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .db import Database, Row, retried


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery with what is needed to send it."""

    id: int
    alert_id: int
    platform: str
    channel: str
    kind: str
    payload: dict[str, Any]
    cluster_id: int | None
    attempts: int
    maybe_sent: bool

    @property
    def key(self) -> str:
        """Stable across retries and restarts; short enough for a Discord nonce."""
        return f"nd{self.id}-{self.alert_id}"


CLAIM_LOCK = 7_400_003  # serialises claims across processes (PostgreSQL)
_FREE = "({t}claim_until <= ? OR COALESCE({t}claimed_by, '') IN (SELECT owner FROM holders "
_FREE += "WHERE alive_until <= ?))"  # a claim that ran out, or whose holder died


class OutboxMixin:
    db: Database

    # -- subscriptions -----------------------------------------------------------------
    @retried
    def subscribe(self, platform: str, channel: str, topic: str, by: str, now: float) -> bool:
        """True when new; re-subscribing a paused subscription resumes it."""
        with self.db.transaction():
            row = self.db.one(
                "SELECT paused_reason FROM subscriptions "
                "WHERE platform = ? AND channel = ? AND topic = ?",
                (platform, channel, topic),
            )
            if row is not None:
                self.db.execute(
                    "UPDATE subscriptions SET paused_reason = NULL "
                    "WHERE platform = ? AND channel = ? AND topic = ?",
                    (platform, channel, topic),
                )
                return row["paused_reason"] is not None
            self.db.execute(
                "INSERT INTO subscriptions (platform, channel, topic, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (platform, channel, topic, by, now),
            )
            return True

    def unsubscribe(self, platform: str, channel: str, topic: str) -> bool:
        return (
            self.db.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND channel = ? AND topic = ?",
                (platform, channel, topic),
            )
            > 0
        )

    def subscriptions(self, platform: str | None = None, channel: str | None = None) -> list[Row]:
        where, params = ["1 = 1"], []
        if platform is not None:
            where.append("platform = ?")
            params.append(platform)
        if channel is not None:
            where.append("channel = ?")
            params.append(channel)
        return self.db.query(
            f"SELECT * FROM subscriptions WHERE {' AND '.join(where)} "
            "ORDER BY platform, channel, topic",
            params,
        )

    @retried
    def pause_channel(self, platform: str, channel: str, reason: str) -> int:
        """Pause every subscription of a channel that is gone; returns how many."""
        with self.db.transaction():
            n = self.db.execute(
                "UPDATE subscriptions SET paused_reason = ? WHERE platform = ? AND channel = ? "
                "AND paused_reason IS NULL",
                (reason, platform, channel),
            )
            self.db.execute(
                "UPDATE deliveries SET status = 'dropped', last_error = ?, claimed_by = NULL "
                "WHERE platform = ? AND channel = ? AND status IN ('pending', 'sending')",
                (reason, platform, channel),
            )
        return n

    # -- notices -----------------------------------------------------------------------
    @retried
    def add_notice(self, dedupe: str, payload: dict[str, Any], now: float) -> int | None:
        """A notice (feed failing / recovered) for every channel with an active subscription.
        `dedupe` makes it once-only across processes."""
        with self.db.transaction():
            row = self.db.one(
                "INSERT INTO alerts (kind, dedupe, payload, created_at) VALUES "
                "('notice', ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING RETURNING id",
                (dedupe, json.dumps(payload, ensure_ascii=False), now),
            )
            if row is None:
                return None
            self.db.execute(
                "INSERT INTO deliveries (alert_id, platform, channel, created_at) "
                "SELECT DISTINCT ?, platform, channel, ? FROM subscriptions "
                "WHERE paused_reason IS NULL AND platform <> 'console' "
                "ON CONFLICT (alert_id, platform, channel) DO NOTHING",
                (row["id"], now),
            )
            return int(row["id"])

    # -- deliveries --------------------------------------------------------------------
    @retried
    def claim_deliveries(
        self, platforms: Sequence[str], owner: str, now: float, lease_s: float, limit: int
    ) -> list[Delivery]:
        """Claim due deliveries for these platforms, oldest first: a prefix of each
        channel's lane (see the module docstring)."""
        if not platforms:
            return []
        skip = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgresql" else ""
        marks = ", ".join("?" * len(platforms))
        with self.db.transaction(lock_key=CLAIM_LOCK):
            rows = self.db.query(
                "UPDATE deliveries SET maybe_sent = CASE WHEN status = 'sending' THEN 1 "
                "ELSE maybe_sent END, status = 'sending', claimed_by = ?, claim_until = ?, "
                "attempts = attempts + 1 WHERE id IN (SELECT d.id FROM deliveries d "
                f"WHERE d.platform IN ({marks}) AND d.status IN ('pending', 'sending') "
                f"AND d.next_attempt_at <= ? AND {_FREE.format(t='d.')} "
                "AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.platform = d.platform "
                "AND o.channel = d.channel AND o.id < d.id "
                "AND o.status IN ('pending', 'sending') "
                f"AND (o.next_attempt_at > ? OR NOT {_FREE.format(t='o.')})) "
                f"ORDER BY d.id LIMIT ?{skip}) RETURNING id",
                (owner, now + lease_s, *platforms, now, now, now, now, now, now, limit),
            )
            if not rows:
                return []
            ids = [r["id"] for r in rows]
            full = self.db.query(
                "SELECT d.id, d.alert_id, d.platform, d.channel, d.attempts, d.maybe_sent, "
                "a.kind, a.payload, a.cluster_id FROM deliveries d "
                f"JOIN alerts a ON a.id = d.alert_id WHERE d.id IN ({', '.join('?' * len(ids))}) "
                "ORDER BY d.id",
                ids,
            )
        return [
            Delivery(
                id=r["id"],
                alert_id=r["alert_id"],
                platform=r["platform"],
                channel=r["channel"],
                kind=r["kind"],
                payload=json.loads(r["payload"]),
                cluster_id=r["cluster_id"],
                attempts=r["attempts"],
                maybe_sent=bool(r["maybe_sent"]),
            )
            for r in full
        ]

    @retried
    def mark_sent(self, delivery: Delivery, ref: str | None, now: float) -> None:
        """Record the send; the first message of a story in a channel becomes its thread."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', ref = ?, sent_at = ?, "
                "claimed_by = NULL, last_error = NULL WHERE id = ?",
                (ref, now, delivery.id),
            )
            if ref and delivery.cluster_id is not None:
                self.db.execute(
                    "INSERT INTO threads (cluster_id, platform, channel, ref) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (delivery.cluster_id, delivery.platform, delivery.channel, ref),
                )

    def renew_claims(self, owner: str, ids: Sequence[int], now: float, lease_s: float) -> set[int]:
        """Extend `owner`'s claims on these deliveries to `now + lease_s`; returns the ids
        still claimed by `owner` (a claim whose lease ran out may belong to another sender)."""
        if not ids:
            return set()
        rows = self.db.query(
            "UPDATE deliveries SET claim_until = ? WHERE claimed_by = ? AND status = 'sending' "
            f"AND id IN ({', '.join('?' * len(ids))}) RETURNING id",
            (now + lease_s, owner, *ids),
        )
        return {int(r["id"]) for r in rows}

    def retry_later(self, delivery: Delivery, error: str, at: float, maybe_sent: bool) -> None:
        self.db.execute(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, last_error = ?, "
            "claimed_by = NULL, claim_until = 0, maybe_sent = ? WHERE id = ?",
            (at, error, int(maybe_sent or delivery.maybe_sent), delivery.id),
        )

    def release_claims(self) -> int:
        """Single-process start: claims left by a dead run are free now (maybe sent)."""
        return self.db.execute(
            "UPDATE deliveries SET claim_until = 0, maybe_sent = 1 WHERE status = 'sending'"
        )

    def thread_ref(self, cluster_id: int | None, platform: str, channel: str) -> str | None:
        if cluster_id is None:
            return None
        row = self.db.one(
            "SELECT ref FROM threads WHERE cluster_id = ? AND platform = ? AND channel = ?",
            (cluster_id, platform, channel),
        )
        return row["ref"] if row else None

    def delivery_counts(self) -> dict[str, int]:
        rows = self.db.query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}
