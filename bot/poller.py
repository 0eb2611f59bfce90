"""The watcher's clock: wake when the next feed is due, lease what is due, poll it.

APScheduler only ticks — one date job, rescheduled after every wake for the moment the
store says the next feed is due (`Store.next_due_at`), but never later than `recheck`
seconds ahead, so a feed whose holder died (its lease freed by the heartbeat, not by time)
or a feed added by another process is picked up soon. A wake leases the due feeds pass
after pass (`per_pass` at a time, so several watchers share them) and polls each pass in a
task of its own: a slow feed never delays another feed's wake. A feed's next check is one
interval after its poll began, so a feed is polled every interval, give or take the
wake-up latency, while backoff and the server's Retry-After / max-age / TTL floors still
apply. `in_flight` holds the polls running, for a bounded shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from watchers.pipeline import Pipeline
from watchers.store import StoreError
from watchers.store.db import Row

log = logging.getLogger("newsdelta")

MAX_PASSES_PER_WAKE = 500
RECHECK = 2.0  # seconds: the longest sleep, for leases freed by a holder's death
MIN_SLEEP = 0.02  # seconds: due feeds another watcher is leasing right now are not a spin


class Poller:
    """See the module docstring. `start()` inside the running loop; `stop()` stops waking."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        per_pass: int,
        recheck: float = RECHECK,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pipeline = pipeline
        self.per_pass = per_pass
        self.recheck = recheck
        self.clock = clock
        self.in_flight: set[asyncio.Task[None]] = set()
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def start(self) -> None:
        self._scheduler.start()
        self._wake_at(self.clock())  # the first pass at once

    def stop(self) -> None:
        """No more wakes; polls in flight go on (see `in_flight`)."""
        self._scheduler.shutdown(wait=False)

    def _wake_at(self, at: float) -> None:
        if not self._scheduler.running:
            return
        self._scheduler.add_job(
            self._wake,
            "date",
            run_date=datetime.fromtimestamp(max(at, self.clock() + MIN_SLEEP), UTC),
            id="poll",
            replace_existing=True,
            max_instances=2,  # scheduled from inside the running wake, which is ending
            misfire_grace_time=None,  # late is still worth running
        )

    async def _wake(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # a stop while waking: just stop
            await self._wake_once()

    async def _wake_once(self) -> None:
        nxt = None
        try:
            for _ in range(MAX_PASSES_PER_WAKE):  # many feeds due: pass after pass, bounded
                rows = await self.pipeline.lease_due(self.per_pass)
                if rows:
                    self._spawn(rows)
                if len(rows) < self.per_pass:
                    break
            nxt = await asyncio.to_thread(self.pipeline.store.next_due_at)
        except StoreError as exc:  # the store retried already; the process may be exiting
            log.warning("polling: %s", exc)
        now = self.clock()
        self._wake_at(min(nxt if nxt is not None else now + self.recheck, now + self.recheck))

    def _spawn(self, rows: list[Row]) -> None:
        task = asyncio.ensure_future(self._poll(rows))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _poll(self, rows: list[Row]) -> None:
        try:
            report = await self.pipeline.poll_leased(rows)
        except StoreError as exc:
            log.warning("polling %d feeds stopped: %s", len(rows), exc)
            return
        log.info("%s", report.line())
