"""Delivery: drain the outbox into the platforms, once per alert and channel.

Each pass claims due deliveries for the platforms this process has (a lease, so several
senders can share one database), groups them by channel, and sends each channel's
messages in order — channels in parallel — so a story's first alert opens the thread its
later details reply in. The store only hands out a prefix of each channel's queue (nothing
while an older message waits out its backoff or is held by another sender), so the order
holds across retries, outages, restarts and senders. Outcomes:
- sent → marked sent with the platform's reference (remembered as the story's thread);
- `DeliveryError(permanent)` → the channel's subscriptions are paused with the reason,
  other channels go on;
- any other failure → retried later with exponential backoff (Retry-After as a floor);
  nothing is dropped.
Before each send the claims on the channel's remaining messages are renewed, so a sender
slower than its lease keeps them; one that lost a claim anyway (it stalled longer than the
lease and another sender took over) stops that channel instead of posting it too.
A delivery reclaimed after its sender died is `maybe_sent`: if the platform can look up
what it already posted (`find_sent`), delivery asks first instead of posting again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping

from watchers.crash import crash_point
from watchers.store import Delivery, Store, StoreError

from . import alerts
from .messages import DeliveryError, Platform

log = logging.getLogger("newsdelta.delivery")

MAX_BACKOFF = 600.0


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` (1, 2, …): 2, 4, 8 … capped at 10 minutes."""
    return min(2.0 ** max(attempts, 1), MAX_BACKOFF)


