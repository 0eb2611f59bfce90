"""A long-running process's two duties to the others: say it is alive, and die when it must.

`keep_alive(store, owners)` renews the heartbeat of the names this process leases feeds and
claims deliveries under, every `HEARTBEAT_EVERY` seconds for `HEARTBEAT_TTL`: when the
process dies (SIGKILL, a lost machine) its heartbeat runs out within `HEARTBEAT_TTL` seconds
and the survivors take its feeds and deliveries over, instead of waiting out `feed_lease`
and `delivery_lease`. The heartbeat is also what keeps the database in use while the
process is idle, so an outage is noticed.

`store_lost(store, limit)` returns once the database has been unreachable for `limit`
seconds in a row (the store retries everything until then): the caller exits non-zero, so a
supervisor restarts the process — never alive and idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from watchers.store import Store, StoreError

HEARTBEAT_EVERY = 1.5  # seconds between renewals
HEARTBEAT_TTL = 5.0  # seconds a heartbeat lasts: how long a dead holder blocks its work
PRUNE_AFTER = 24 * 3600.0  # seconds after which a dead holder's heartbeat row is dropped


async def keep_alive(store: Store, owners: Sequence[str]) -> None:
    """Renew `owners`' heartbeat until cancelled; at the end, forget them (a clean stop)."""
    with contextlib.suppress(StoreError):  # heartbeats of processes long gone
        await asyncio.to_thread(store.prune_holders, time.time() - PRUNE_AFTER)
    try:
        while True:
            with contextlib.suppress(StoreError):  # an outage: `store_lost` decides
                await asyncio.to_thread(store.heartbeat, owners, time.time(), HEARTBEAT_TTL)
            await asyncio.sleep(HEARTBEAT_EVERY)
    finally:
        with contextlib.suppress(StoreError):
            await asyncio.shield(asyncio.to_thread(store.forget_holders, owners))


async def store_lost(store: Store, limit: float, every: float = 0.5) -> float:
    """Return how long the outage lasted once the database has been unreachable `limit` s."""
    while (down := store.db.unreachable_for()) < limit:
        await asyncio.sleep(every)
    return down


def store_status(url: str) -> tuple[bool, str]:
    """`newsdelta status`: (reachable, one line) — whether the store answers right now (no
    retries), how fast, and what waits in it."""
    started = time.monotonic()
    try:
        store = Store.open(url, down_limit=0.0)
    except StoreError as exc:
        return False, f"store: unreachable: {exc}"
    try:
        counts = store.delivery_counts()
        feeds = store.feeds()
    except StoreError as exc:
        return False, f"store: unreachable: {exc}"
    finally:
        store.close()
    took = (time.monotonic() - started) * 1000
    waiting = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    leased = sum(1 for f in feeds if f["lease_owner"])
    return True, (
        f"store: reachable ({store.dialect}, answered in {took:.0f} ms); deliveries: "
        f"{waiting}; feeds: {len(feeds)} ({leased} being polled)"
    )
