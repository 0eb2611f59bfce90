"""Who is alive: the heartbeats that tie feed leases and delivery claims to their holders.

A running process renews one row per holder name it leases under (`heartbeat`), every few
seconds, with an `alive_until` a little further ahead. A lease or claim whose holder has a
row that ran out is free at once — its process died (SIGKILL, a lost machine) — instead of
waiting out `feed_lease` / `delivery_lease`, which stay the upper bound for holders that
never beat (one-shot runs) or are merely slow. A process that stops cleanly removes its
rows (`forget_holders`); its leases are already released.
"""

from __future__ import annotations

from collections.abc import Sequence

from .db import Database, retried

# SQL for "this lease's holder is known to be dead": the holder column name is filled in.
DEAD_HOLDER = "{holder} IN (SELECT owner FROM holders WHERE alive_until <= ?)"


class HoldersMixin:
    db: Database

    @retried
    def heartbeat(self, owners: Sequence[str], now: float, ttl: float) -> None:
        """These holders are alive until `now + ttl`."""
        with self.db.transaction():
            for owner in owners:
                self.db.execute(
                    "INSERT INTO holders (owner, alive_until) VALUES (?, ?) "
                    "ON CONFLICT (owner) DO UPDATE SET alive_until = excluded.alive_until",
                    (owner, now + ttl),
                )

    def forget_holders(self, owners: Sequence[str]) -> None:
        """A clean stop: these holders hold nothing any more."""
        if owners:
            self.db.execute(
                f"DELETE FROM holders WHERE owner IN ({', '.join('?' * len(owners))})",
                list(owners),
            )

    def prune_holders(self, before: float) -> int:
        """Drop heartbeats that ran out before `before` (pass now minus the longest lease:
        whatever such a holder leased has expired anyway)."""
        return self.db.execute("DELETE FROM holders WHERE alive_until < ?", (before,))