class Deliverer:
    def __init__(
        self,
        store: Store,
        platforms: Mapping[str, Platform],
        *,
        owner: str = "sender",
        lease_s: float = 120.0,
        batch: int = 100,
        clock: Callable[[], float] = time.time,
        page_link: Callable[[Delivery], str | None] | None = None,
    ) -> None:
        self.store = store
        self.page_link = page_link  # an alert's link to its story page (bot.web), if served
        self.platforms = dict(platforms)
        self.owner = owner
        self.lease_s = lease_s
        self.batch = batch
        self.clock = clock

    async def drain_once(self) -> int:
        """One pass: claim what is due, send it; returns how many were delivered."""
        claimed = await self._claim(self.batch)
        by_channel: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
        for delivery in claimed:
            by_channel[(delivery.platform, delivery.channel)].append(delivery)
        results = await asyncio.gather(*(self._send_all(ds) for ds in by_channel.values()))
        return sum(results)

    async def drain(self) -> int:
        """Pass after pass until nothing is due now; returns how many were delivered."""
        total = 0
        while sent := await self.drain_once():
            total += sent
        return total

    async def run(self, stop: asyncio.Event, every: float = 1.0) -> None:
        """Deliver until `stop` is set. Each channel has its own lane (a task sending its
        messages in order), so a slow or rate-limited channel never holds up the others;
        every `every` seconds the lanes are topped up to `batch` claimed deliveries. After
        `stop`, one last top-up, then the lanes finish what they hold."""
        lanes: dict[tuple[str, str], list[Delivery]] = {}
        workers: dict[tuple[str, str], asyncio.Task[None]] = {}
        while True:
            stopping = stop.is_set()
            try:
                room = self.batch - sum(len(q) for q in lanes.values())
                for delivery in await self._claim(room) if room > 0 else []:
                    lane = (delivery.platform, delivery.channel)
                    lanes.setdefault(lane, []).append(delivery)
                    if lane not in workers:
                        workers[lane] = asyncio.create_task(self._lane(lane, lanes, workers))
            except StoreError as exc:  # the store retried already; the process may exit
                log.warning("claiming deliveries failed: %s", exc)
            except Exception:
                log.exception("claiming deliveries failed; retrying")
            if stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
        if workers:
            await asyncio.wait(list(workers.values()))

    async def _lane(
        self,
        lane: tuple[str, str],
        lanes: dict[tuple[str, str], list[Delivery]],
        workers: dict[tuple[str, str], asyncio.Task[None]],
    ) -> None:
        queue = lanes[lane]
        try:
            while queue:
                await self._send_all([queue.pop(0)], rest=queue)
        except StoreError as exc:  # what it held stays claimed: its lease or takeover frees it
            log.warning("delivery to %s:%s stopped: %s", *lane, exc)
            queue.clear()
        finally:
            lanes.pop(lane, None)
            workers.pop(lane, None)

    async def _claim(self, limit: int) -> list[Delivery]:
        return await asyncio.to_thread(
            self.store.claim_deliveries,
            list(self.platforms),
            self.owner,
            self.clock(),
            self.lease_s,
            limit,
        )

    async def _send_all(
        self, deliveries: list[Delivery], rest: list[Delivery] | None = None
    ) -> int:
        """Send one channel's deliveries in order. On a failure the ones behind it (and
        `rest`, a lane's queue, emptied) wait for the same retry time, keeping the order."""
        sent = 0
        for index, delivery in enumerate(deliveries):
            ours = await asyncio.to_thread(
                self.store.renew_claims,
                self.owner,
                [d.id for d in (*deliveries[index:], *(rest or []))],
                self.clock(),
                self.lease_s,
            )
            if delivery.id not in ours:  # our lease ran out and another sender has it now
                if rest:
                    rest.clear()
                return sent
            outcome, retry_at = await self._send(delivery)
            if outcome == "sent":
                sent += 1
                continue
            behind = deliveries[index + 1 :] + (rest or [])
            if rest:
                rest.clear()
            if outcome == "retry":
                for later in behind:
                    await asyncio.to_thread(
                        self.store.retry_later,
                        later,
                        "waiting behind an earlier message",
                        retry_at,
                        False,
                    )
            return sent
        return sent

    async def _send(self, delivery: Delivery) -> tuple[str, float]:
        platform = self.platforms[delivery.platform]
        thread = await asyncio.to_thread(
            self.store.thread_ref, delivery.cluster_id, delivery.platform, delivery.channel
        )
        page = self.page_link(delivery) if self.page_link and delivery.kind == "alert" else None
        message = alerts.render(delivery.kind, delivery.payload, thread, page)
        try:
            ref = await self._already_sent(platform, delivery, thread)
            if ref is None:
                ref = await platform.send(delivery.channel, message, key=delivery.key)
            crash_point("after_send")
            await asyncio.to_thread(self.store.mark_sent, delivery, ref, self.clock())
            return "sent", 0.0
        except DeliveryError as exc:
            if exc.permanent:
                reason = f"{delivery.platform} channel {delivery.channel}: {exc.reason}"
                await asyncio.to_thread(
                    self.store.pause_channel, delivery.platform, delivery.channel, reason
                )
                log.warning("subscription paused: %s", reason)
                return "channel_gone", 0.0
            wait = max(exc.retry_after or 0.0, backoff(delivery.attempts))
            return "retry", await self._retry(delivery, exc.reason, wait, exc.maybe_sent)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            return "retry", await self._retry(delivery, error, backoff(delivery.attempts), True)

    async def _already_sent(
        self, platform: Platform, delivery: Delivery, thread: str | None
    ) -> str | None:
        find_sent = getattr(platform, "find_sent", None)
        if not (delivery.maybe_sent and find_sent):
            return None
        return await find_sent(delivery.channel, delivery.key, thread=thread)

    async def _retry(self, delivery: Delivery, error: str, wait: float, maybe: bool) -> float:
        log.warning(
            "delivery %s to %s:%s failed (attempt %d): %s; retry in %.0fs",
            delivery.key,
            delivery.platform,
            delivery.channel,
            delivery.attempts,
            error,
            wait,
        )
        at = self.clock() + wait
        await asyncio.to_thread(self.store.retry_later, delivery, error, at, maybe)
        return at
